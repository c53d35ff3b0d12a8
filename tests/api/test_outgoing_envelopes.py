"""POST /api/v1/envelopes: ETDA's own e-saraban system signs a letter with ETDA's key and the
hub checks it, records it as sent by ETDA and sends those very bytes.

The signing keys are the test PKI's; the hub holds the same keys for ETDA and SOC (hosted),
but a submitted envelope is checked like one from a peer hub, whoever holds which key.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from exchange.envelope import Envelope, ManifestEntry, envelope_sign
from exchange.models import Delivery, DeliveryStatus
from letters.models import Direction, Letter, LetterStatus
from tests.exchange.conftest import ETDA, SOC, letter_envelope

from .outgoing_support import ENCLOSURE, PDF, deliver, host_with_keys

ENVELOPES = "/api/v1/envelopes"
FILES = {"doc-1": PDF, "doc-2": ENCLOSURE}


@pytest.fixture
def pki(etda, soc, settings, tmp_path: Path):
    settings.MEDIA_ROOT = tmp_path
    return host_with_keys(etda, soc)


def manifest() -> tuple[ManifestEntry, ...]:
    return (
        ManifestEntry(
            attachment_id="doc-1",
            role="main",
            name="หนังสือเชิญประชุม.pdf",
            media_type="application/pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
        ),
        ManifestEntry(
            attachment_id="doc-2",
            role="enclosure",
            name="รายชื่อผู้เข้าร่วมประชุม.txt",
            media_type="text/plain",
            size=len(ENCLOSURE),
            sha256=hashlib.sha256(ENCLOSURE).hexdigest(),
        ),
    )


def signed(envelope: Envelope, signer) -> bytes:
    return envelope_sign(envelope, key=signer.private_key, certificate=signer.certificate)


def multipart(data: bytes, files: dict[str, bytes] = FILES) -> dict[str, SimpleUploadedFile]:
    parts = {"envelope": SimpleUploadedFile("envelope.xml", data, "application/xml")}
    parts.update({name: SimpleUploadedFile(name, content) for name, content in files.items()})
    return parts


def test_etdas_system_submits_a_signed_letter_with_its_files(etda_system, etda_key, etda, soc, pki):
    data = signed(letter_envelope(sender=ETDA, recipient=SOC, manifest=manifest()), pki.etda)

    response = etda_system.post(ENVELOPES, multipart(data), format="multipart")

    assert response.status_code == 202, response.json()
    body = response.json()
    assert response["Location"] == f"/api/v1/deliveries/{body['id']}"
    assert (body["message_type"], body["status"], body["recipient"]["key"]) == (
        "letter",
        "queued",
        "soc",
    )
    delivery = Delivery.objects.get(pk=body["id"])
    assert bytes(delivery.envelope) == data  # the very bytes ETDA's system signed
    record = delivery.letter
    assert (record.agency, record.direction, record.status) == (
        etda,
        Direction.OUTGOING,
        LetterStatus.SENT,
    )
    event = AuditEvent.objects.get(action="exchange.envelope.submitted")
    assert event.actor_label == f"apikey:{etda_key.api_key.prefix}"
    # The submitted letter is in ETDA's outbox like any other, and goes through.
    outbox = etda_system.get("/api/v1/outbox").json()["results"]
    assert [(r["id"], r["deliveries"][0]["id"]) for r in outbox] == [(record.pk, delivery.pk)]
    assert deliver(delivery.pk) == "delivered"
    copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)
    assert sorted(a.file.read() for a in copy.attachments.all()) == sorted(FILES.values())


def test_a_bare_envelope_may_be_sent_as_application_xml(etda_system, pki):
    data = signed(letter_envelope(sender=ETDA, recipient=SOC), pki.etda)

    response = etda_system.post(ENVELOPES, data, content_type="application/xml")

    assert response.status_code == 202, response.json()
    assert bytes(Delivery.objects.get(pk=response.json()["id"]).envelope) == data


def test_the_same_bytes_again_are_the_same_delivery(etda_system, pki):
    data = signed(letter_envelope(sender=ETDA, recipient=SOC), pki.etda)

    first = etda_system.post(ENVELOPES, data, content_type="application/xml")
    again = etda_system.post(ENVELOPES, data, content_type="application/xml")

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["id"] == first.json()["id"]
    assert Delivery.objects.count() == 1


def test_other_bytes_under_a_message_id_already_queued_are_refused(etda_system, pki):
    envelope = letter_envelope(sender=ETDA, recipient=SOC)
    etda_system.post(ENVELOPES, signed(envelope, pki.etda), content_type="application/xml")
    assert envelope.letter is not None
    other = dataclasses.replace(
        envelope, letter=dataclasses.replace(envelope.letter, subject="เรื่องอื่นที่ไม่ใช่ฉบับเดิม")
    )

    response = etda_system.post(ENVELOPES, signed(other, pki.etda), content_type="application/xml")

    assert response.status_code == 409
    assert response.json()["code"] == "envelope.duplicate_message_id"
    assert Delivery.objects.count() == 1


def test_an_idempotency_key_replays_the_first_answer(etda_system, pki):
    data = signed(letter_envelope(sender=ETDA, recipient=SOC, manifest=manifest()), pki.etda)

    first = etda_system.post(
        ENVELOPES, multipart(data), format="multipart", HTTP_IDEMPOTENCY_KEY="env-0001"
    )
    again = etda_system.post(
        ENVELOPES, multipart(data), format="multipart", HTTP_IDEMPOTENCY_KEY="env-0001"
    )

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="exchange.envelope.submitted").count() == 1


def test_an_envelope_signed_by_another_agency_is_refused(etda_system, pki):
    data = signed(letter_envelope(sender=SOC, recipient=ETDA), pki.soc)

    response = etda_system.post(ENVELOPES, data, content_type="application/xml")

    assert response.status_code == 403
    assert response.json()["code"] == "exchange.not_the_sender"
    assert not Delivery.objects.exists()
    assert not Letter.objects.exists()


def test_a_changed_byte_breaks_the_signature(etda_system, pki):
    data = signed(letter_envelope(sender=ETDA, recipient=SOC), pki.etda)
    subject = "ข้อเสนอในการปรับปรุง".encode()
    tampered = data.replace(subject, "ข้อเสนอในการยกเลิก".encode(), 1)
    assert tampered != data

    response = etda_system.post(ENVELOPES, tampered, content_type="application/xml")

    assert response.status_code == 400
    assert response.json()["code"].startswith("envelope.")
    assert not Delivery.objects.exists()


def test_a_file_that_differs_from_the_signed_manifest_is_refused(etda_system, pki):
    data = signed(letter_envelope(sender=ETDA, recipient=SOC, manifest=manifest()), pki.etda)
    files = {**FILES, "doc-1": PDF.replace(b"test letter", b"fake letter")}

    response = etda_system.post(ENVELOPES, multipart(data, files), format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "envelope.attachment_digest_mismatch"
    assert not Delivery.objects.exists()
    assert not Letter.objects.exists()


def test_without_an_envelope_part_nothing_happens(etda_system, pki):
    response = etda_system.post(
        ENVELOPES, {"doc-1": SimpleUploadedFile("doc-1", PDF)}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "api.validation"
    assert list(response.json()["details"]["fields"]) == ["envelope"]


def test_an_envelope_over_the_limit_is_413(etda_system, pki, settings):
    data = signed(letter_envelope(sender=ETDA, recipient=SOC), pki.etda)
    settings.HUB_ENVELOPE_MAX_BYTES = len(data) - 1

    as_xml = etda_system.post(ENVELOPES, data, content_type="application/xml")
    as_part = etda_system.post(ENVELOPES, multipart(data, {}), format="multipart")

    for response in (as_xml, as_part):
        assert response.status_code == 413
        assert response.json()["code"] == "envelope.too_large"
    assert not Delivery.objects.exists()


def test_json_is_not_an_envelope(etda_system, pki):
    response = etda_system.post(ENVELOPES, {"envelope": "<x/>"}, format="json")

    assert response.status_code == 415
    assert response.json()["code"] == "api.unsupported_media_type"


def test_soc_cannot_see_the_delivery_etda_submitted(etda_system, soc_system, pki):
    data = signed(letter_envelope(sender=ETDA, recipient=SOC), pki.etda)
    delivery = etda_system.post(ENVELOPES, data, content_type="application/xml").json()

    response = soc_system.get(f"/api/v1/deliveries/{delivery['id']}")

    assert response.status_code == 404
    assert Delivery.objects.get(pk=delivery["id"]).status == DeliveryStatus.QUEUED
