"""Registers over the API: each agency's receive and dispatch registers by date range, as JSON
pages or one streamed CSV; ETDA's system never sees SOC's lines, nor SOC's ETDA's."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from letters.exports import REGISTER_COLUMNS
from letters.models import RegisterKind, RegisterSeries
from letters.services.registers import (
    RegisterColumns,
    register_entry_cancel,
    register_entry_record,
)

from .conftest import arrive

BANGKOK = ZoneInfo("Asia/Bangkok")
PAPER = RegisterColumns(
    letter_number="กค ๐๔๐๖.๒/ว ๑๒๓",
    letter_date=datetime.date(2026, 11, 20),
    from_party="กรมบัญชีกลาง",
    to_party="ผู้อำนวยการสำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์",
    subject="แนวทางปฏิบัติการเบิกจ่ายเงินงบประมาณ ปีงบประมาณ พ.ศ. ๒๕๗๐",
)
NOVEMBER = "from=2026-11-01&to=2026-11-30"


def paper(agency, actor, *, day: int, hour: int = 9, series=RegisterSeries.NORMAL, **columns):
    """A paper letter handed in at ETDA's desk and registered by hand, on a November day."""
    return register_entry_record(
        agency=agency,
        register=RegisterKind.RECEIVE,
        series=series,
        columns=RegisterColumns(**{**PAPER.__dict__, **columns}),
        actor=actor,
        registered_at=datetime.datetime(2026, 11, day, hour, 0, tzinfo=BANGKOK),
    ).entry


def rows_of(response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    rows: list[dict[str, Any]] = response.json()["results"]
    return rows


def test_the_receive_register_lists_what_soc_registered_through_the_api(
    soc_system, alice_sends, etda, soc
):
    _first_delivery, first = arrive(etda, soc, alice_sends, subject="ขอเชิญประชุม ครั้งที่ ๑")
    _second_delivery, second = arrive(etda, soc, alice_sends, subject="ขอเชิญประชุม ครั้งที่ ๒")
    for letter in (first, second):
        assert soc_system.post(f"/api/v1/inbox/{letter.pk}/register").status_code == 200
    today = timezone.localdate()

    rows = rows_of(soc_system.get(f"/api/v1/registers/receive?from={today}&to={today}"))

    assert [row["number"] for row in rows] == [1, 2]
    assert [row["letter_id"] for row in rows] == [first.pk, second.pk]
    assert rows[0]["subject"] == "ขอเชิญประชุม ครั้งที่ ๑"
    assert rows[0]["from_party"] == "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"
    assert rows[0]["letter_number"] == first.number_display()
    assert rows[0]["series"] == "normal"
    assert rows[0]["year_be"] == today.year + 543
    assert rows[0]["registered_on_be"].endswith(str(today.year + 543))
    assert rows[0]["cancelled"] is False
    assert set(rows[0]) == {key for key, _header in REGISTER_COLUMNS} | {"letter_id"}


def test_each_agency_sees_only_its_own_registers(soc_system, etda_system, alice_sends, etda, soc):
    _delivery, copy = arrive(etda, soc, alice_sends)
    soc_system.post(f"/api/v1/inbox/{copy.pk}/register")
    today = timezone.localdate()
    span = f"from={today}&to={today}"

    etda_dispatch = rows_of(etda_system.get(f"/api/v1/registers/dispatch?{span}"))
    etda_receive = rows_of(etda_system.get(f"/api/v1/registers/receive?{span}"))
    soc_dispatch = rows_of(soc_system.get(f"/api/v1/registers/dispatch?{span}"))
    soc_receive = rows_of(soc_system.get(f"/api/v1/registers/receive?{span}"))

    # Sending numbered ETDA's letter from its dispatch register (ออกเลข on the way out).
    assert [row["number"] for row in etda_dispatch] == [1]
    assert etda_dispatch[0]["subject"] == copy.subject
    assert etda_receive == [] == soc_dispatch
    assert [row["letter_id"] for row in soc_receive] == [copy.pk]


def test_dates_series_and_cancellations_are_as_printed(etda_system, etda, alice):
    first = paper(etda, alice, day=2)
    paper(etda, alice, day=15, subject="-๒+๓ เรื่องที่ขึ้นต้นเหมือนสูตร")
    paper(etda, alice, day=20, series=RegisterSeries.CIRCULAR)
    # 02:00 on 1 November in Bangkok is still 31 October in UTC: a November line all the same.
    paper(etda, alice, day=1, hour=2)
    register_entry_cancel(entry=first, reason="ลงทะเบียนซ้ำ", actor=alice)

    november = rows_of(etda_system.get(f"/api/v1/registers/receive?{NOVEMBER}"))
    two_weeks = rows_of(etda_system.get("/api/v1/registers/receive?from=2026-11-02&to=2026-11-15"))
    circular = rows_of(etda_system.get(f"/api/v1/registers/receive?{NOVEMBER}&series=circular"))
    october = rows_of(etda_system.get("/api/v1/registers/receive?from=2026-10-01&to=2026-10-31"))

    assert [(row["series"], row["number"]) for row in november] == [
        ("circular", 1),
        ("normal", 1),
        ("normal", 2),
        ("normal", 3),
    ]
    assert [row["number"] for row in two_weeks] == [1, 2]  # both ends included
    assert [row["cancelled"] for row in two_weeks] == [True, False]
    assert two_weeks[0]["registered_at"] == "2026-11-02T09:00:00+07:00"
    assert two_weeks[0]["registered_on_be"] == "2 พฤศจิกายน 2569"
    assert two_weeks[0]["registered_time"] == "9.00 น."  # as printed: no leading zero
    assert two_weeks[0]["letter_date"] == "2026-11-20"
    assert two_weeks[1]["subject"] == "-๒+๓ เรื่องที่ขึ้นต้นเหมือนสูตร"  # JSON is not defused
    assert [row["series"] for row in circular] == ["circular"]
    assert october == []


def test_following_next_pages_through_the_register(etda_system, etda, alice):
    for day in range(1, 8):
        paper(etda, alice, day=day, subject=f"หนังสือรับวันที่ {day}")

    numbers, url = [], f"/api/v1/registers/receive?{NOVEMBER}&page_size=3"
    while url:
        page = etda_system.get(url).json()
        numbers += [row["number"] for row in page["results"]]
        url = page["next"]

    assert numbers == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    "how",
    [{"HTTP_ACCEPT": "text/csv"}, {"query": "&format=csv"}],
    ids=["accept", "format"],
)
def test_the_register_streams_as_csv_with_the_dates_in_its_name(etda_system, etda, alice, how):
    paper(etda, alice, day=2)
    paper(etda, alice, day=3, from_party='=HYPERLINK("http://evil.example")')
    query = how.pop("query", "")

    response = etda_system.get(f"/api/v1/registers/receive?{NOVEMBER}{query}", **how)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="receive-register_2026-11-01_2026-11-30.csv"'
    )
    data = b"".join(response.streaming_content)
    assert data.startswith("\ufeff".encode())  # spreadsheets then read the Thai as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [header for _key, header in REGISTER_COLUMNS]
    assert [row[2] for row in rows[1:]] == ["1", "2"]
    assert PAPER.subject in rows[1]
    assert "'=HYPERLINK" in rows[2][9]  # defused in the spreadsheet form


def test_a_csv_request_still_gets_its_errors_as_json(etda_system, etda):
    response = etda_system.get("/api/v1/registers/receive?from=2026-11-01", HTTP_ACCEPT="text/csv")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "api.validation"
    assert list(response.json()["details"]["fields"]) == ["to"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "from"),
        ("from=2026-11-01", "to"),
        ("from=2026-11-30&to=2026-11-01", "to"),
        ("from=๒๕๖๙-๑๑-๐๑&to=2026-11-30", "from"),
        ("from=0001-01-01&to=2026-11-30", "from"),
        ("from=2026-11-01&to=9999-12-31", "to"),
        (f"{NOVEMBER}&series=secretive", "series"),
    ],
)
def test_invalid_ranges_are_named(etda_system, etda, query, field):
    response = etda_system.get(f"/api/v1/registers/receive?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "api.validation"
    assert field in response.json()["details"]["fields"]


def test_unknown_registers_and_types(etda_system, etda):
    unknown = etda_system.get(f"/api/v1/registers/outbox?{NOVEMBER}")
    xml = etda_system.get(f"/api/v1/registers/receive?{NOVEMBER}", HTTP_ACCEPT="application/xml")

    assert unknown.status_code == 404
    assert unknown.json()["code"] == "api.not_found"
    assert xml.status_code == 406
    assert xml.json()["code"] == "api.not_acceptable"


def test_no_key_no_register(anonymous, etda):
    assert anonymous.get(f"/api/v1/registers/receive?{NOVEMBER}").status_code == 401
