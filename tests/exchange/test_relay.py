"""Relaying to a pull-mode agency: a peer's letter waits here for the agency's own system.

Both sides of the relay are played against this hub's database, one at a time: as SOC's hub
(SOC pulls with its own e-saraban system; a peer hub pushes ETDA's letter here), and as
ETDA's hub (the peer answers 202, and SOC's receipt arrives later as an envelope of its own).
"""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import uuid
from collections.abc import Iterator

import pytest
from django.urls import reverse

from agencies.models import AgencyRole, DeliveryMode
from audit.models import AuditEvent
from exchange.envelope import (
    AcknowledgementData,
    Envelope,
    Header,
    ManifestEntry,
    MessageType,
    envelope_sign,
    envelope_verify,
)
from exchange.models import Delivery, DeliveryAttempt, DeliveryStatus, InboundEnvelope
from exchange.services.outbox import delivery_attempt
from exchange.services.pull import pull_acknowledge, pull_fetch
from exchange.services.sending import letter_send
from exchange.transports import attachments_by_manifest_id
from letters.models import Direction, Letter, LetterStatus
from tests.conftest import make_user

from .conftest import ETDA, SOC, letter_envelope, now
from .test_delivery_flow import PDF, draft_to

SOC_SYSTEM = "system:soc-esaraban"
ANNEX = "%PDF-1.7\n% ตารางสรุปผลการดำเนินงาน ไตรมาสที่ ๓\n%%EOF\n".encode()


@pytest.fixture
def soc_pulls(hosted, soc):
    soc.delivery_mode = DeliveryMode.PULL
    soc.save()
    return soc


def _signed_receipt(pki, *, sender, recipient, signer, message_id: str, data: bytes) -> bytes:
    return envelope_sign(
        Envelope(
            header=Header(
                message_id=str(uuid.uuid4()),
                message_type=MessageType.RECEIPT,
                created_at=now(),
                sender=sender,
                recipient=recipient,
                conversation_id=message_id,
                in_reply_to=message_id,
            ),
            acknowledgement=AcknowledgementData(
                acknowledged_message_id=message_id,
                acknowledged_envelope_sha256=hashlib.sha256(data).hexdigest(),
                at=now(),
            ),
        ),
        key=signer.private_key,
        certificate=signer.certificate,
    )


def _peer_letter(pki) -> tuple[bytes, dict[str, bytes]]:
    """ETDA's letter to SOC as ETDA's hub signs it, with two files under ETDA's manifest ids."""
    files = {"att-901": PDF, "att-902": ANNEX}
    manifest = tuple(
        ManifestEntry(
            attachment_id=name,
            role="main" if name == "att-901" else "enclosure",
            name="หนังสือเชิญประชุม.pdf" if name == "att-901" else "ตารางสรุป.pdf",
            media_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )
        for name, content in files.items()
    )
    envelope = letter_envelope(sender=ETDA, recipient=SOC, manifest=manifest)
    return envelope_sign(
        envelope, key=pki.etda.private_key, certificate=pki.etda.certificate
    ), files


def _post(client, data: bytes, files: dict[str, bytes]):
    parts = {"envelope": io.BytesIO(data)} | {n: io.BytesIO(c) for n, c in files.items()}
    return client.post(reverse("exchange-inbound"), data=parts)


def test_a_peer_letter_for_a_pull_agency_is_kept_and_queued_with_its_bytes(
    soc_pulls, etda, pki, client
):
    data, files = _peer_letter(pki)

    response = _post(client, data, files)

    assert response.status_code == 202, response.content
    message_id = envelope_verify(data, directory=pki.directory(), now=now()).envelope.header
    assert response.json() == {"message_id": message_id.message_id, "status": "relayed"}
    inbound = InboundEnvelope.objects.get(message_id=message_id.message_id)
    assert bytes(inbound.receipt) == b""  # nobody here may sign for SOC
    copy = Letter.objects.get(agency=soc_pulls, direction=Direction.INCOMING)
    assert copy.status == LetterStatus.RECEIVED
    [item] = pull_fetch(agency=soc_pulls, actor=SOC_SYSTEM)
    assert bytes(item.envelope) == data  # ETDA's signature travels on, untouched
    assert (item.sender, item.letter) == (etda, copy)
    named = attachments_by_manifest_id(item)
    assert {name: a.file.read() for name, a in named.items()} == files
    event = AuditEvent.objects.get(action="exchange.envelope.received_letter")
    assert event.after["relayed"] is True


def test_the_same_bytes_again_are_still_relayed_once(soc_pulls, pki, client):
    data, files = _peer_letter(pki)
    _post(client, data, files)

    again = _post(client, data, files)

    assert again.status_code == 202
    assert Delivery.objects.filter(recipient=soc_pulls).count() == 1
    assert Letter.objects.filter(agency=soc_pulls, direction=Direction.INCOMING).count() == 1


def test_the_pull_agencys_receipt_is_forwarded_to_the_sender_together_with_the_dequeue(
    soc_pulls, etda, pki, client
):
    data, files = _peer_letter(pki)
    _post(client, data, files)
    [item] = pull_fetch(agency=soc_pulls, actor=SOC_SYSTEM)
    receipt = _signed_receipt(
        pki, sender=SOC, recipient=ETDA, signer=pki.soc, message_id=str(item.message_id), data=data
    )

    pull_acknowledge(
        agency=soc_pulls, message_id=str(item.message_id), receipt=receipt, actor=SOC_SYSTEM
    )

    item.refresh_from_db()
    assert item.status == DeliveryStatus.DELIVERED
    forward = Delivery.objects.get(message_type=MessageType.RECEIPT.value)
    assert (forward.sender, forward.recipient, bytes(forward.envelope)) == (
        soc_pulls,
        etda,
        receipt,
    )
    # ETDA posting the same letter again now gets SOC's own receipt, byte for byte.
    replay = _post(client, data, files)
    assert (replay.status_code, replay.content) == (200, receipt)


def test_a_receipt_for_a_pull_agency_is_not_relayed(soc_pulls, pki, client):
    from .conftest import acknowledgement_envelope

    envelope = acknowledgement_envelope(MessageType.RECEIPT, sender=ETDA, recipient=SOC)
    data = envelope_sign(envelope, key=pki.etda.private_key, certificate=pki.etda.certificate)

    response = client.post(reverse("exchange-inbound"), data=data, content_type="application/xml")

    assert response.status_code == 400
    assert response.json()["code"] == "exchange.message_type_not_accepted"
    assert not InboundEnvelope.objects.exists()


@pytest.fixture
def relaying_peer() -> Iterator[str]:
    """SOC's hub, seen from ETDA's: it keeps every envelope for SOC's system and says 202."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b'{"status": "relayed"}'
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/exchange/envelopes"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def soc_behind_a_relay(hosted, soc, relaying_peer):
    soc.delivery_mode = DeliveryMode.PUSH
    soc.endpoint_url = relaying_peer
    soc.save()
    return soc


def test_a_202_parks_the_delivery_until_the_receipt_arrives_on_its_own(
    hosted, etda, soc_behind_a_relay, pki, client
):
    alice = make_user("alice", (etda, AgencyRole.CLERK))
    [delivery] = letter_send(letter=draft_to(etda, soc_behind_a_relay, alice), actor=alice)

    assert delivery_attempt(delivery_id=delivery.pk) == "relayed"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.next_attempt_at == delivery.expires_at  # no more pushes; expiry tells Alice
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.http_status, attempt.succeeded) == (202, True)
    assert delivery_attempt(delivery_id=delivery.pk) == "not-due"

    receipt = _signed_receipt(
        pki,
        sender=SOC,
        recipient=ETDA,
        signer=pki.soc,
        message_id=str(delivery.message_id),
        data=bytes(delivery.envelope),
    )
    response = client.post(
        reverse("exchange-inbound"), data=receipt, content_type="application/xml"
    )

    assert response.status_code == 200, response.content
    answer = envelope_verify(response.content, directory=pki.directory(), now=now()).envelope
    assert answer.header.sender.agency_key == "etda"  # ETDA's receipt for SOC's receipt
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert bytes(delivery.receipt) == receipt
    assert AuditEvent.objects.filter(action="exchange.delivery.relayed").count() == 1


def test_a_forwarded_receipt_for_other_bytes_is_refused(
    hosted, etda, soc_behind_a_relay, pki, client
):
    alice = make_user("alice", (etda, AgencyRole.CLERK))
    [delivery] = letter_send(letter=draft_to(etda, soc_behind_a_relay, alice), actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    receipt = _signed_receipt(
        pki,
        sender=SOC,
        recipient=ETDA,
        signer=pki.soc,
        message_id=str(delivery.message_id),
        data=b"<not what ETDA sent/>",
    )

    response = client.post(
        reverse("exchange-inbound"), data=receipt, content_type="application/xml"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "exchange.receipt_mismatch"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert not InboundEnvelope.objects.filter(message_type="receipt").exists()
