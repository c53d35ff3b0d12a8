"""Registering an incoming letter in the receive register (ลงรับ): letter_register_incoming."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from letters.errors import LetterNotRegistrable
from letters.models import (
    Direction,
    Letter,
    LetterStatus,
    RegisterCounter,
    RegisterEntry,
    RegisterKind,
    RegisterSeries,
    Secrecy,
    Urgency,
)
from letters.services.letters import (
    LetterFields,
    letter_allocate_number,
    letter_create_draft,
    letter_register_incoming,
)

SUBJECT = (
    "ข้อเสนอในการปรับปรุงการออกเอกสารหลักฐานของทางราชการผ่านระบบดิจิทัล และแนวปฏิบัติในการ"
    "รับ - ส่งหนังสือราชการทางอิเล็กทรอนิกส์ระหว่างส่วนราชการที่เป็นนิติบุคคล"
)


def incoming(holder, sender, **fields):
    """SOC's copy of a letter from ETDA, as the exchange files it on arrival."""
    defaults = {
        "agency": holder,
        "sender_agency": sender,
        "direction": Direction.INCOMING,
        "status": LetterStatus.RECEIVED,
        "subject": SUBJECT,
        "ministry_code": "ดศ",
        "sub_agency_code": "สพขอ",
        "unit_number": "511.04",
        "running_number": 335,
        "number_year": 2020,
        "letter_date": datetime.date(2020, 4, 22),
        "addressee": "เลขาธิการคณะรัฐมนตรี",
        "urgency": Urgency.MOST_URGENT,
    }
    defaults.update(fields)
    return Letter.objects.create(**defaults)


def test_bob_registers_etdas_letter_with_receive_number_one(etda, soc, bob):
    letter = incoming(soc, etda)

    entry = letter_register_incoming(letter=letter, actor=bob)

    assert (entry.agency, entry.register, entry.series) == (
        soc,
        RegisterKind.RECEIVE,
        RegisterSeries.NORMAL,
    )
    assert (entry.number, entry.revision, entry.year) == (1, 0, timezone.localdate().year)
    assert (entry.letter, entry.created_by) == (letter, bob)
    assert entry.letter_number == "ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕"
    assert entry.letter_date == datetime.date(2020, 4, 22)
    assert entry.from_party == "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"
    assert entry.to_party == "เลขาธิการคณะรัฐมนตรี"
    assert entry.subject == SUBJECT
    assert RegisterEntry.objects.get() == entry

    letter.refresh_from_db()
    assert letter.status == LetterStatus.REGISTERED
    # The sender's number stays the sender's: registering does not renumber the letter.
    assert letter.number_display() == "ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕"

    [event] = AuditEvent.objects.filter(action="letters.letter.registered")
    assert (event.actor_user, event.actor_label, event.agency) == (bob, "user:bob", soc)
    assert (event.target_type, event.target_id) == ("letters.letter", str(letter.pk))
    assert event.before == {"status": "received"}
    assert event.after == {"status": "registered", "receive_number": 1}
    [allocated] = AuditEvent.objects.filter(action="registers.receive.allocated")
    assert (allocated.agency, allocated.after["number"]) == (soc, 1)


def test_the_next_incoming_letter_gets_receive_number_two(etda, soc, bob):
    letter_register_incoming(letter=incoming(soc, etda), actor=bob)

    entry = letter_register_incoming(
        letter=incoming(soc, etda, running_number=336, subject="ขอเชิญประชุม"), actor=bob
    )

    assert entry.number == 2
    assert entry.letter_number == "ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๖"
    assert entry.subject == "ขอเชิญประชุม"


def test_a_letter_whose_number_did_not_parse_is_registered_with_the_text_as_received(
    etda, soc, bob
):
    letter = incoming(
        soc,
        etda,
        ministry_code="ดศ",
        sub_agency_code="",
        unit_number="",
        running_number=None,
        number_text="ดศ.(สพธอ.)/พิเศษ ๑๒",
        addressee="",
    )

    entry = letter_register_incoming(letter=letter, actor=bob)

    assert entry.letter_number == "ดศ.(สพธอ.)/พิเศษ ๑๒"
    # Without an addressee the register names the receiving agency.
    assert entry.to_party == "สำนักเลขาธิการคณะรัฐมนตรี"


def test_registering_twice_returns_the_same_entry(etda, soc, bob):
    letter = incoming(soc, etda)

    first = letter_register_incoming(letter=letter, actor=bob)
    # A double click: the second request loaded the letter while it was still "received".
    again = letter_register_incoming(letter=letter, actor=bob)

    assert again.pk == first.pk
    assert RegisterEntry.objects.count() == 1
    assert RegisterCounter.objects.get(agency=soc).last_number == 1
    assert AuditEvent.objects.filter(action="letters.letter.registered").count() == 1
    assert AuditEvent.objects.filter(action="registers.receive.allocated").count() == 1


def test_the_same_idempotency_key_for_the_same_letter_returns_its_entry(etda, soc, bob):
    letter = incoming(soc, etda)

    first = letter_register_incoming(letter=letter, actor=bob, idempotency_key="ลงรับ-1")
    again = letter_register_incoming(letter=letter, actor=bob, idempotency_key="ลงรับ-1")

    assert again.pk == first.pk
    assert first.idempotency_key == "ลงรับ-1"
    assert RegisterEntry.objects.count() == 1


def test_a_secret_letter_is_registered_in_the_secret_receive_series(etda, soc, bob):
    letter_register_incoming(letter=incoming(soc, etda), actor=bob)

    entry = letter_register_incoming(
        letter=incoming(soc, etda, secrecy=Secrecy.CONFIDENTIAL, subject="เรื่องลับ"), actor=bob
    )

    assert (entry.series, entry.number) == (RegisterSeries.SECRET, 1)


def test_bobs_and_alices_receive_registers_count_independently(etda, soc, alice, bob):
    letter_register_incoming(letter=incoming(soc, etda), actor=bob)
    letter_register_incoming(letter=incoming(soc, etda), actor=bob)

    alices = letter_register_incoming(
        letter=incoming(
            etda,
            soc,
            ministry_code="นร",
            sub_agency_code="",
            unit_number="0506",
            running_number=11561,
            series="circular",
            addressee="ผู้อำนวยการสำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์",
        ),
        actor=alice,
    )

    assert (alices.agency, alices.number) == (etda, 1)
    # A circular from another agency is an ordinary line in the receive register.
    assert alices.series == RegisterSeries.NORMAL
    assert alices.letter_number == "นร ๐๕๐๖/ว ๑๑๕๖๑"
    assert alices.from_party == "สำนักเลขาธิการคณะรัฐมนตรี"


def test_an_outgoing_letter_cannot_be_registered(etda, soc, alice):
    letter = letter_create_draft(agency=etda, actor=alice, values=LetterFields(subject=SUBJECT))

    with pytest.raises(LetterNotRegistrable) as raised:
        letter_register_incoming(letter=letter, actor=alice)

    assert raised.value.code == "letters.not_registrable"
    assert not RegisterEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="letters.letter.registered").exists()


def test_a_numbered_outgoing_letter_cannot_be_registered_either(etda, soc, alice):
    letter = letter_create_draft(agency=etda, actor=alice, values=LetterFields(subject=SUBJECT))
    letter_allocate_number(letter=letter, actor=alice)

    with pytest.raises(LetterNotRegistrable):
        letter_register_incoming(letter=letter, actor=alice)

    assert not RegisterEntry.objects.filter(register=RegisterKind.RECEIVE).exists()


@pytest.mark.parametrize(
    "status", [LetterStatus.REJECTED, LetterStatus.WRONG_RECIPIENT, LetterStatus.DRAFT]
)
def test_an_incoming_letter_not_in_received_state_cannot_be_registered(etda, soc, bob, status):
    letter = incoming(soc, etda, status=status)

    with pytest.raises(LetterNotRegistrable):
        letter_register_incoming(letter=letter, actor=bob)

    letter.refresh_from_db()
    assert letter.status == status
    assert not RegisterEntry.objects.exists()
