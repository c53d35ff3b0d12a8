"""Register export (CSV) and inbox filters: the shapes the clerk UI and the API both use."""

from __future__ import annotations

import csv
import datetime
import io

from letters.exports import REGISTER_COLUMNS, register_csv, register_row
from letters.models import Direction, Letter, LetterStatus, RegisterKind, RegisterSeries
from letters.selectors import InboxFilter, inbox_letters, register_lines
from letters.services.registers import RegisterColumns, register_entry_cancel
from tests.conftest import make_agency

from .test_registers import PAPER, at, record

FORMULA = RegisterColumns(
    letter_number="ศธ ๐๒๐๑/๓๓",
    letter_date=None,
    from_party='=HYPERLINK("http://evil.example")',
    to_party="สพธอ.",
    subject="-๒+๓ เรื่องที่ขึ้นต้นเหมือนสูตร",
)


def _lines(agency):
    return register_lines(
        agency=agency,
        register=RegisterKind.RECEIVE,
        date_from=datetime.date(2026, 11, 1),
        date_to=datetime.date(2026, 11, 30),
    )


def test_a_register_exports_to_csv_with_thai_be_dates_and_iso_dates(etda, alice):
    first = record(etda, alice, registered_at=at(2026, 11, 29, 14, 35)).entry
    record(etda, alice, columns=FORMULA, registered_at=at(2026, 11, 29, 15, 0))
    register_entry_cancel(entry=first, reason="ลงซ้ำ", actor=alice)

    data = b"".join(register_csv(_lines(etda)))

    assert data.startswith("\ufeff".encode())  # spreadsheets then read UTF-8 Thai correctly
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [header for _key, header in REGISTER_COLUMNS]
    by_key = [dict(zip([k for k, _h in REGISTER_COLUMNS], row, strict=True)) for row in rows[1:]]
    assert by_key[0]["number"] == "1"
    assert by_key[0]["year_be"] == "2569"  # calendar-year register, 2026 C.E.
    assert by_key[0]["registered_on_be"] == "29 พฤศจิกายน 2569"
    assert by_key[0]["registered_time"] == "14.35 น."
    assert by_key[0]["registered_at"] == "2026-11-29T14:35:00+07:00"
    assert by_key[0]["subject"] == PAPER.subject
    assert by_key[0]["cancelled"] == "yes"
    # Cells that a spreadsheet would run as formulas are defused.
    assert by_key[1]["from_party"].startswith("'=")
    assert by_key[1]["subject"] == "'-๒+๓ เรื่องที่ขึ้นต้นเหมือนสูตร"


def test_register_row_is_json_ready(etda, alice):
    record(etda, alice, registered_at=at(2026, 11, 2, 9, 5))

    [line] = _lines(etda)
    row = register_row(line)

    assert row["letter_date"] == "2026-11-20"
    assert row["cancelled"] is False
    assert row["series"] == RegisterSeries.NORMAL


def _incoming(agency, sender, **fields):
    return Letter.objects.create(
        agency=agency,
        sender_agency=sender,
        direction=Direction.INCOMING,
        status=fields.pop("status", LetterStatus.RECEIVED),
        ministry_code="นร",
        subject=fields.pop("subject", "หนังสือเข้า"),
        **fields,
    )


def test_the_inbox_narrows_by_status_urgency_secrecy_sender_and_bangkok_day(etda, soc):
    dga = make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)")
    late_night = at(2026, 11, 28, 23, 30)  # 16:30 UTC: still the 28th in Bangkok
    urgent = _incoming(etda, soc, urgency="004", created_at=late_night)
    secret = _incoming(etda, dga, secrecy="002", created_at=at(2026, 11, 29, 8, 0))
    done = _incoming(etda, soc, status=LetterStatus.REGISTERED, created_at=at(2026, 11, 29, 9))
    _incoming(soc, etda)  # SOC's inbox never shows in ETDA's

    def pks(**where):
        return [letter.pk for letter in inbox_letters(agency=etda, where=InboxFilter(**where))]

    assert pks() == [urgent.pk, secret.pk, done.pk]  # ด่วนที่สุด first, then by arrival
    assert pks(statuses=("received",)) == [urgent.pk, secret.pk]
    assert pks(urgencies=("004",)) == [urgent.pk]
    assert pks(secrecies=("002",)) == [secret.pk]
    assert pks(sender_key="dga") == [secret.pk]
    day = datetime.date(2026, 11, 28)
    assert pks(received_from=day, received_to=day) == [urgent.pk]
    assert pks(received_from=datetime.date(2026, 11, 29)) == [secret.pk, done.pk]
