"""One delivery at a time through the API: read, redrive, withdraw, resend, dispute.

ETDA's system acts on ETDA's copies; SOC's system, although each copy is addressed to SOC,
reaches none of them. Deliveries are tried by calling ``delivery_attempt`` directly.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.db.models import F
from django.utils import timezone

from agencies.models import AgencyRole
from audit.models import AuditEvent
from exchange.envelope import MessageType
from exchange.models import Delivery, DeliveryStatus
from exchange.services.acknowledgements import incoming_letter_refuse, incoming_letter_register
from letters.models import Direction, Letter, LetterStatus
from tests.conftest import make_user

from .outgoing_support import deliver, deliver_pending, host_with_keys, letter_metadata

DELIVERIES = "/api/v1/deliveries"
REASON = "ส่งใหม่พร้อมสิ่งที่ส่งมาด้วย ๒ รายการ"


@pytest.fixture
def hosted(etda, soc, settings, tmp_path: Path):
    settings.MEDIA_ROOT = tmp_path
    return host_with_keys(etda, soc)


@pytest.fixture
def bob(soc):
    return make_user("bob", (soc, AgencyRole.CLERK))


@pytest.fixture
def sent(etda_system, hosted):
    """ETDA's letter to SOC, sent through the API and not yet tried."""
    letter = etda_system.post("/api/v1/letters", letter_metadata(), format="json").json()
    [delivery] = etda_system.post(f"/api/v1/letters/{letter['id']}/send").json()["deliveries"]
    return Delivery.objects.get(pk=delivery["id"])


@pytest.fixture
def expired(sent):
    """The copy's time-to-live ran out before it could be handed over."""
    # As if it had been queued one time-to-live (4 h for ด่วนที่สุด) and a second ago.
    shift = sent.expires_at - sent.created_at + datetime.timedelta(seconds=1)
    Delivery.objects.filter(pk=sent.pk).update(
        created_at=F("created_at") - shift, expires_at=F("expires_at") - shift
    )
    assert deliver(sent.pk) == "expired"
    sent.refresh_from_db()
    return sent


@pytest.fixture
def rejected(sent, bob):
    """SOC's clerk rejected the copy (ปฏิเสธ) and the rejection reached ETDA."""
    deliver_pending()
    copy = Letter.objects.get(agency__key="soc", direction=Direction.INCOMING)
    incoming_letter_refuse(
        letter=copy, status=LetterStatus.REJECTED, reason="ไม่มีสิ่งที่ส่งมาด้วยตามที่อ้าง", actor=bob
    )
    deliver_pending()
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.REJECTED
    return sent


@pytest.fixture
def registered(sent, bob):
    deliver_pending()
    copy = Letter.objects.get(agency__key="soc", direction=Direction.INCOMING)
    incoming_letter_register(letter=copy, actor=bob)
    deliver_pending()
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.REGISTERED
    return sent


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


# -- Read --------------------------------------------------------------------------------------


def test_etdas_system_reads_a_delivery(etda_system, sent):
    response = etda_system.get(f"{DELIVERIES}/{sent.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["message_id"], body["message_type"]) == (
        sent.pk,
        str(sent.message_id),
        "letter",
    )
    assert (body["status"], body["letter_id"]) == ("queued", sent.letter_id)
    assert body["recipient"] == {
        "key": "soc",
        "name_th": "สำนักเลขาธิการคณะรัฐมนตรี",
        "name_en": "Secretariat of the Cabinet",
        "abbreviation": "สลค.",
    }
    assert (body["attempts"], body["acknowledgements"]) == ([], [])


def test_soc_cannot_reach_etdas_delivery_though_it_is_addressed_to_soc(soc_system, sent):
    url = f"{DELIVERIES}/{sent.pk}"

    answers = [
        soc_system.get(url),
        soc_system.post(f"{url}/redrive"),
        soc_system.post(f"{url}/withdraw", {"reason": REASON}, format="json"),
        soc_system.post(f"{url}/resend"),
        soc_system.post(f"{url}/dispute", {"reason": REASON}, format="json"),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert {a.json()["code"] for a in answers} == {"api.not_found"}
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.QUEUED
    assert Delivery.objects.count() == 1


# -- Redrive -----------------------------------------------------------------------------------


def test_an_expired_copy_is_redriven_with_the_same_envelope(etda_system, etda_key, expired):
    envelope = bytes(expired.envelope)

    response = etda_system.post(f"{DELIVERIES}/{expired.pk}/redrive")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["last_error_code"]) == ("queued", "exchange.expired")
    assert body["message_id"] == str(expired.message_id)
    expired.refresh_from_db()
    assert expired.status == DeliveryStatus.QUEUED
    assert expired.expires_at > timezone.now() + datetime.timedelta(hours=3)
    assert bytes(expired.envelope) == envelope
    event = AuditEvent.objects.get(action="exchange.delivery.redriven")
    assert event.actor_label == f"apikey:{etda_key.api_key.prefix}"
    assert (event.before, event.after) == ({"status": "expired"}, {"status": "queued"})
    assert deliver(expired.pk) == "delivered"


def test_a_copy_still_in_play_is_not_redriven(etda_system, sent):
    response = etda_system.post(f"{DELIVERIES}/{sent.pk}/redrive")

    assert response.status_code == 409
    assert response.json()["code"] == "exchange.not_redrivable"
    assert not AuditEvent.objects.filter(action="exchange.delivery.redriven").exists()


# -- Withdraw and resend -----------------------------------------------------------------------


def test_a_rejected_copy_is_withdrawn_and_soc_is_told(etda_system, etda_key, rejected):
    response = etda_system.post(
        f"{DELIVERIES}/{rejected.pk}/withdraw", {"reason": REASON}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["reason"]) == ("withdrawn", REASON)
    assert [a["message_type"] for a in body["acknowledgements"]] == [
        "receipt",
        "rejection",
        "withdrawal",
    ]
    assert body["acknowledgements"][-1]["sent_by"] == "sender"
    rejected.refresh_from_db()
    assert rejected.status == DeliveryStatus.WITHDRAWN
    withdrawal = Delivery.objects.get(message_type=MessageType.WITHDRAWAL.value)
    assert (withdrawal.sender.key, withdrawal.recipient.key) == ("etda", "soc")
    event = AuditEvent.objects.get(action="exchange.delivery.withdrawn")
    assert event.actor_label == f"apikey:{etda_key.api_key.prefix}"
    assert event.after == {"status": "withdrawn", "reason": REASON}
    assert deliver(withdrawal.pk) == "delivered"
    copy = Letter.objects.get(agency__key="soc", direction=Direction.INCOMING)
    assert copy.status == LetterStatus.WITHDRAWN


def test_a_withdrawal_needs_a_reason(etda_system, rejected):
    response = etda_system.post(f"{DELIVERIES}/{rejected.pk}/withdraw", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["reason"]
    rejected.refresh_from_db()
    assert rejected.status == DeliveryStatus.REJECTED


def test_a_copy_still_in_play_cannot_be_withdrawn(etda_system, sent):
    response = etda_system.post(
        f"{DELIVERIES}/{sent.pk}/withdraw", {"reason": REASON}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "exchange.acknowledgement_out_of_order"
    assert not Delivery.objects.filter(message_type=MessageType.WITHDRAWAL.value).exists()


def test_a_withdrawn_copy_is_resent_under_a_new_message_id(etda_system, etda_key, rejected):
    etda_system.post(f"{DELIVERIES}/{rejected.pk}/withdraw", {"reason": REASON}, format="json")
    deliver_pending()

    response = etda_system.post(f"{DELIVERIES}/{rejected.pk}/resend")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == f"{DELIVERIES}/{body['id']}"
    assert body["id"] != rejected.pk
    assert body["message_id"] != str(rejected.message_id)
    assert (body["status"], body["letter_id"]) == ("queued", rejected.letter_id)
    event = AuditEvent.objects.get(action="letters.letter.resent")
    assert event.actor_label == f"apikey:{etda_key.api_key.prefix}"
    assert event.after == {"to": "soc", "replaces": str(rejected.message_id)}
    assert deliver(body["id"]) == "delivered"
    assert Letter.objects.filter(agency__key="soc", direction=Direction.INCOMING).count() == 2
    copies = etda_system.get(f"/api/v1/letters/{rejected.letter_id}/deliveries").json()
    assert [c["status"] for c in copies["results"]] == ["withdrawn", "delivered"]


def test_only_a_withdrawn_copy_is_resent(etda_system, rejected):
    response = etda_system.post(f"{DELIVERIES}/{rejected.pk}/resend")

    assert response.status_code == 409
    assert response.json()["code"] == "exchange.not_sendable"
    assert Delivery.objects.filter(message_type="letter").count() == 1


def test_resending_twice_with_one_idempotency_key_is_one_new_copy(etda_system, rejected):
    etda_system.post(f"{DELIVERIES}/{rejected.pk}/withdraw", {"reason": REASON}, format="json")
    url = f"{DELIVERIES}/{rejected.pk}/resend"

    first = etda_system.post(url, HTTP_IDEMPOTENCY_KEY="resend-soc-1")
    again = etda_system.post(url, HTTP_IDEMPOTENCY_KEY="resend-soc-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Delivery.objects.filter(message_type="letter").count() == 2


# -- Dispute -----------------------------------------------------------------------------------


def test_etda_disputes_the_receive_number_soc_reported(etda_system, etda_key, registered):
    response = etda_system.post(
        f"{DELIVERIES}/{registered.pk}/dispute",
        {"reason": "เลขรับ ๑ ซ้ำกับหนังสือฉบับอื่นที่ส่งไปก่อนหน้า"},
        format="json",
    )

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["message_type"] == "receive-number-dispute"
    assert (body["status"], body["recipient"]["key"]) == ("queued", "soc")
    assert response["Location"] == f"{DELIVERIES}/{body['id']}"
    event = AuditEvent.objects.get(action="exchange.delivery.receive_number_disputed")
    assert event.actor_label == f"apikey:{etda_key.api_key.prefix}"
    assert event.after == {
        "receive_number": registered.receive_number,
        "reason": "เลขรับ ๑ ซ้ำกับหนังสือฉบับอื่นที่ส่งไปก่อนหน้า",
    }
    assert deliver(body["id"]) == "delivered"
    assert AuditEvent.objects.filter(
        action="letters.letter.receive_number_disputed", agency__key="soc"
    ).exists()
    detail = etda_system.get(f"{DELIVERIES}/{registered.pk}").json()
    assert detail["acknowledgements"][-1] == {
        "message_type": "receive-number-dispute",
        "sent_by": "sender",
        "recorded_at": detail["acknowledgements"][-1]["recorded_at"],
        "message_id": None,
        "receive_number": registered.receive_number,
        "reason": "เลขรับ ๑ ซ้ำกับหนังสือฉบับอื่นที่ส่งไปก่อนหน้า",
    }


def test_only_a_registered_copy_is_disputed(etda_system, sent):
    response = etda_system.post(
        f"{DELIVERIES}/{sent.pk}/dispute", {"reason": "เลขรับผิด"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "exchange.acknowledgement_out_of_order"
    assert Delivery.objects.count() == 1
    assert "exchange.delivery.receive_number_disputed" not in actions()
