"""Sending through the API and following each copy: send, the outbox, the deliveries with
their attempts and acknowledgements, idempotent sending, and the whole way round.

ETDA and SOC are both hosted here with their keys on the hub. Deliveries are tried by calling
the Celery task's body (``delivery_attempt``) directly, as tests/exchange does; the worker
itself is covered by tests/exchange/test_delivery_worker.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agencies.models import AgencyRole
from audit.models import AuditEvent
from exchange.envelope import MessageType
from exchange.models import Delivery, DeliveryAttempt, DeliveryStatus
from exchange.services.acknowledgements import incoming_letter_refuse, incoming_letter_register
from letters.models import Direction, Letter, LetterStatus, RegisterEntry, RegisterKind
from tests.conftest import make_agency, make_user

from .outgoing_support import (
    PDF,
    PDF_NAME,
    SUBJECT,
    deliver,
    deliver_pending,
    host_with_keys,
    letter_metadata,
    sha256,
)

LETTERS = "/api/v1/letters"


@pytest.fixture
def hosted(etda, soc, settings, tmp_path: Path):
    settings.MEDIA_ROOT = tmp_path
    return host_with_keys(etda, soc)


@pytest.fixture
def bob(soc):
    """SOC's saraban clerk, who registers or refuses what arrives."""
    return make_user("bob", (soc, AgencyRole.CLERK))


def create(client, **overrides):
    response = client.post(LETTERS, letter_metadata(**overrides), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def create_with_pdf(client):
    response = client.post(
        LETTERS,
        {
            "metadata": json.dumps(letter_metadata(), ensure_ascii=False),
            "main": SimpleUploadedFile(PDF_NAME, PDF, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def socs_copy() -> Letter:
    return Letter.objects.get(agency__key="soc", direction=Direction.INCOMING)


# -- Send --------------------------------------------------------------------------------------


def test_etdas_system_sends_and_gets_one_queued_copy_per_recipient(
    etda_system, etda_key, etda, soc, hosted
):
    make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)")
    letter = create(
        etda_system,
        recipients=[{"agency": "soc"}, {"agency": "dga", "role": "cc"}],
    )

    response = etda_system.post(f"{LETTERS}/{letter['id']}/send")

    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["id"], body["status"]) == (letter["id"], "sent")
    assert body["number"] == "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑"  # numbered on the way out
    assert sorted((d["recipient"]["key"], d["status"]) for d in body["deliveries"]) == [
        ("dga", "queued"),
        ("soc", "queued"),
    ]
    assert {d["message_type"] for d in body["deliveries"]} == {"letter"}
    stored = Letter.objects.get(pk=letter["id"])
    assert stored.status == LetterStatus.SENT
    deliveries = Delivery.objects.filter(letter=stored, message_type="letter")
    assert sorted(d.pk for d in deliveries) == sorted(d["id"] for d in body["deliveries"])
    assert {d.sender for d in deliveries} == {etda}
    [sent] = AuditEvent.objects.filter(action="letters.letter.sent")
    assert sent.actor_label == f"apikey:{etda_key.api_key.prefix}"
    assert sorted(sent.after["recipients"]) == ["dga", "soc"]
    assert AuditEvent.objects.filter(action="exchange.delivery.queued").count() == 2
    assert RegisterEntry.objects.filter(letter=stored, register=RegisterKind.DISPATCH).count() == 1


def test_sending_twice_with_one_idempotency_key_sends_once_and_answers_the_same(
    etda_system, hosted
):
    letter = create(etda_system)
    url = f"{LETTERS}/{letter['id']}/send"

    first = etda_system.post(url, HTTP_IDEMPOTENCY_KEY="send-2569-0001")
    again = etda_system.post(url, HTTP_IDEMPOTENCY_KEY="send-2569-0001")

    assert first.status_code == again.status_code == 202
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert (first["Idempotent-Replayed"], again["Idempotent-Replayed"]) == ("false", "true")
    assert Delivery.objects.filter(message_type="letter").count() == 1
    assert AuditEvent.objects.filter(action="letters.letter.sent").count() == 1
    assert AuditEvent.objects.filter(action="exchange.delivery.queued").count() == 1


def test_a_repeated_create_with_one_idempotency_key_is_one_draft(etda_system, etda, hosted):
    body = letter_metadata()

    key = "6f1d7c2e-5b8a-4e0f-9a51-2b3c4d5e6f70"
    first = etda_system.post(LETTERS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = etda_system.post(LETTERS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == again.status_code == 201
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Letter.objects.filter(agency=etda).count() == 1


def test_a_letter_without_recipients_cannot_be_sent(etda_system, hosted):
    letter = create(etda_system, recipients=[])

    response = etda_system.post(f"{LETTERS}/{letter['id']}/send")

    assert response.status_code == 409
    assert response.json()["code"] == "exchange.not_sendable"
    assert Letter.objects.get(pk=letter["id"]).status == LetterStatus.DRAFT
    assert not Delivery.objects.exists()
    assert not RegisterEntry.objects.exists()  # numbering rolled back with the refusal


def test_without_the_agencys_key_on_the_hub_nothing_is_sent(etda_system, etda, soc, db):
    letter = create(etda_system)

    response = etda_system.post(f"{LETTERS}/{letter['id']}/send")

    assert response.status_code == 409
    assert response.json()["code"] == "pki.no_signing_key"
    assert Letter.objects.get(pk=letter["id"]).status == LetterStatus.DRAFT
    assert not Delivery.objects.exists()


# -- Outbox ------------------------------------------------------------------------------------


def test_the_outbox_lists_newest_first_with_each_recipients_status(etda_system, soc_system, hosted):
    sent = create(etda_system, subject="หนังสือฉบับแรก ที่ส่งแล้ว")
    etda_system.post(f"{LETTERS}/{sent['id']}/send")
    draft = create(etda_system, subject="ร่างหนังสือ ยังไม่ส่ง")
    [delivery] = Delivery.objects.all()
    assert deliver(delivery.pk) == "delivered"

    response = etda_system.get("/api/v1/outbox")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [draft["id"], sent["id"]]
    assert results[0]["deliveries"] == []
    [copy] = results[1]["deliveries"]
    assert copy["recipient"]["key"] == "soc"
    assert (copy["status"], copy["attempt_count"], copy["last_error_code"]) == (
        "delivered",
        1,
        "",
    )
    assert copy["receive_number"] == ""
    assert results[1]["number"] == "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑"
    # SOC's outbox holds nothing of ETDA's.
    assert soc_system.get("/api/v1/outbox").json()["results"] == []


def test_the_outbox_pages_with_a_cursor(etda_system, hosted):
    ids = [create(etda_system, subject=f"หนังสือฉบับที่ {n}")["id"] for n in "๑๒๓"]

    first = etda_system.get("/api/v1/outbox", {"page_size": 2}).json()
    second = etda_system.get(first["next"]).json()

    assert [r["id"] for r in first["results"] + second["results"]] == ids[::-1]
    assert second["next"] is None


# -- Deliveries --------------------------------------------------------------------------------


def test_each_copy_shows_its_attempts_and_the_signed_receipt(etda_system, hosted):
    letter = create_with_pdf(etda_system)
    [delivery] = etda_system.post(f"{LETTERS}/{letter['id']}/send").json()["deliveries"]
    assert deliver(delivery["id"]) == "delivered"

    response = etda_system.get(f"{LETTERS}/{letter['id']}/deliveries")

    assert response.status_code == 200
    [copy] = response.json()["results"]
    assert (copy["id"], copy["status"], copy["recipient"]["key"]) == (
        delivery["id"],
        "delivered",
        "soc",
    )
    assert copy["delivered_at"] is not None
    [attempt] = copy["attempts"]
    assert (attempt["transport"], attempt["succeeded"], attempt["permanent"]) == (
        "hosted",
        True,
        False,
    )
    [receipt] = copy["acknowledgements"]
    assert (receipt["message_type"], receipt["sent_by"]) == ("receipt", "recipient")
    delivered = AuditEvent.objects.get(action="exchange.delivery.delivered")
    assert receipt["message_id"] == delivered.after["receipt"]
    assert DeliveryAttempt.objects.filter(delivery_id=delivery["id"]).count() == 1


def test_a_refusal_shows_its_reason(etda_system, bob, hosted):
    letter = create(etda_system)
    etda_system.post(f"{LETTERS}/{letter['id']}/send")
    deliver_pending()
    incoming_letter_refuse(
        letter=socs_copy(),
        status=LetterStatus.WRONG_RECIPIENT,
        reason="ส่งผิดส่วนราชการ เรื่องนี้อยู่ในอำนาจของสำนักงาน ก.พ.",
        actor=bob,
    )
    deliver_pending()

    [copy] = etda_system.get(f"{LETTERS}/{letter['id']}/deliveries").json()["results"]

    assert copy["status"] == "wrong_recipient"
    assert copy["reason"] == "ส่งผิดส่วนราชการ เรื่องนี้อยู่ในอำนาจของสำนักงาน ก.พ."
    kinds = [(a["message_type"], a["reason"]) for a in copy["acknowledgements"]]
    assert kinds == [
        ("receipt", ""),
        ("wrong-recipient", "ส่งผิดส่วนราชการ เรื่องนี้อยู่ในอำนาจของสำนักงาน ก.พ."),
    ]


# -- The whole way round -----------------------------------------------------------------------


def test_etda_sends_a_pdf_letter_soc_registers_it_and_etda_sees_the_receive_number(
    etda_system, soc_system, bob, etda, soc, hosted
):
    # ETDA's system drafts the letter with its signed PDF, numbers it and sends it.
    letter = create_with_pdf(etda_system)
    numbered = etda_system.post(f"{LETTERS}/{letter['id']}/number").json()
    assert numbered["number"] == "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑"
    sent = etda_system.post(f"{LETTERS}/{letter['id']}/send")
    assert sent.status_code == 202
    assert sent.json()["number"] == numbered["number"]  # sending kept the number it had
    [delivery] = sent.json()["deliveries"]

    # The hub hands the envelope to SOC (hosted here): SOC files its own verified copy.
    assert deliver(delivery["id"]) == "delivered"
    copy = socs_copy()
    assert (copy.subject, copy.number_text) == (SUBJECT, numbered["number"])
    [pdf] = copy.attachments.all()
    assert (pdf.name, pdf.sha256) == (PDF_NAME, sha256(PDF))

    # SOC's clerk registers it (ลงรับ); the signed registration travels back to ETDA.
    entry = incoming_letter_register(letter=copy, actor=bob)
    registration = Delivery.objects.get(message_type=MessageType.REGISTRATION.value)
    assert deliver(registration.pk) == "delivered"

    response = etda_system.get(f"{LETTERS}/{letter['id']}/deliveries")

    [copy_state] = response.json()["results"]
    assert copy_state["status"] == "registered"
    assert copy_state["receive_number"] == str(entry.number)
    assert copy_state["registered_at"] is not None
    ladder = [(a["message_type"], a["receive_number"]) for a in copy_state["acknowledgements"]]
    assert ladder == [("receipt", ""), ("registration", str(entry.number))]
    assert copy_state["acknowledgements"][1]["message_id"] == str(registration.message_id)
    outbox = etda_system.get("/api/v1/outbox").json()["results"]
    assert outbox[0]["deliveries"][0]["receive_number"] == str(entry.number)
    stored = Delivery.objects.get(pk=delivery["id"])
    assert (stored.status, stored.receive_number) == (DeliveryStatus.REGISTERED, str(entry.number))
    # SOC's system sees neither ETDA's letter nor ETDA's delivery; ETDA not SOC's copy.
    assert soc_system.get(f"{LETTERS}/{letter['id']}").status_code == 404
    assert soc_system.get(f"/api/v1/deliveries/{delivery['id']}").status_code == 404
    assert etda_system.get(f"{LETTERS}/{copy.pk}").status_code == 404
