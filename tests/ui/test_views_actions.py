"""What Bob (สลค.) does to a letter from Alice (สพธอ.): ลงรับ, refuse, endorse, assign.

Each test asserts the page, the persisted state, the audit rows and the acknowledgement sent
back; double submissions must leave one object.
"""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from agencies.models import AgencyRole
from audit.models import AuditEvent
from exchange.envelope import MessageType
from exchange.models import Delivery, DeliveryStatus
from letters.models import (
    Assignment,
    AttachmentRole,
    Endorsement,
    LetterStatus,
    RegisterEntry,
    RegisterKind,
    Urgency,
)
from tests.conftest import make_user

from .conftest import deliver_acknowledgements, send_letter
from .test_stamp import flat


@pytest.fixture
def arrived(hosted, alice, etda, soc):
    return send_letter(etda, soc, alice, urgency=Urgency.MOST_URGENT)


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


def acknowledgements(kind: MessageType):
    return Delivery.objects.filter(message_type=kind.value)


def test_one_click_registers_allocates_the_number_and_tells_alice(bob_client, arrived, etda):
    response = bob_client.post(reverse("letter-register", args=[arrived.pk]), follow=True)

    entry = RegisterEntry.objects.get(letter=arrived, register=RegisterKind.RECEIVE)
    arrived.refresh_from_db()
    assert arrived.status == LetterStatus.REGISTERED
    assert entry.number == 1
    page = response.content.decode()
    assert "ลงรับแล้ว เลขรับ ๑" in page
    assert "data-receive-number>๑</span>" in page
    assert reverse("letter-stamped", args=[arrived.pk]) in page
    assert AuditEvent.objects.filter(
        action="letters.letter.registered", target_id=str(arrived.pk)
    ).exists()
    [registration] = acknowledgements(MessageType.REGISTRATION)
    assert registration.recipient == etda

    assert deliver_acknowledgements() == ["delivered"]
    sent = Delivery.objects.get(message_type="letter", recipient=arrived.agency)
    assert sent.status == DeliveryStatus.REGISTERED
    assert sent.receive_number == "1"


def test_registering_twice_is_one_number_and_one_acknowledgement(bob_client, arrived):
    url = reverse("letter-register", args=[arrived.pk])

    bob_client.post(url)
    again = bob_client.post(url, follow=True)

    assert again.status_code == 200
    assert RegisterEntry.objects.filter(letter=arrived).count() == 1
    assert acknowledgements(MessageType.REGISTRATION).count() == 1


def test_the_stamped_pdf_carries_agency_number_date_and_time(bob_client, arrived):
    bob_client.post(reverse("letter-register", args=[arrived.pk]))
    original = arrived.attachments.get(role=AttachmentRole.MAIN).file.read()

    response = bob_client.get(reverse("letter-stamped", args=[arrived.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    data = b"".join(response.streaming_content)
    assert data.startswith(original)  # an incremental update: the sender's bytes untouched
    text = flat(PdfReader(io.BytesIO(data)).pages[0].extract_text())
    assert "สำนักเลขาธิการคณะรัฐมนตรี" in text
    assert "เลขรับ๑" in text
    assert re.search(r"วันที่[๐-๙]+[ก-๙]+๒[๐-๙]{3}", text)
    assert re.search(r"เวลา[๐-๙]+\.[๐-๙]{2}น\.", text)


def test_no_stamp_before_registration(bob_client, arrived):
    assert bob_client.get(reverse("letter-stamped", args=[arrived.pk])).status_code == 404


def test_a_main_file_that_cannot_be_stamped_offers_the_stamp_sheet(
    bob_client, hosted, alice, etda, soc
):
    broken = send_letter(etda, soc, alice, subject="ไฟล์เสีย", pdf=b"%PDF-1.4\n% damaged\n%%EOF\n")
    bob_client.post(reverse("letter-register", args=[broken.pk]))

    response = bob_client.get(reverse("letter-stamped", args=[broken.pk]), follow=True)
    sheet = bob_client.get(reverse("letter-stamp-sheet", args=[broken.pk]))

    assert "ใบตรารับ" in response.content.decode()
    assert sheet.status_code == 200
    text = flat(PdfReader(io.BytesIO(b"".join(sheet.streaming_content))).pages[0].extract_text())
    assert "เลขรับ๑" in text


def test_a_refusal_needs_a_reason_said_in_thai(bob_client, arrived):
    response = bob_client.post(
        reverse("letter-refuse", args=[arrived.pk]), {"outcome": "rejected", "reason": "  "}
    )

    assert response.status_code == 400
    assert "ระบุเหตุผล" in response.content.decode()
    arrived.refresh_from_db()
    assert arrived.status == LetterStatus.RECEIVED
    assert not acknowledgements(MessageType.REJECTION).exists()


@pytest.mark.parametrize(
    ("outcome", "kind", "delivery_status"),
    [
        (LetterStatus.REJECTED, MessageType.REJECTION, DeliveryStatus.REJECTED),
        (LetterStatus.WRONG_RECIPIENT, MessageType.WRONG_RECIPIENT, DeliveryStatus.WRONG_RECIPIENT),
    ],
)
def test_bob_refuses_with_a_reason_and_alice_sees_it(
    bob_client, arrived, outcome, kind, delivery_status
):
    url = reverse("letter-refuse", args=[arrived.pk])
    form = {"outcome": outcome, "reason": "ไม่ใช่เรื่องในอำนาจหน้าที่", "form_token": "a" * 32}

    first = bob_client.post(url, form, follow=True)
    twice = bob_client.post(url, form, follow=True)

    arrived.refresh_from_db()
    assert arrived.status == outcome
    assert acknowledgements(kind).count() == 1
    assert AuditEvent.objects.filter(action=f"letters.letter.{outcome}").count() == 1
    assert "message success" in first.content.decode()
    assert "ไม่มีการส่งซ้ำ" in twice.content.decode()
    deliver_acknowledgements()
    sent = Delivery.objects.get(message_type="letter")
    assert (sent.status, sent.reason) == (delivery_status, "ไม่ใช่เรื่องในอำนาจหน้าที่")


def test_a_registered_letter_cannot_be_refused_and_the_clerk_is_told_why(bob_client, arrived):
    bob_client.post(reverse("letter-register", args=[arrived.pk]))

    response = bob_client.post(
        reverse("letter-refuse", args=[arrived.pk]),
        {"outcome": "rejected", "reason": "ช้าไป"},
        follow=True,
    )

    assert "ลงรับได้เฉพาะหนังสือรับที่มีสถานะได้รับแล้วเท่านั้น" in response.content.decode()
    assert not acknowledgements(MessageType.REJECTION).exists()


def test_an_endorsement_is_saved_once_however_often_the_form_is_posted(bob_client, bob, arrived):
    url = reverse("letter-endorse", args=[arrived.pk])
    form = {"text": "เรียน ผอ.สำนักกฎหมาย เพื่อโปรดพิจารณา", "form_token": "b" * 32}

    bob_client.post(url, form)
    response = bob_client.post(url, form, follow=True)

    [endorsement] = Endorsement.objects.filter(letter=arrived)
    assert (endorsement.text, endorsement.author) == (form["text"], bob)
    assert form["text"] in response.content.decode()
    assert AuditEvent.objects.filter(action="letters.letter.endorsed").count() == 1


def test_an_empty_endorsement_is_refused_in_thai(bob_client, arrived):
    response = bob_client.post(reverse("letter-endorse", args=[arrived.pk]), {"text": ""})

    assert response.status_code == 400
    assert "เขียนข้อความเกษียน" in response.content.decode()
    assert not Endorsement.objects.exists()


def test_bob_assigns_the_letter_to_a_colleague(bob_client, bob, arrived, soc):
    colleague = make_user("chai", (soc, AgencyRole.CLERK))
    colleague.first_name, colleague.last_name = "ชัย", "ใจดี"
    colleague.save()
    url = reverse("letter-assign", args=[arrived.pk])
    form = {"assignee": colleague.pk, "note": "ดำเนินการด่วน", "form_token": "c" * 32}

    bob_client.post(url, form)
    response = bob_client.post(url, form, follow=True)

    [assignment] = Assignment.objects.filter(letter=arrived)
    assert (assignment.assignee, assignment.assigned_by, assignment.note) == (
        colleague,
        bob,
        "ดำเนินการด่วน",
    )
    assert "data-assignee>ชัย ใจดี</strong>" in response.content.decode()
    event = AuditEvent.objects.get(action="letters.letter.assigned")
    assert event.after == {"assignee": "chai", "note": "ดำเนินการด่วน"}


def test_a_letter_cannot_be_assigned_outside_the_agency(bob_client, arrived, alice):
    response = bob_client.post(reverse("letter-assign", args=[arrived.pk]), {"assignee": alice.pk})

    assert response.status_code == 400
    assert "ต้องเป็นสมาชิกของส่วนราชการ" in response.content.decode()
    assert not Assignment.objects.exists()


def test_forms_without_javascript_still_post_once_per_token(bob_client, arrived):
    """No token (an old page, a script): each post counts, as the clerk asked."""
    url = reverse("letter-endorse", args=[arrived.pk])

    bob_client.post(url, {"text": "ข้อความที่หนึ่ง"})
    bob_client.post(url, {"text": "ข้อความที่สอง"})

    assert Endorsement.objects.filter(letter=arrived).count() == 2
