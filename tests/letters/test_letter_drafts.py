"""Drafting an outgoing letter: letter_create_draft and letter_update_draft."""

from __future__ import annotations

import datetime
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connections, transaction

from agencies.models import Agency
from audit.models import AuditEvent
from letters.errors import LetterInvalid, LetterNotEditable, TopSecretRefused
from letters.models import (
    Direction,
    Letter,
    LetterKind,
    LetterRecipient,
    LetterReference,
    LetterStatus,
    RecipientRole,
    RegisterCounter,
    RegisterEntry,
    Secrecy,
    Urgency,
)
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    ReferenceInput,
    letter_allocate_number,
    letter_create_draft,
    letter_update_draft,
)
from letters.services.sealed import sealed_read
from tests.conftest import make_agency

# The ETDA letter to the Secretary-General of the Cabinet (letters/demo is the same file as
# the shared sample): real Thai text in every field, an acting signer and an อ้างถึง.
SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "letters" / "demo" / "etda-letter.json").read_text(
        encoding="utf-8"
    )
)
REFERENCE = SAMPLE["references"][0]


def sample_fields(**overrides) -> LetterFields:
    values = {
        "subject": SAMPLE["subject"],
        "kind": LetterKind.EXTERNAL,
        "letter_date": datetime.date.fromisoformat(SAMPLE["date"]),
        "salutation": SAMPLE["salutation"],
        "addressee": SAMPLE["addressee"]["position"],
        "body": SAMPLE["body_summary_th"],
        "closing": SAMPLE["closing"],
        "signer_name": SAMPLE["signer"]["name"],
        "signer_position": SAMPLE["signer"]["position"],
        "owning_unit": SAMPLE["owning_unit"],
        "phone": SAMPLE["phone"],
        "email": SAMPLE["email"],
        "urgency": SAMPLE["urgency"],
        "secrecy": SAMPLE["secrecy"],
    }
    values.update(overrides)
    return LetterFields(**values)


def sample_reference() -> ReferenceInput:
    return ReferenceInput(
        number_text=REFERENCE["number_display_thai"],
        date=datetime.date.fromisoformat(REFERENCE["date"]),
        subject=REFERENCE["subject"],
    )


@pytest.fixture
def dga(db: None) -> Agency:
    return make_agency(
        "dga",
        name_th="สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)",
        abbreviation="สพร.",
        ministry_letter_code="นร",
        unit_number="5400",
    )


def drafted_events():
    return AuditEvent.objects.filter(action="letters.letter.drafted")


def test_alice_drafts_the_etda_sample_and_every_field_is_kept(etda, soc, dga, alice):
    parts = LetterParts(
        recipients=[
            RecipientInput(agency=soc, addressee=SAMPLE["addressee"]["position"]),
            RecipientInput(agency=dga, role=RecipientRole.CC, addressee="ผู้อำนวยการ"),
        ],
        references=[sample_reference()],
    )

    letter = letter_create_draft(agency=etda, actor=alice, values=sample_fields(), parts=parts)

    stored = Letter.objects.get(pk=letter.pk)
    assert (stored.agency, stored.sender_agency, stored.created_by) == (etda, etda, alice)
    assert (stored.direction, stored.status) == (Direction.OUTGOING, LetterStatus.DRAFT)
    assert stored.subject == SAMPLE["subject"]
    assert stored.signer_position == (
        "รองผู้อำนวยการ ปฏิบัติหน้าที่แทน ผู้อำนวยการสำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"
    )
    assert stored.signer_name == "นายชัยชนะ มิตรพันธ์"
    assert stored.addressee == "เลขาธิการคณะรัฐมนตรี"
    assert stored.body == SAMPLE["body_summary_th"]
    assert (stored.salutation, stored.closing) == ("เรียน", "ขอแสดงความนับถือ")
    assert stored.owning_unit == "สำนักกฎหมาย"
    assert (stored.phone, stored.email) == ("0 2123 1234 ต่อ 90700", "ictlawcenter@eta.or.th")
    assert stored.letter_date == datetime.date(2020, 4, 22)
    assert (stored.urgency, stored.secrecy) == (Urgency.MOST_URGENT, Secrecy.NONE)
    assert (stored.running_number, stored.number_year) == (None, None)
    assert stored.number_display() == ""

    assert [(r.agency, r.role, r.addressee, r.position) for r in stored.recipients.all()] == [
        (soc, RecipientRole.TO, "เลขาธิการคณะรัฐมนตรี", 0),
        (dga, RecipientRole.CC, "ผู้อำนวยการ", 1),
    ]
    [reference] = stored.references.all()
    assert reference.number_text == "นร ๐๕๐๖/ว(ล) ๑๑๕๖๑"
    assert reference.date == datetime.date(2020, 4, 15)
    assert reference.subject == "ขอความเห็นประกอบการพิจารณาของคณะรัฐมนตรี (เรื่องที่ ๓)"

    [event] = drafted_events()
    assert (event.actor_user, event.actor_label, event.agency) == (alice, "user:alice", etda)
    assert (event.target_type, event.target_id) == ("letters.letter", str(letter.pk))
    assert event.before is None
    assert event.after["subject"] == SAMPLE["subject"]
    assert event.after["urgency"] == "004"
    assert event.after["signer_position"] == stored.signer_position


def test_number_codes_default_from_alices_agency(etda, alice):
    letter = letter_create_draft(agency=etda, actor=alice, values=sample_fields())

    stored = Letter.objects.get(pk=letter.pk)
    assert (stored.ministry_code, stored.sub_agency_code, stored.unit_number) == (
        "ดศ",
        "สพขอ",
        "511.04",
    )


def test_codes_given_by_alice_override_the_agency_and_an_empty_sub_agency_stays_empty(etda, alice):
    letter = letter_create_draft(
        agency=etda,
        actor=alice,
        values=sample_fields(ministry_code="นร", sub_agency_code="", unit_number="0506.1"),
    )

    stored = Letter.objects.get(pk=letter.pk)
    assert (stored.ministry_code, stored.sub_agency_code, stored.unit_number) == (
        "นร",
        "",
        "0506.1",
    )


def test_the_same_client_token_twice_returns_the_first_draft(etda, alice):
    first = letter_create_draft(
        agency=etda, actor=alice, values=sample_fields(), client_token="form-7f3a9c"
    )
    again = letter_create_draft(
        agency=etda,
        actor=alice,
        values=sample_fields(subject="ส่งซ้ำจากการกดปุ่มสองครั้ง"),
        client_token="form-7f3a9c",
    )

    assert again.pk == first.pk
    assert Letter.objects.count() == 1
    assert Letter.objects.get().subject == SAMPLE["subject"]
    assert drafted_events().count() == 1


def test_bobs_agency_may_use_the_same_client_token_as_alices(etda, soc, alice, bob):
    mine = letter_create_draft(agency=etda, actor=alice, values=sample_fields(), client_token="t-1")
    theirs = letter_create_draft(
        agency=soc, actor=bob, values=sample_fields(subject="เรื่องของ สลค."), client_token="t-1"
    )

    assert mine.pk != theirs.pk
    assert Letter.objects.get(pk=theirs.pk).agency == soc
    assert drafted_events().count() == 2


def test_a_top_secret_draft_is_refused_and_nothing_is_written(etda, soc, alice):
    with pytest.raises(TopSecretRefused) as raised:
        letter_create_draft(
            agency=etda,
            actor=alice,
            values=sample_fields(secrecy=Secrecy.TOP_SECRET),
            parts=LetterParts(recipients=[RecipientInput(agency=soc)]),
        )

    assert raised.value.code == "letters.top_secret_refused"
    assert not Letter.objects.exists()
    assert not LetterRecipient.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_same_agency_twice_among_recipients_is_refused(etda, soc, alice):
    parts = LetterParts(
        recipients=[RecipientInput(agency=soc), RecipientInput(agency=soc, role=RecipientRole.CC)],
        references=[sample_reference()],
    )

    with pytest.raises(LetterInvalid) as raised:
        letter_create_draft(agency=etda, actor=alice, values=sample_fields(), parts=parts)

    assert raised.value.code == "letters.invalid"
    assert "recipients" in raised.value.details
    assert not Letter.objects.exists()
    assert not LetterRecipient.objects.exists()
    assert not LetterReference.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_inactive_recipient_agency_is_refused(etda, soc, dga, alice):
    dga.is_active = False
    dga.save()
    parts = LetterParts(recipients=[RecipientInput(agency=soc), RecipientInput(agency=dga)])

    with pytest.raises(LetterInvalid) as raised:
        letter_create_draft(agency=etda, actor=alice, values=sample_fields(), parts=parts)

    assert raised.value.code == "letters.invalid"
    assert "recipients" in raised.value.details
    assert not Letter.objects.exists()
    assert not LetterRecipient.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_invalid_field_is_refused_with_the_field_named(etda, alice):
    with pytest.raises(LetterInvalid) as raised:
        letter_create_draft(
            agency=etda, actor=alice, values=sample_fields(email="ไม่ใช่อีเมล", urgency="009")
        )

    assert raised.value.code == "letters.invalid"
    assert set(raised.value.details["fields"]) >= {"email", "urgency"}
    assert not Letter.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_unit_number_typed_in_thai_digits_is_refused_when_drafting(etda, alice):
    with pytest.raises(LetterInvalid) as raised:
        letter_create_draft(agency=etda, actor=alice, values=sample_fields(unit_number="๕๑๑.๐๔"))

    assert raised.value.code == "letters.invalid"


def test_numbering_a_draft_whose_parts_do_not_form_a_number_consumes_no_number(etda, alice):
    # A row written around the service (admin, an old import): numbering must fail with a
    # coded error without spending a number or changing the letter.
    letter = Letter.objects.create(
        agency=etda,
        sender_agency=etda,
        direction=Direction.OUTGOING,
        subject=SAMPLE["subject"],
        ministry_code="ดศ",
        unit_number="๕๑๑.๐๔",
    )

    with pytest.raises(LetterInvalid) as raised:
        letter_allocate_number(letter=letter, actor=alice)

    assert raised.value.code == "letters.invalid"
    letter.refresh_from_db()
    assert (letter.status, letter.running_number) == (LetterStatus.DRAFT, None)
    assert not RegisterEntry.objects.exists()
    assert not RegisterCounter.objects.filter(last_number__gt=0).exists()
    assert not AuditEvent.objects.filter(action="letters.letter.numbered").exists()


def test_alice_updates_her_draft_and_the_audit_row_has_before_and_after(
    hosted, etda, soc, dga, alice
):
    letter = letter_create_draft(
        agency=etda,
        actor=alice,
        values=sample_fields(),
        parts=LetterParts(recipients=[RecipientInput(agency=soc)]),
    )

    updated = letter_update_draft(
        letter=letter,
        actor=alice,
        values=sample_fields(
            subject="ขอส่งความเห็นเพิ่มเติม (ฉบับแก้ไข)",
            urgency=Urgency.VERY_URGENT,
            secrecy=Secrecy.CONFIDENTIAL,
        ),
        parts=LetterParts(
            recipients=[RecipientInput(agency=dga), RecipientInput(agency=soc)],
            references=[sample_reference()],
        ),
    )

    assert updated.pk == letter.pk
    stored = Letter.objects.get(pk=letter.pk)
    # Now ลับ: the row keeps the placeholder, the subject is sealed (letters/services/sealed.py).
    assert stored.subject == "หนังสือลับ"
    assert sealed_read(stored).fields["subject"] == "ขอส่งความเห็นเพิ่มเติม (ฉบับแก้ไข)"
    assert (stored.urgency, stored.secrecy) == ("003", "002")
    assert stored.status == LetterStatus.DRAFT
    assert [r.agency for r in stored.recipients.all()] == [dga, soc]
    assert stored.references.count() == 1
    [event] = AuditEvent.objects.filter(action="letters.letter.updated")
    assert (event.actor_user, event.agency, event.target_id) == (alice, etda, str(letter.pk))
    assert event.before["subject"] == SAMPLE["subject"]
    # Now ลับ: its content stays out of the audit trail (docs/security.md, "Secret letters").
    assert event.after["subject"] == "[ลับ]"
    assert (event.before["urgency"], event.after["urgency"]) == ("004", "003")
    assert (event.before["secrecy"], event.after["secrecy"]) == ("001", "002")


def test_an_update_without_parts_keeps_the_recipients_and_references(etda, soc, alice):
    letter = letter_create_draft(
        agency=etda,
        actor=alice,
        values=sample_fields(),
        parts=LetterParts(recipients=[RecipientInput(agency=soc)], references=[sample_reference()]),
    )

    letter_update_draft(letter=letter, actor=alice, values=sample_fields(body="ข้อความใหม่"))

    stored = Letter.objects.get(pk=letter.pk)
    assert stored.body == "ข้อความใหม่"
    assert [r.agency for r in stored.recipients.all()] == [soc]
    assert [r.number_text for r in stored.references.all()] == ["นร ๐๕๐๖/ว(ล) ๑๑๕๖๑"]


def test_an_update_to_top_secret_is_refused_and_the_draft_is_unchanged(etda, alice):
    letter = letter_create_draft(agency=etda, actor=alice, values=sample_fields())

    with pytest.raises(TopSecretRefused):
        letter_update_draft(
            letter=letter,
            actor=alice,
            values=sample_fields(subject="เปลี่ยนแล้ว", secrecy=Secrecy.TOP_SECRET),
        )

    stored = Letter.objects.get(pk=letter.pk)
    assert (stored.subject, stored.secrecy) == (SAMPLE["subject"], Secrecy.NONE)
    assert not AuditEvent.objects.filter(action="letters.letter.updated").exists()


def test_a_numbered_letter_cannot_be_updated(etda, soc, alice):
    letter = letter_create_draft(
        agency=etda,
        actor=alice,
        values=sample_fields(),
        parts=LetterParts(recipients=[RecipientInput(agency=soc)]),
    )
    letter_allocate_number(letter=letter, actor=alice)

    with pytest.raises(LetterNotEditable) as raised:
        letter_update_draft(letter=letter, actor=alice, values=sample_fields(subject="แก้หลังออกเลข"))

    assert raised.value.code == "letters.not_editable"
    stored = Letter.objects.get(pk=letter.pk)
    assert (stored.subject, stored.status) == (SAMPLE["subject"], LetterStatus.NUMBERED)
    assert not AuditEvent.objects.filter(action="letters.letter.updated").exists()


def _wait_until_a_backend_waits_on_a_lock(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second post never waited for the first one's row")


@pytest.mark.django_db(transaction=True)
def test_a_second_post_racing_the_first_gets_the_first_draft(on_postgres, etda, alice) -> None:
    first_inserted = threading.Event()
    release_first = threading.Event()
    outcome: dict[str, Any] = {}

    def first_post() -> None:
        # The first request, caught between its INSERT and its COMMIT.
        try:
            with transaction.atomic():
                outcome["first"] = Letter.objects.create(
                    agency=etda,
                    sender_agency=etda,
                    direction=Direction.OUTGOING,
                    subject=SAMPLE["subject"],
                    ministry_code="ดศ",
                    client_token="form-race",
                )
                first_inserted.set()
                release_first.wait(timeout=30)
        finally:
            connections.close_all()

    def second_post() -> None:
        try:
            outcome["second"] = letter_create_draft(
                agency=etda, actor=alice, values=sample_fields(), client_token="form-race"
            )
        except Exception as exc:
            outcome["second"] = exc
        finally:
            connections.close_all()

    first = threading.Thread(target=first_post)
    first.start()
    assert first_inserted.wait(timeout=30)
    second = threading.Thread(target=second_post)
    second.start()
    try:
        _wait_until_a_backend_waits_on_a_lock()
    finally:
        release_first.set()
        first.join(timeout=30)
        second.join(timeout=30)

    assert not isinstance(outcome["second"], Exception), outcome["second"]
    assert outcome["second"].pk == outcome["first"].pk
    assert Letter.objects.filter(client_token="form-race").count() == 1
