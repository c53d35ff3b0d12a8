"""The pull queue over the API: SOC's own e-saraban system (SOC in pull mode) leases what ETDA
sent it, downloads the envelope and the files, and acknowledges each item with the receipt it
signs with SOC's own key; ETDA's system never reaches SOC's items."""

from __future__ import annotations

import base64
import datetime
import hashlib

import pytest

from agencies.models import DeliveryMode
from audit.models import AuditEvent
from exchange.envelope import MessageType
from exchange.models import Delivery, DeliveryStatus
from exchange.services.outbox import delivery_attempt
from exchange.services.sending import letter_send
from tests.exchange.test_delivery_flow import PDF, _receipt_from_socs_own_system, draft_to


@pytest.fixture
def soc_pulls(soc, hosted):
    soc.delivery_mode = DeliveryMode.PULL
    soc.save()
    return soc


def queued_for_soc(alice, etda, soc, **fields) -> Delivery:
    """ETDA sends; the outbox parks the envelope for SOC's system to fetch."""
    [delivery] = letter_send(letter=draft_to(etda, soc, alice, **fields), actor=alice)
    assert delivery_attempt(delivery_id=delivery.pk) == "awaiting-pull"
    return delivery


@pytest.fixture
def queued(alice_sends, etda, soc_pulls) -> Delivery:
    return queued_for_soc(alice_sends, etda, soc_pulls)


def receipt_body(pki, delivery) -> dict[str, str]:
    receipt = _receipt_from_socs_own_system(pki, delivery)
    return {"receipt": base64.b64encode(receipt).decode("ascii")}


def fetch(client, **body):
    return client.post("/api/v1/pull/fetch", body, format="json")


def test_soc_leases_its_next_items_with_links_to_everything(soc_system, soc_key, queued, soc):
    response = fetch(soc_system, limit=5)

    assert response.status_code == 200, response.json()
    [item] = response.json()["items"]
    assert item["message_id"] == str(queued.message_id)
    assert item["message_type"] == "letter"
    assert item["sender"] == {"key": "etda", "name_th": "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"}
    assert item["status"] == "sending"
    assert item["envelope_sha256"] == queued.envelope_sha256
    assert item["envelope_url"] == f"http://testserver/api/v1/pull/{queued.message_id}/envelope"
    assert item["envelope_base64"] is None
    [file] = item["files"]
    assert file["name"] == "หนังสือเชิญประชุม.pdf"
    assert (file["size"], file["sha256"]) == (len(PDF), hashlib.sha256(PDF).hexdigest())
    assert file["url"] == (
        f"http://testserver/api/v1/pull/{queued.message_id}/attachments/{file['manifest_id']}"
    )
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.SENDING
    assert queued.lease_expires_at is not None
    leased_until = datetime.datetime.fromisoformat(item["lease_expires_at"])
    assert leased_until == queued.lease_expires_at
    event = AuditEvent.objects.get(action="exchange.pull.fetched")
    assert (event.agency, event.actor_label) == (soc, soc_key.api_key.actor_label)
    assert event.after == {"message_ids": [str(queued.message_id)]}
    # Leased to that call: the next fetch skips it.
    assert fetch(soc_system).json() == {"items": []}


def test_the_envelope_can_come_inline(soc_system, queued):
    [item] = fetch(soc_system, inline_envelope=True).json()["items"]

    assert base64.b64decode(item["envelope_base64"]) == bytes(queued.envelope)


def test_the_envelope_and_the_files_download_from_the_links(soc_system, queued):
    [item] = fetch(soc_system).json()["items"]
    [file] = item["files"]

    envelope = soc_system.get(item["envelope_url"], HTTP_ACCEPT="application/xml")
    attachment = soc_system.get(file["url"])

    assert envelope.status_code == 200
    assert envelope["Content-Type"] == "application/xml"
    assert envelope.content == bytes(queued.envelope)
    assert attachment.status_code == 200
    assert attachment.streaming
    assert b"".join(attachment.streaming_content) == PDF
    # The manifest the sender signed names this very file.
    assert file["manifest_id"].encode() in bytes(queued.envelope)
    unknown = soc_system.get(f"/api/v1/pull/{queued.message_id}/attachments/att-nothing")
    assert unknown.status_code == 404


def test_soc_acknowledges_with_its_own_signed_receipt(soc_system, soc_key, queued, soc, pki):
    fetch(soc_system)

    response = soc_system.post(
        f"/api/v1/pull/{queued.message_id}/ack", receipt_body(pki, queued), format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["message_id"] == str(queued.message_id)
    assert response.json()["status"] == "delivered"
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.DELIVERED
    assert queued.delivered_at is not None
    assert bytes(queued.receipt).startswith(b"<")
    event = AuditEvent.objects.get(action="exchange.pull.acknowledged")
    assert (event.agency, event.actor_label) == (soc, soc_key.api_key.actor_label)
    assert AuditEvent.objects.filter(action="exchange.delivery.delivered").count() == 1
    # Acknowledged again (a lost answer, a retry): the same state, nothing more happens.
    again = soc_system.post(
        f"/api/v1/pull/{queued.message_id}/ack", receipt_body(pki, queued), format="json"
    )
    assert again.status_code == 200
    assert again.json()["status"] == "delivered"
    assert AuditEvent.objects.filter(action="exchange.pull.acknowledged").count() == 1
    assert fetch(soc_system).json() == {"items": []}


def test_a_receipt_for_other_bytes_does_not_dequeue(soc_system, queued, alice_sends, etda, pki):
    other = queued_for_soc(alice_sends, etda, queued.recipient, subject="หนังสือฉบับที่ ๒")
    fetch(soc_system)

    response = soc_system.post(
        f"/api/v1/pull/{queued.message_id}/ack", receipt_body(pki, other), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "exchange.receipt_mismatch"
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.SENDING


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "api.validation"),
        ({"receipt": "ไม่ใช่ base64"}, "api.validation"),
        ({"receipt": base64.b64encode(b"<Envelope>").decode()}, "envelope.malformed"),
    ],
)
def test_an_unreadable_receipt_is_refused_with_a_code(soc_system, queued, body, code):
    response = soc_system.post(f"/api/v1/pull/{queued.message_id}/ack", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.QUEUED


def test_the_same_fetch_with_its_idempotency_key_gets_the_same_items(soc_system, queued):
    key = "fetch-๑".encode().hex()
    first = soc_system.post(
        "/api/v1/pull/fetch", {"limit": 1}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    replay = soc_system.post(
        "/api/v1/pull/fetch", {"limit": 1}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content
    assert AuditEvent.objects.filter(action="exchange.pull.fetched").count() == 1


def test_an_item_not_acknowledged_in_time_is_offered_again(soc_system, queued, settings):
    settings.HUB_DELIVERY_LEASE_SECONDS = 0

    first = fetch(soc_system).json()["items"]
    again = fetch(soc_system).json()["items"]

    assert [i["message_id"] for i in first] == [i["message_id"] for i in again]


@pytest.mark.parametrize("limit", [0, 51, "ห้า"])
def test_the_limit_is_checked(soc_system, soc_pulls, limit):
    response = fetch(soc_system, limit=limit)

    assert response.status_code == 400
    assert "limit" in response.json()["details"]["fields"]


def test_an_agency_not_in_pull_mode_is_told_so(etda_system, etda, queued):
    response = fetch(etda_system)

    assert response.status_code == 409
    assert response.json()["code"] == "exchange.not_pull_mode"
    assert response.json()["details"] == {"delivery_mode": "hosted"}
    assert not AuditEvent.objects.filter(action="exchange.pull.fetched").exists()


@pytest.mark.parametrize("etda_mode", [DeliveryMode.HOSTED, DeliveryMode.PULL])
def test_etda_cannot_download_or_acknowledge_socs_items(
    etda_system, soc_system, etda, queued, pki, etda_mode
):
    etda.delivery_mode = etda_mode
    etda.save()
    [item] = fetch(soc_system).json()["items"]
    base = f"/api/v1/pull/{queued.message_id}"

    responses = [
        etda_system.get(f"{base}/envelope"),
        etda_system.get(f"{base}/attachments/{item['files'][0]['manifest_id']}"),
        etda_system.post(f"{base}/ack", receipt_body(pki, queued), format="json"),
    ]

    for response in responses:
        assert response.status_code == 404
        assert response.json()["code"] == "api.not_found"
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.SENDING
    assert not AuditEvent.objects.filter(action="exchange.pull.acknowledged").exists()
    if etda_mode == DeliveryMode.PULL:
        assert fetch(etda_system).json() == {"items": []}  # its own (empty) queue only


def test_acknowledgements_for_soc_are_queued_too(soc_system, alice_sends, bob, etda, soc_pulls):
    """SOC's system sent a letter itself; ETDA registers it: SOC pulls the registration."""
    from exchange.services.acknowledgements import incoming_letter_register
    from letters.models import Direction, Letter

    [delivery] = letter_send(letter=draft_to(soc_pulls, etda, bob), actor=bob)
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    copy = Letter.objects.get(agency=etda, direction=Direction.INCOMING)
    incoming_letter_register(letter=copy, actor=alice_sends)
    registration = Delivery.objects.get(message_type=MessageType.REGISTRATION.value)
    assert delivery_attempt(delivery_id=registration.pk) == "awaiting-pull"

    [item] = fetch(soc_system).json()["items"]

    assert (item["message_type"], item["files"]) == ("registration", [])
    assert item["message_id"] == str(registration.message_id)
