"""Numbering an outgoing letter from the dispatch register (ออกเลข): letter_allocate_number."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from letters.errors import LetterInvalid, LetterNotNumberable
from letters.letter_number import SERIES_MARKS, Series
from letters.models import (
    Direction,
    Letter,
    LetterStatus,
    RecipientRole,
    RegisterCounter,
    RegisterEntry,
    RegisterKind,
    RegisterSeries,
    Secrecy,
)
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    letter_allocate_number,
    letter_create_draft,
)
from tests.conftest import make_agency

BANGKOK = ZoneInfo("Asia/Bangkok")
SUBJECT = "ขอเชิญประชุมคณะทำงานแนวปฏิบัติการรับ - ส่งหนังสือราชการทางอิเล็กทรอนิกส์"


def draft(agency, actor, *, to=(), cc=(), **values):
    values.setdefault("subject", SUBJECT)
    recipients = [RecipientInput(agency=a) for a in to] + [
        RecipientInput(agency=a, role=RecipientRole.CC) for a in cc
    ]
    return letter_create_draft(
        agency=agency,
        actor=actor,
        values=LetterFields(**values),
        parts=LetterParts(recipients=recipients),
    )


def test_alice_numbers_a_draft_with_the_first_dispatch_number(etda, soc, alice):
    dga = make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล", abbreviation="สพร.")
    letter = draft(etda, alice, to=[soc], cc=[dga], owning_unit="สำนักกฎหมาย")

    entry = letter_allocate_number(letter=letter, actor=alice)

    today = timezone.localdate()
    assert (entry.register, entry.series, entry.number) == (
        RegisterKind.DISPATCH,
        RegisterSeries.NORMAL,
        1,
    )
    assert (entry.agency, entry.letter, entry.created_by, entry.revision) == (
        etda,
        letter,
        alice,
        0,
    )
    assert entry.year == today.year
    assert entry.letter_number == "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑"
    assert entry.letter_date == today
    assert entry.subject == SUBJECT
    assert entry.from_party == "สำนักกฎหมาย"
    # Only main recipients are "to"; the copy to สพร. is not.
    assert entry.to_party == "สลค."

    letter.refresh_from_db()
    assert letter.status == LetterStatus.NUMBERED
    assert (letter.running_number, letter.number_year) == (1, today.year)
    assert letter.letter_date == today
    assert letter.number_display() == "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑"
    assert letter.number_display(thai_digits=False) == "ดศ (สพขอ) 511.04/0001"
    assert RegisterEntry.objects.get() == entry

    [numbered] = AuditEvent.objects.filter(action="letters.letter.numbered")
    assert (numbered.actor_user, numbered.agency, numbered.target_id) == (
        alice,
        etda,
        str(letter.pk),
    )
    assert "number" not in numbered.before
    assert (numbered.before["letter_date"], numbered.after["letter_date"]) == ("", str(today))
    assert numbered.after["number"] == "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑"
    [allocated] = AuditEvent.objects.filter(action="registers.dispatch.allocated")
    assert allocated.after["number"] == 1
    assert allocated.after["letter_number"] == "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑"


def test_the_next_letter_gets_number_two(etda, soc, alice):
    letter_allocate_number(letter=draft(etda, alice, to=[soc]), actor=alice)
    second = draft(etda, alice, to=[soc], subject="ขอส่งรายงานผลการดำเนินงาน")

    entry = letter_allocate_number(letter=second, actor=alice)

    assert entry.number == 2
    assert entry.letter_number == "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๒"
    assert entry.subject == "ขอส่งรายงานผลการดำเนินงาน"
    # Without an owning unit the register names the agency.
    assert entry.from_party == "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"
    second.refresh_from_db()
    assert second.number_display() == "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๒"


def test_a_letter_date_chosen_by_alice_is_kept(etda, soc, alice):
    letter = draft(etda, alice, to=[soc], letter_date=datetime.date(2026, 12, 30))

    entry = letter_allocate_number(letter=letter, actor=alice)

    letter.refresh_from_db()
    assert letter.letter_date == entry.letter_date == datetime.date(2026, 12, 30)


def test_the_letter_date_defaults_to_the_bangkok_day_not_the_utc_day(etda, soc, alice, monkeypatch):
    letter = draft(etda, alice, to=[soc])
    # 00:30 on 1 January 2027 in Bangkok is still 31 December 2026 in UTC. The clock is the
    # process edge: it is the only thing faked here.
    moment = datetime.datetime(2027, 1, 1, 0, 30, tzinfo=BANGKOK)
    monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(datetime.UTC))

    entry = letter_allocate_number(letter=letter, actor=alice)

    letter.refresh_from_db()
    assert letter.letter_date == entry.letter_date == datetime.date(2027, 1, 1)
    assert (letter.number_year, entry.year, entry.number) == (2027, 2027, 1)


def test_numbering_twice_returns_the_same_entry_and_costs_no_second_number(etda, soc, alice):
    letter = draft(etda, alice, to=[soc])

    first = letter_allocate_number(letter=letter, actor=alice)
    # A double click: the caller still holds the draft it loaded before the first click.
    again = letter_allocate_number(letter=letter, actor=alice)

    assert again.pk == first.pk
    assert RegisterEntry.objects.count() == 1
    assert RegisterCounter.objects.get(agency=etda).last_number == 1
    assert AuditEvent.objects.filter(action="letters.letter.numbered").count() == 1
    assert AuditEvent.objects.filter(action="registers.dispatch.allocated").count() == 1
    assert letter_allocate_number(letter=draft(etda, alice, to=[soc]), actor=alice).number == 2


def test_a_circular_draws_from_the_circular_series_and_prints_wor(etda, soc, alice):
    letter_allocate_number(letter=draft(etda, alice, to=[soc]), actor=alice)
    circular = draft(etda, alice, to=[soc], series=Series.CIRCULAR, subject="หนังสือเวียน")

    entry = letter_allocate_number(letter=circular, actor=alice)

    assert (entry.series, entry.number) == (RegisterSeries.CIRCULAR, 1)
    assert entry.letter_number == "ดศ (สพขอ) ๕๑๑.๐๔/ว ๐๐๐๑"
    circular.refresh_from_db()
    assert circular.number_display() == "ดศ (สพขอ) ๕๑๑.๐๔/ว ๐๐๐๑"
    # The normal series was not touched by the circular.
    assert letter_allocate_number(letter=draft(etda, alice, to=[soc]), actor=alice).number == 2


def test_a_circular_to_two_hundred_agencies_names_as_many_as_fit_in_the_register(etda, alice):
    agencies = [
        make_agency(f"province-{n:03d}", name_th=f"ศาลากลางจังหวัดทดสอบที่ {n}") for n in range(200)
    ]
    circular = draft(etda, alice, to=agencies, series=Series.CIRCULAR, subject="หนังสือเวียน")

    entry = letter_allocate_number(letter=circular, actor=alice)

    assert len(entry.to_party) <= 1000
    assert entry.to_party.startswith("ศาลากลางจังหวัดทดสอบที่ 0, ศาลากลางจังหวัดทดสอบที่ 1, ")
    shown = entry.to_party.count("ศาลากลางจังหวัดทดสอบที่")
    assert entry.to_party.endswith(f" และอีก {200 - shown} หน่วยงาน")


def test_a_secret_letter_draws_from_the_secret_series(hosted, etda, soc, alice):
    letter_allocate_number(letter=draft(etda, alice, to=[soc]), actor=alice)
    secret = draft(etda, alice, to=[soc], secrecy=Secrecy.CONFIDENTIAL, subject="เรื่องลับ")

    entry = letter_allocate_number(letter=secret, actor=alice)

    assert (entry.series, entry.number) == (RegisterSeries.SECRET, 1)
    secret.refresh_from_db()
    assert (secret.status, secret.running_number) == (LetterStatus.NUMBERED, 1)
    assert RegisterCounter.objects.get(agency=etda, series=RegisterSeries.SECRET).last_number == 1
    assert RegisterCounter.objects.get(agency=etda, series=RegisterSeries.NORMAL).last_number == 1


def test_a_secret_letter_prints_the_secret_mark_so_it_never_repeats_a_normal_number(
    hosted, etda, soc, alice
):
    normal = letter_allocate_number(letter=draft(etda, alice, to=[soc]), actor=alice)
    secret = draft(etda, alice, to=[soc], secrecy=Secrecy.CONFIDENTIAL, subject="เรื่องลับ")

    entry = letter_allocate_number(letter=secret, actor=alice)

    # Both are number 1 of their series; the printed ที่ must still tell them apart.
    assert (normal.number, entry.number) == (1, 1)
    assert entry.letter_number == f"ดศ (สพขอ) ๕๑๑.๐๔/{SERIES_MARKS[Series.SECRET]} ๐๐๐๑"
    assert entry.letter_number != normal.letter_number
    secret.refresh_from_db()
    assert secret.number_display() == entry.letter_number


def test_a_secret_circular_prints_wor_lor_and_never_repeats_a_circular_number(
    hosted, etda, soc, alice
):
    circular = letter_allocate_number(
        letter=draft(etda, alice, to=[soc], series=Series.CIRCULAR), actor=alice
    )
    secret = draft(etda, alice, to=[soc], series=Series.CIRCULAR, secrecy=Secrecy.SECRET)

    entry = letter_allocate_number(letter=secret, actor=alice)

    assert (entry.series, entry.number) == (RegisterSeries.SECRET, 1)
    # The mark printed on real secret circulars, e.g. the sample's อ้างถึง "นร ๐๕๐๖/ว(ล) ๑๑๕๖๑".
    assert entry.letter_number == "ดศ (สพขอ) ๕๑๑.๐๔/ว(ล) ๐๐๐๑"
    assert entry.letter_number != circular.letter_number
    secret.refresh_from_db()
    assert secret.number_display() == entry.letter_number


def test_a_letter_in_the_secret_series_counts_with_the_secret_letters(hosted, etda, soc, alice):
    # Printed with the secret mark, so it must draw from the secret counter even when the
    # clerk left the secrecy at "not secret".
    marked = letter_allocate_number(
        letter=draft(etda, alice, to=[soc], series=Series.SECRET), actor=alice
    )
    secret = letter_allocate_number(
        letter=draft(etda, alice, to=[soc], series=Series.SECRET, secrecy=Secrecy.CONFIDENTIAL),
        actor=alice,
    )

    assert (marked.series, marked.number) == (RegisterSeries.SECRET, 1)
    assert (secret.series, secret.number) == (RegisterSeries.SECRET, 2)
    assert marked.letter_number != secret.letter_number


def test_alices_and_bobs_agencies_count_independently(etda, soc, alice, bob):
    letter_allocate_number(letter=draft(etda, alice, to=[soc]), actor=alice)
    letter_allocate_number(letter=draft(etda, alice, to=[soc]), actor=alice)

    bobs = letter_allocate_number(letter=draft(soc, bob, to=[etda]), actor=bob)

    assert (bobs.agency, bobs.number) == (soc, 1)
    assert bobs.letter_number == "นร ๐๕๐๖/๐๐๐๑"
    assert bobs.to_party == "สพธอ."
    assert bobs.from_party == "สำนักเลขาธิการคณะรัฐมนตรี"
    assert letter_allocate_number(letter=draft(etda, alice, to=[soc]), actor=alice).number == 3


def test_a_letter_without_a_unit_number_is_refused_and_nothing_is_written(etda, soc, alice):
    letter = draft(etda, alice, to=[soc], unit_number="")

    with pytest.raises(LetterInvalid) as raised:
        letter_allocate_number(letter=letter, actor=alice)

    assert raised.value.code == "letters.invalid"
    assert "unit_number" in raised.value.details
    letter.refresh_from_db()
    assert (letter.status, letter.running_number, letter.letter_date) == (
        LetterStatus.DRAFT,
        None,
        None,
    )
    assert not RegisterEntry.objects.exists()
    assert not RegisterCounter.objects.filter(last_number__gt=0).exists()
    assert not AuditEvent.objects.filter(action="letters.letter.numbered").exists()


def test_an_agency_without_a_unit_number_gives_drafts_that_cannot_be_numbered(soc, bob):
    no_unit = make_agency("no-unit", name_th="หน่วยงานไม่มีเลขประจำส่วนราชการ", unit_number="")
    letter = draft(no_unit, bob, to=[soc])

    with pytest.raises(LetterInvalid):
        letter_allocate_number(letter=letter, actor=bob)

    assert not RegisterEntry.objects.exists()


def test_an_incoming_letter_cannot_be_numbered(etda, soc, bob):
    incoming = Letter.objects.create(
        agency=soc,
        sender_agency=etda,
        direction=Direction.INCOMING,
        status=LetterStatus.RECEIVED,
        subject=SUBJECT,
        ministry_code="ดศ",
        unit_number="511.04",
    )

    with pytest.raises(LetterNotNumberable) as raised:
        letter_allocate_number(letter=incoming, actor=bob)

    assert raised.value.code == "letters.not_numberable"
    assert not RegisterEntry.objects.exists()
