"""Secret letters that no clerk here wrote: submitted by an agency's own system, and relayed to
or parked for an agency whose own system pulls its queue.

What must hold (docs/security.md, "Secret letters"):

* submitted: ETDA's own e-saraban system encrypts a ลับ letter to SOC's encryption certificate
  (from the hub's directory API), signs it with ETDA's key and submits it through
  ``POST /api/v1/envelopes``. The hub never sees the plaintext, so no table and no stored file
  may hold any of it, on ETDA's side or SOC's; SOC's secret-registry officer opens it, SOC's
  clerk is refused, both audited. A ลับ letter in the clear and any ลับที่สุด are refused with
  their stable codes, and leave nothing behind;
* relayed and parked: SOC pulls its queue with its own system. Whether ETDA's letter came from
  a peer hub (relayed) or from ETDA's clerk here (parked), SOC's system downloads ciphertext
  only (the envelope and the files, matching the signed manifest), decrypts it with SOC's own
  encryption key, and acknowledges it as any letter; what the hub keeps for SOC holds no
  plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import Agency, DeliveryMode
from audit.models import AuditEvent
from exchange.envelope import (
    MessageType,
    SecretContent,
    SecretFile,
    VerifiedEnvelope,
    content_key_unwrap,
    envelope_sign,
    envelope_verify,
    file_decrypt,
    letter_decrypt,
)
from exchange.envelope.encryption import CIPHERTEXT_MEDIA_TYPE
from exchange.models import Delivery, DeliveryStatus, InboundEnvelope, SealedDeliveryFile
from exchange.services.acknowledgements import incoming_letter_register
from exchange.services.outbox import delivery_attempt
from exchange.services.secret_letters import secret_letter_open
from exchange.services.sending import letter_send
from letters.errors import SecretContentRefused
from letters.models import Direction, Letter, RegisterEntry, Secrecy
from letters.models.sealed import SECRET_PLACEHOLDER_SUBJECT
from tests.exchange.conftest import ETDA, SOC, letter_envelope, now
from tests.exchange.test_delivery_flow import _receipt_from_socs_own_system
from tests.exchange.test_submission import _acknowledgement
from tests.security.secret_support import (
    Stored,
    draft_secret_letter,
    encrypted_envelope,
    signed_by_etda,
    stored_everywhere,
)

ENVELOPES = "/api/v1/envelopes"
SUBJECT = "ขอความร่วมมือตรวจสอบข้อมูลผู้ต้องสงสัย ๒๕๖๙"
BODY = (
    "ด้วยสำนักงานฯ ได้รับแจ้งเบาะแสการทุจริตในการจัดซื้อจัดจ้างโครงการระบบคลาวด์กลางภาครัฐ "
    "จึงขอความร่วมมือตรวจสอบประวัติผู้ต้องสงสัยทั้ง ๓ ราย โดยไม่เปิดเผย ภายในวันที่ ๑๕ มีนาคม ๒๕๖๙"
)
SIGNER = "นางสาวพิมพ์ใจ ศรีสุขวัฒนา"
MAIN_NAME = "บันทึกข้อมูลผู้ต้องสงสัย ลับ.pdf"
ENCLOSURE_NAME = "ทะเบียนรถที่เกี่ยวข้อง ๓ คัน.txt"
MAIN_PDF = b"%PDF-1.7\n% " + "ผู้ต้องสงสัยรายที่ ๑ นายสมมติ ใจกล้า".encode() + b"\n%%EOF\n"
ENCLOSURE = "กข ๑๒๓๔ กรุงเทพมหานคร\nขค ๕๖๗๘ เชียงใหม่\n".encode()
FILES = (
    SecretFile("doc-1", "main", MAIN_NAME, "application/pdf", MAIN_PDF),
    SecretFile("doc-2", "enclosure", ENCLOSURE_NAME, "text/plain", ENCLOSURE, "สิ่งที่ส่งมาด้วย ๑"),
)
# Never anywhere the hub keeps things: the whole strings, and a fragment of the subject in case
# something keeps a shortened copy.
SECRETS: list[str | bytes] = [
    SUBJECT,
    BODY,
    SIGNER,
    MAIN_NAME,
    ENCLOSURE_NAME,
    "ผู้ต้องสงสัย",
    MAIN_PDF,
    ENCLOSURE,
]
SOC_SYSTEM = "system:soc-esaraban"


def multipart(data: bytes, files: dict[str, bytes]) -> dict[str, SimpleUploadedFile]:
    """The envelope part and one part per manifest id, as an agency's system posts them."""
    parts = {"envelope": SimpleUploadedFile("envelope.xml", data, "application/xml")}
    parts.update({name: SimpleUploadedFile(name, content) for name, content in files.items()})
    return parts


def assert_nothing_readable(stored: Stored, *, ciphertexts: Iterable[bytes]) -> None:
    assert stored.found(SECRETS) == []
    # The sweep saw what it had to: the envelope bytes, the ciphertext files, the placeholder.
    assert b"EncryptedLetter>" in stored.data
    assert all(ciphertext in stored.data for ciphertext in ciphertexts)


# --- submitted: ETDA's own system encrypts and signs ------------------------------------------


def socs_encryption_certificate(etda_system: APIClient) -> x509.Certificate:
    """What ETDA's system encrypts to: SOC's valid encryption certificate in the directory."""
    response = etda_system.get("/api/v1/agencies/soc")
    assert response.status_code == 200, response.json()
    [published] = [
        c
        for c in response.json()["certificates"]
        if c["purpose"] == "encryption" and c["status"] == "valid"
    ]
    return x509.load_pem_x509_certificate(published["certificate_pem"].encode("ascii"))


def test_a_secret_letter_etdas_system_submits_reaches_soc_unreadable_and_only_somsri_opens_it(
    hosted, pki, etda, soc, etda_system, etda_key, somsri, bob
):
    certificate = socs_encryption_certificate(etda_system)
    assert certificate == pki.soc_encryption.certificate
    encrypted = encrypted_envelope(
        pki,
        secrecy=Secrecy.CONFIDENTIAL,  # ลับ
        subject=SUBJECT,
        body=BODY,
        signer_name=SIGNER,
        files=FILES,
        recipient_certificate=certificate,
    )
    data = signed_by_etda(pki, encrypted.envelope)

    response = etda_system.post(ENVELOPES, multipart(data, encrypted.files), format="multipart")

    assert response.status_code == 202, response.json()
    delivery = Delivery.objects.get(pk=response.json()["id"])
    assert bytes(delivery.envelope) == data
    record = delivery.letter  # ETDA's record of what its system sent: clear facts only
    assert (record.agency, record.direction, record.subject, record.secrecy) == (
        etda,
        Direction.OUTGOING,
        SECRET_PLACEHOLDER_SUBJECT,
        Secrecy.CONFIDENTIAL,
    )
    submitted = AuditEvent.objects.get(action="exchange.envelope.submitted")
    assert submitted.actor_label == f"apikey:{etda_key.api_key.prefix}"
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"

    inbound = InboundEnvelope.objects.get(recipient=soc, message_id=delivery.message_id)
    assert bytes(inbound.envelope) == data
    copy = inbound.letter
    assert copy is not None
    assert copy.subject == SECRET_PLACEHOLDER_SUBJECT
    assert (copy.body, copy.signer_name, copy.addressee) == ("", "", "")
    assert copy.secrecy == Secrecy.CONFIDENTIAL
    # SOC's files are the ciphertext exactly as submitted, under the neutral manifest names.
    assert sorted((a.name, a.media_type, a.file.read()) for a in copy.attachments.all()) == [
        ("doc-1.bin", CIPHERTEXT_MEDIA_TYPE, encrypted.files["doc-1"]),
        ("doc-2.bin", CIPHERTEXT_MEDIA_TYPE, encrypted.files["doc-2"]),
    ]

    # ลงรับ in the secret register; the registration goes back to ETDA like for any letter.
    entry = incoming_letter_register(letter=copy, actor=somsri)
    assert (entry.series, entry.subject) == ("secret", SECRET_PLACEHOLDER_SUBJECT)
    registration = Delivery.objects.get(message_type=MessageType.REGISTRATION.value)
    assert delivery_attempt(delivery_id=registration.pk) == "delivered"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.receive_number) == (
        DeliveryStatus.REGISTERED,
        str(entry.number),
    )

    with pytest.raises(SecretContentRefused):
        secret_letter_open(letter=copy, user=bob)
    opened = secret_letter_open(letter=copy, user=somsri)

    assert (opened.letter.subject, opened.letter.body, opened.letter.signer_name) == (
        SUBJECT,
        BODY,
        SIGNER,
    )
    assert [(f.role, f.name, f.media_type, f.description, f.data) for f in opened.files] == [
        ("main", MAIN_NAME, "application/pdf", "", MAIN_PDF),
        ("enclosure", ENCLOSURE_NAME, "text/plain", "สิ่งที่ส่งมาด้วย ๑", ENCLOSURE),
    ]
    [refused] = AuditEvent.objects.filter(action="letters.letter.secret_refused")
    assert (refused.actor_user, refused.agency, refused.target_id) == (bob, soc, str(copy.pk))
    [opening] = AuditEvent.objects.filter(action="letters.letter.secret_opened")
    assert (opening.actor_user, opening.agency, opening.target_id) == (somsri, soc, str(copy.pk))
    # The hub never held the plaintext: not in any table (ETDA's record, SOC's copy, the
    # register lines, the envelopes, the audit trail with the openings) nor in any stored file.
    stored = stored_everywhere()
    assert_nothing_readable(stored, ciphertexts=encrypted.files.values())
    assert SECRET_PLACEHOLDER_SUBJECT in stored.text
    assert RegisterEntry.objects.filter(agency=soc, series="secret").count() == 1


def test_a_secret_letter_submitted_in_the_clear_is_refused_and_kept_nowhere(
    hosted, pki, etda_system
):
    plain = letter_envelope(
        sender=ETDA, recipient=SOC, secrecy=Secrecy.CONFIDENTIAL, subject=SUBJECT
    )

    response = etda_system.post(
        ENVELOPES, signed_by_etda(pki, plain), content_type="application/xml"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "envelope.secret_not_encrypted"
    assert not Delivery.objects.exists()
    assert not Letter.objects.exists()
    assert not InboundEnvelope.objects.exists()
    assert stored_everywhere().found([SUBJECT]) == []


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "in-the-clear"])
def test_a_top_secret_letter_submitted_is_refused(hosted, pki, etda_system, encrypted):
    envelope = (
        encrypted_envelope(pki, secrecy=Secrecy.TOP_SECRET, subject=SUBJECT).envelope
        if encrypted
        else letter_envelope(secrecy=Secrecy.TOP_SECRET, subject=SUBJECT)
    )

    response = etda_system.post(
        ENVELOPES, signed_by_etda(pki, envelope), content_type="application/xml"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "envelope.top_secret_refused"
    assert not Delivery.objects.exists()
    assert not Letter.objects.exists()
    assert stored_everywhere().found([SUBJECT]) == []


# --- SOC pulls its queue with its own system ----------------------------------------------------


@pytest.fixture
def soc_pulls(hosted, soc: Agency) -> Agency:
    soc.delivery_mode = DeliveryMode.PULL
    soc.save()
    return soc


@dataclass(frozen=True)
class Pulled:
    """What SOC's system got from its queue, and what it read with SOC's own key."""

    item: dict[str, object]
    envelope: bytes
    files: dict[str, bytes]  # by manifest id, as downloaded
    content: SecretContent
    plaintexts: list[tuple[str, bytes]]  # (real name, bytes) in manifest order


def pull_and_decrypt(soc_system: APIClient, pki) -> Pulled:
    """Do what SOC's own system does: lease, download, check the signature and the manifest,
    then decrypt with SOC's encryption key (never the hub's)."""
    response = soc_system.post("/api/v1/pull/fetch", {}, format="json")
    assert response.status_code == 200, response.json()
    [item] = response.json()["items"]
    assert item["message_type"] == "letter"
    envelope = soc_system.get(item["envelope_url"])
    assert envelope.status_code == 200
    data = envelope.content
    assert hashlib.sha256(data).hexdigest() == item["envelope_sha256"]
    verified: VerifiedEnvelope = envelope_verify(data, directory=pki.directory(), now=now())
    assert verified.envelope.letter is None and verified.envelope.encrypted_letter is not None

    files = {}
    for listed, entry in zip(item["files"], verified.envelope.manifest, strict=True):
        assert listed["manifest_id"] == entry.attachment_id
        assert (listed["name"], listed["media_type"]) == (
            f"{entry.attachment_id}.bin",
            CIPHERTEXT_MEDIA_TYPE,
        )
        download = soc_system.get(listed["url"])
        assert download.status_code == 200
        assert download.streaming  # served from storage, not built in memory
        files[entry.attachment_id] = download.getvalue()
        # The bytes match the manifest the sender signed.
        digest = hashlib.sha256(files[entry.attachment_id]).hexdigest()
        assert digest == entry.sha256 == listed["sha256"]
        assert len(files[entry.attachment_id]) == entry.size == listed["size"]

    key = content_key_unwrap(
        verified.envelope,
        agency_key="soc",
        private_key=pki.soc_encryption.private_key,
        certificate=pki.soc_encryption.certificate,
    )
    content = letter_decrypt(verified.envelope, content_key=key)
    plaintexts = [
        (
            entry.name,
            file_decrypt(
                files[entry.attachment_id],
                envelope=verified.envelope,
                content_key=key,
                entry=entry,
            ),
        )
        for entry in content.files
    ]
    return Pulled(item, data, files, content, plaintexts)


def acknowledge(soc_system: APIClient, pki, delivery: Delivery) -> bytes:
    """Dequeue the item with the receipt SOC's system signs; return the receipt."""
    receipt = _receipt_from_socs_own_system(pki, delivery)
    response = soc_system.post(
        f"/api/v1/pull/{delivery.message_id}/ack",
        {"receipt": base64.b64encode(receipt).decode("ascii")},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "delivered"
    return receipt


def register(soc_system: APIClient, pki, of: Any, *, receive_number: str) -> dict[str, Any]:
    """SOC's system signs the registration (ลงรับ) of the item and submits it; the hub's answer."""
    registration = _acknowledgement(
        MessageType.REGISTRATION,
        sender=SOC,
        recipient=ETDA,
        of=of,
        receive_number=receive_number,
        receive_year=2569,
    )
    signed = envelope_sign(registration, key=pki.soc.private_key, certificate=pki.soc.certificate)
    queued = soc_system.post(ENVELOPES, signed, content_type="application/xml")
    assert queued.status_code == 202, queued.json()
    answer: dict[str, Any] = queued.json()
    return answer


def assert_read_with_socs_key(pulled: Pulled) -> None:
    assert (pulled.content.letter.subject, pulled.content.letter.body) == (SUBJECT, BODY)
    assert pulled.content.letter.signer_name == SIGNER
    assert pulled.plaintexts == [(MAIN_NAME, MAIN_PDF), (ENCLOSURE_NAME, ENCLOSURE)]
    # What went over the API was ciphertext only.
    downloaded = Stored(text="", data=b"\n".join([pulled.envelope, *pulled.files.values()]))
    assert downloaded.found(SECRETS) == []
    assert b"EncryptedLetter>" in pulled.envelope


def test_a_relayed_secret_letter_is_pulled_as_ciphertext_and_read_with_socs_own_key(
    soc_pulls, pki, etda, client, soc_system, soc_key, somsri, bob
):
    # ETDA's hub (a peer) encrypted to SOC and signed; it pushes the letter here.
    encrypted = encrypted_envelope(
        pki,
        secrecy=Secrecy.SECRET,  # ลับมาก
        subject=SUBJECT,
        body=BODY,
        signer_name=SIGNER,
        files=FILES,
    )
    data = signed_by_etda(pki, encrypted.envelope)
    parts = {"envelope": io.BytesIO(data)} | {
        name: io.BytesIO(content) for name, content in encrypted.files.items()
    }

    answer = client.post(reverse("exchange-inbound"), data=parts)

    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "relayed"
    pulled = pull_and_decrypt(soc_system, pki)
    assert pulled.envelope == data  # ETDA's signature travels on, untouched
    assert pulled.files == encrypted.files
    assert_read_with_socs_key(pulled)

    # SOC's system acknowledges: the receipt goes on to ETDA, as for any relayed letter.
    item = Delivery.objects.get(recipient=soc_pulls, message_type=MessageType.LETTER.value)
    receipt = acknowledge(soc_system, pki, item)
    forward = Delivery.objects.get(message_type=MessageType.RECEIPT.value)
    assert (forward.sender, forward.recipient, bytes(forward.envelope)) == (
        soc_pulls,
        etda,
        receipt,
    )
    # ... and registers it: SOC's system signs the registration, the hub queues it to ETDA.
    queued = register(soc_system, pki, item, receive_number="ล ๔๕")
    assert (queued["message_type"], queued["recipient"]["key"]) == ("registration", "etda")

    # SOC's copy here is stored like any encrypted arrival: clear facts, ciphertext files.
    copy = Letter.objects.get(agency=soc_pulls, direction=Direction.INCOMING)
    assert copy.subject == SECRET_PLACEHOLDER_SUBJECT and copy.body == ""
    assert sorted(a.file.read() for a in copy.attachments.all()) == sorted(encrypted.files.values())
    with pytest.raises(SecretContentRefused):
        secret_letter_open(letter=copy, user=bob)
    assert secret_letter_open(letter=copy, user=somsri).letter.subject == SUBJECT
    # Nothing here ever saw the plaintext: no table, no stored file.
    assert_nothing_readable(stored_everywhere(), ciphertexts=encrypted.files.values())


def test_a_secret_letter_from_etdas_clerk_is_parked_for_socs_system_as_ciphertext(
    soc_pulls, pki, etda, alice, soc_system
):
    draft = draft_secret_letter(
        sender=etda,
        recipient=soc_pulls,
        clerk=alice,
        subject=SUBJECT,
        body=BODY,
        signer_name=SIGNER,
        files=FILES,
        secrecy=Secrecy.CONFIDENTIAL,  # ลับ
    )
    [delivery] = letter_send(letter=draft, actor=alice)

    assert delivery_attempt(delivery_id=delivery.pk) == "awaiting-pull"
    pulled = pull_and_decrypt(soc_system, pki)
    assert pulled.envelope == bytes(delivery.envelope)
    sealed = SealedDeliveryFile.objects.filter(delivery=delivery)
    assert pulled.files == {s.attachment_id: s.file.read() for s in sealed}
    assert_read_with_socs_key(pulled)

    # SOC's system acknowledges: Alice's delivery is delivered, with SOC's own receipt.
    receipt = acknowledge(soc_system, pki, delivery)
    delivery.refresh_from_db()
    assert (delivery.status, bytes(delivery.receipt)) == (DeliveryStatus.DELIVERED, receipt)
    assert AuditEvent.objects.filter(action="exchange.delivery.delivered").count() == 1
    # ... and registers it: the registration SOC's system signs reaches Alice's delivery.
    queued = register(soc_system, pki, delivery, receive_number="ล ๔๖")
    assert delivery_attempt(delivery_id=queued["id"]) == "delivered"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.receive_number) == (DeliveryStatus.REGISTERED, "ล ๔๖")

    # Everything the hub keeps, ETDA's sealed copy included: every table, every file.
    assert_nothing_readable(stored_everywhere(), ciphertexts=pulled.files.values())
