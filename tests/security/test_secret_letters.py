"""Secret letters (ลับ, ลับมาก): encrypted to the recipient agency, opened only by its officers.

Acceptance of issue 8, item 1. ETDA (สพธอ.) sends a ลับมาก letter to SOC (สลค.), both hosted
here, through the real services and the delivery task body. What must hold:

* nothing readable of it in SOC's rows, in the envelope bytes (outbox and inbox), or in the
  files on disk;
* only SOC's secret-registry officer opens it; SOC's clerk, ETDA's clerk, the auditor and the
  hub administrator are refused, and every try (opened or refused) leaves an audit event;
* a hub administrator gets in only by break-glass, with a reason, audited and listed to SOC;
* ลับที่สุด is refused at compose, in the API and on inbound;
* altered ciphertext is refused (by the signature in transit, by the GCM tag at rest).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from lxml import etree

from agencies.models import (
    Agency,
    AgencyCertificate,
    AgencyEncryptionKey,
    AgencyRole,
    CertificatePurpose,
    HubRole,
    HubRoleName,
)
from agencies.pki.errors import NoEncryptionCertificate
from audit.models import AuditEvent
from exchange.envelope import (
    Header,
    MessageType,
    RecipientKey,
    SecretFile,
    content_key_unwrap,
    envelope_verify,
    letter_decrypt,
    letter_encrypt,
)
from exchange.envelope.errors import (
    SecretNotEncrypted,
    SecretUndecryptable,
    SignatureInvalid,
    TopSecretRefused,
)
from exchange.errors import BreakGlassReasonRequired, BreakGlassRefused
from exchange.models import (
    BreakGlassAccess,
    Delivery,
    DeliveryStatus,
    InboundEnvelope,
    SealedDeliveryFile,
)
from exchange.selectors import break_glass_accesses_of_agency
from exchange.services.inbound import envelope_receive
from exchange.services.outbox import delivery_attempt
from exchange.services.secret_letters import secret_letter_break_glass, secret_letter_open
from exchange.services.sending import letter_send
from letters.errors import SecretContentRefused
from letters.errors import TopSecretRefused as ComposeTopSecretRefused
from letters.models import (
    Attachment,
    AttachmentRole,
    Letter,
    LetterRecipient,
    LetterReference,
    LetterStatus,
    RegisterEntry,
    Secrecy,
)
from letters.models.sealed import SECRET_PLACEHOLDER_SUBJECT
from letters.services.letters import (
    ReferenceInput,
    letter_register_incoming,
)
from tests.api.conftest import api_key_for, client_with
from tests.api.outgoing_support import letter_metadata
from tests.conftest import make_user
from tests.exchange.conftest import ETDA, SOC, letter_envelope, now
from tests.exchange.test_xmlsec1_interop import ID_ATTRIBUTES, XMLSEC1
from tests.security.secret_support import (
    draft_secret_letter,
    encrypted_envelope,
    joined_text,
    signed_by_etda,
)

SUBJECT = "แผนการตรวจสอบความมั่นคงปลอดภัยระบบสารสนเทศของศูนย์ราชการ ประจำปี ๒๕๖๙"
BODY = "ด้วยสำนักงานฯ ได้ตรวจพบช่องโหว่ในระบบรับส่งหนังสือราชการ จึงเรียนมาเพื่อโปรดพิจารณาดำเนินการโดยด่วน"
SIGNER = "นายชัยชนะ มิตรพันธ์"
REFERENCE_SUBJECT = "ผลการประเมินความเสี่ยงด้านไซเบอร์ รอบที่ ๒"
MAIN_NAME = "บันทึกช่องโหว่ระบบ ลับมาก.pdf"
ENCLOSURE_NAME = "รายชื่อเครื่องแม่ข่ายที่ได้รับผลกระทบ.txt"
MAIN_PDF = b"%PDF-1.7\n% " + "ช่องโหว่ระดับวิกฤต ในเครื่องแม่ข่ายหลัก".encode() + b"\n%%EOF\n"
ENCLOSURE = "เครื่องแม่ข่าย ๑๐.๐.๐.๑๕ ระบบสารบรรณกลาง\nรหัสผ่านผู้ดูแลชั่วคราว\n".encode()
# Strings that must never be found in SOC's rows, the envelopes or the stored files.
SECRETS = [SUBJECT, BODY, SIGNER, REFERENCE_SUBJECT, MAIN_NAME, ENCLOSURE_NAME]
SECRET_BYTES = [s.encode() for s in SECRETS] + [MAIN_PDF, ENCLOSURE]


# --- personas -------------------------------------------------------------------------------


@pytest.fixture
def etda_officer(etda: Agency) -> User:
    """ETDA's secret-registry officer: an officer, but of the wrong agency."""
    return make_user("etda_officer", (etda, AgencyRole.SECRET_OFFICER))


@pytest.fixture
def hub_admin(db: None) -> User:
    user = make_user("hub_admin")
    HubRole.objects.create(user=user, role=HubRoleName.HUB_ADMIN)
    return user


def draft_secret(
    etda: Agency, soc: Agency, alice: User, *, secrecy: str = Secrecy.SECRET
) -> Letter:
    return draft_secret_letter(
        sender=etda,
        recipient=soc,
        clerk=alice,
        subject=SUBJECT,
        body=BODY,
        signer_name=SIGNER,
        files=[
            SecretFile("", "main", MAIN_NAME, "application/pdf", MAIN_PDF),
            SecretFile("", "enclosure", ENCLOSURE_NAME, "text/plain", ENCLOSURE, "สิ่งที่ส่งมาด้วย ๑"),
        ],
        references=[ReferenceInput(number_text="นร ๐๕๐๖/ล ๑๒", subject=REFERENCE_SUBJECT)],
        secrecy=secrecy,
    )


def send_secret(etda: Agency, soc: Agency, alice: User) -> tuple[Delivery, Letter]:
    """ETDA sends the ลับมาก letter; it is delivered into SOC's inbox. Return both ends."""
    [delivery] = letter_send(letter=draft_secret(etda, soc, alice), actor=alice)
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    inbound = InboundEnvelope.objects.get(message_id=delivery.message_id)
    assert inbound.letter is not None
    return delivery, inbound.letter


@pytest.fixture
def secret(hosted, etda, soc, alice) -> tuple[Delivery, Letter]:
    return send_secret(etda, soc, alice)


# --- nothing readable at rest ---------------------------------------------------------------


def test_a_secret_letter_is_unreadable_in_socs_rows_the_envelopes_and_the_files(
    secret, soc, somsri, settings
):
    delivery, copy = secret
    letter_register_incoming(letter=copy, actor=somsri)  # the register line too

    rows = [
        *Letter.objects.filter(agency=soc).values(),
        *LetterRecipient.objects.filter(letter__agency=soc).values(),
        *LetterReference.objects.filter(letter__agency=soc).values(),
        *Attachment.objects.filter(letter__agency=soc).values(),
        *RegisterEntry.objects.filter(agency=soc).values(),
        *InboundEnvelope.objects.filter(recipient=soc).values("evidence", "message_type"),
        # All of it, ETDA's too: auditors read the trail across agencies.
        *AuditEvent.objects.values("action", "before", "after", "target_type", "target_id"),
    ]
    stored = joined_text(value for row in rows for value in row.values())
    for secret_text in SECRETS:
        assert secret_text not in stored
    assert copy.subject == SECRET_PLACEHOLDER_SUBJECT
    assert (copy.body, copy.signer_name, copy.addressee) == ("", "", "")
    assert (copy.secrecy, copy.urgency, copy.series) == (Secrecy.SECRET, "003", "secret")
    assert RegisterEntry.objects.get(letter=copy).series == "secret"

    inbound = InboundEnvelope.objects.get(letter=copy)
    for envelope in (bytes(inbound.envelope), bytes(Delivery.objects.get(pk=delivery.pk).envelope)):
        assert b"<EncryptedLetter>" in envelope and b"<Letter>" not in envelope
        for secret_bytes in SECRET_BYTES:
            assert secret_bytes not in envelope

    files = [a.file.path for a in copy.attachments.all()] + [
        f.file.path for f in SealedDeliveryFile.objects.filter(delivery=delivery)
    ]
    assert len(files) == 4
    for path in files:
        data = Path(path).read_bytes()
        for secret_bytes in SECRET_BYTES:
            assert secret_bytes not in data
    # SOC's files are the ciphertext exactly as received: the manifest's digests.
    assert {a.name for a in copy.attachments.all()} == {
        f"{f.attachment_id}.bin" for f in SealedDeliveryFile.objects.filter(delivery=delivery)
    }
    assert {a.sha256 for a in copy.attachments.all()} == {
        hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in files[:2]
    }


# --- who may open it ------------------------------------------------------------------------


def test_only_socs_secret_officer_opens_it_and_every_try_is_logged(
    secret, soc, somsri, bob, alice, etda_officer, auditor, hub_admin
):
    _delivery, copy = secret

    for persona in (bob, alice, etda_officer, auditor, hub_admin):
        with pytest.raises(SecretContentRefused):
            secret_letter_open(letter=copy, user=persona)
    opened = secret_letter_open(letter=copy, user=somsri)
    secret_letter_open(letter=copy, user=somsri)

    assert (opened.letter.subject, opened.letter.body, opened.letter.signer_name) == (
        SUBJECT,
        BODY,
        SIGNER,
    )
    assert opened.letter.references[0].subject == REFERENCE_SUBJECT
    assert [(f.role, f.name, f.media_type, f.data) for f in opened.files] == [
        ("main", MAIN_NAME, "application/pdf", MAIN_PDF),
        ("enclosure", ENCLOSURE_NAME, "text/plain", ENCLOSURE),
    ]
    refused = AuditEvent.objects.filter(action="letters.letter.secret_refused").order_by("id")
    assert [(e.actor_user, e.agency, e.target_id) for e in refused] == [
        (persona, soc, str(copy.pk)) for persona in (bob, alice, etda_officer, auditor, hub_admin)
    ]
    opens = AuditEvent.objects.filter(action="letters.letter.secret_opened")
    assert [(e.actor_user, e.agency, e.after["decrypted"]) for e in opens] == [
        (somsri, soc, True),
        (somsri, soc, True),
    ]
    # Opening decrypts for the caller only: the row still holds no plaintext.
    copy.refresh_from_db()
    assert copy.subject == SECRET_PLACEHOLDER_SUBJECT and copy.body == ""


def test_the_hub_admin_gets_in_only_by_break_glass_with_a_reason_shown_to_soc(
    secret, soc, etda, hub_admin, somsri
):
    _delivery, copy = secret
    reason = "คำสั่งศาลอาญาที่ ๑๒๓/๒๕๖๙ ให้ตรวจสอบหนังสือฉบับนี้เป็นพยานหลักฐาน"

    with pytest.raises(BreakGlassReasonRequired):
        secret_letter_break_glass(letter=copy, user=hub_admin, reason="  ตรวจ  ")
    with pytest.raises(BreakGlassRefused):
        secret_letter_break_glass(letter=copy, user=somsri, reason=reason)
    assert not BreakGlassAccess.objects.exists()

    opened = secret_letter_break_glass(letter=copy, user=hub_admin, reason=reason)

    assert opened.letter.subject == SUBJECT
    [access] = break_glass_accesses_of_agency(agency=soc)
    assert (access.letter, access.opened_by, access.reason) == (copy, hub_admin, reason)
    assert not break_glass_accesses_of_agency(agency=etda).exists()
    [event] = AuditEvent.objects.filter(action="letters.letter.secret_break_glass")
    assert (event.agency, event.actor_user, event.after["reason"]) == (soc, hub_admin, reason)
    assert (
        AuditEvent.objects.filter(
            action="letters.letter.secret_break_glass_refused", agency=soc
        ).count()
        == 2
    )


# --- keys -----------------------------------------------------------------------------------


def test_a_recipient_without_an_encryption_certificate_is_refused_before_anything_is_sent(
    hosted,
    etda,
    soc,
    alice,
):
    AgencyEncryptionKey.objects.filter(agency=soc).update(is_active=False)
    AgencyCertificate.objects.filter(agency=soc, purpose=CertificatePurpose.ENCRYPTION).update(
        is_active=False
    )
    draft = draft_secret(etda, soc, alice)

    with pytest.raises(NoEncryptionCertificate) as refusal:
        letter_send(letter=draft, actor=alice)

    assert refusal.value.code == "pki.no_encryption_certificate"
    draft.refresh_from_db()
    assert (draft.status, draft.running_number) == (LetterStatus.DRAFT, None)
    assert not Delivery.objects.exists()
    assert not RegisterEntry.objects.filter(letter=draft).exists()


def test_the_encryption_certificate_is_for_key_encipherment_only(pki):
    from cryptography import x509

    usage = pki.soc_encryption.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_encipherment and not usage.digital_signature


# --- ลับที่สุด, three places ------------------------------------------------------------------


def test_top_secret_is_refused_at_compose(etda, soc, alice):
    with pytest.raises(ComposeTopSecretRefused):
        draft_secret(etda, soc, alice, secrecy=Secrecy.TOP_SECRET)
    assert not Letter.objects.exists()


def test_top_secret_is_refused_in_the_api(etda, soc, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_with(api_key_for(etda))

    response = client.post(
        "/api/v1/letters", letter_metadata(secrecy="004", subject=SUBJECT), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "letters.top_secret_refused"
    assert not Letter.objects.exists()


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "in-the-clear"])
def test_top_secret_is_refused_on_inbound(hosted, pki, encrypted):
    envelope = (
        encrypted_envelope(pki, secrecy="004").envelope
        if encrypted
        else letter_envelope(secrecy="004")
    )

    with pytest.raises(TopSecretRefused) as refusal:
        envelope_receive(data=signed_by_etda(pki, envelope), served_keys=frozenset({"soc"}))

    assert refusal.value.code == "envelope.top_secret_refused"
    assert not InboundEnvelope.objects.exists() and not Letter.objects.exists()


def test_a_secret_letter_in_the_clear_is_refused_on_inbound(hosted, pki):
    with pytest.raises(SecretNotEncrypted):
        envelope_receive(
            data=signed_by_etda(pki, letter_envelope(secrecy="002")), served_keys=frozenset({"soc"})
        )
    assert not Letter.objects.exists()


# --- tampering --------------------------------------------------------------------------------


def test_a_ciphertext_altered_in_transit_breaks_the_signature(pki):
    data = signed_by_etda(pki, encrypted_envelope(pki).envelope)
    root = etree.fromstring(data)
    [ciphertext] = root.iter("{urn:th:saraban-hub:envelope:1.0}Ciphertext")
    original = ciphertext.text or ""
    ciphertext.text = ("B" if original[10] != "B" else "C").join([original[:10], original[11:]])

    with pytest.raises(SignatureInvalid):
        envelope_verify(etree.tostring(root), directory=pki.directory(), now=now())


def test_a_ciphertext_altered_under_a_new_signature_fails_its_gcm_tag(pki):
    # Even the sender's own key cannot make altered content pass: the tag is over the content
    # key, which only the recipient can unwrap.
    envelope = encrypted_envelope(pki).envelope
    assert envelope.encrypted_letter is not None
    flipped = bytearray(envelope.encrypted_letter.ciphertext)
    flipped[5] ^= 0x01
    forged = dataclasses.replace(
        envelope,
        encrypted_letter=dataclasses.replace(envelope.encrypted_letter, ciphertext=bytes(flipped)),
    )
    verified = envelope_verify(signed_by_etda(pki, forged), directory=pki.directory(), now=now())
    key = content_key_unwrap(
        verified.envelope,
        agency_key="soc",
        private_key=pki.soc_encryption.private_key,
        certificate=pki.soc_encryption.certificate,
    )

    with pytest.raises(SecretUndecryptable):
        letter_decrypt(verified.envelope, content_key=key)


def test_a_stored_file_altered_at_rest_is_refused_when_opened(secret, somsri):
    _delivery, copy = secret
    stored = copy.attachments.get(role=AttachmentRole.ENCLOSURE)
    path = Path(stored.file.path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x80
    path.write_bytes(bytes(data))

    with pytest.raises(SecretUndecryptable) as refusal:
        secret_letter_open(letter=copy, user=somsri)

    assert refusal.value.code == "envelope.secret_undecryptable"
    assert not AuditEvent.objects.filter(action="letters.letter.secret_opened").exists()
    [failed] = AuditEvent.objects.filter(action="letters.letter.secret_open_failed")
    assert (failed.actor_user, failed.agency, failed.after["code"]) == (
        somsri,
        copy.agency,
        "envelope.secret_undecryptable",
    )


def test_a_sealed_file_altered_before_delivery_is_refused_by_the_manifest(
    hosted,
    etda,
    soc,
    alice,
):
    [delivery] = letter_send(letter=draft_secret(etda, soc, alice), actor=alice)
    sealed = SealedDeliveryFile.objects.filter(delivery=delivery).first()
    assert sealed is not None
    path = Path(sealed.file.path)
    path.write_bytes(b"\x00" + path.read_bytes()[1:])

    assert delivery_attempt(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error_code == "envelope.attachment_digest_mismatch"
    assert not Letter.objects.filter(agency=soc).exists()


# --- interop: the signature over ciphertext is ordinary XAdES ---------------------------------


def test_xmlsec1_verifies_the_signature_of_an_encrypted_envelope(pki, tmp_path):
    assert XMLSEC1, "xmlsec1 is missing: `make test` installs it (Debian package xmlsec1)"
    data = signed_by_etda(pki, encrypted_envelope(pki).envelope)
    (tmp_path / "ca.pem").write_bytes(pki.ca.certificate_pem())
    (tmp_path / "envelope.xml").write_bytes(data)

    result = subprocess.run(
        [
            shutil.which("xmlsec1") or XMLSEC1,
            "--verify",
            "--trusted-pem",
            str(tmp_path / "ca.pem"),
            *ID_ATTRIBUTES,
            str(tmp_path / "envelope.xml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "SignedInfo References (ok/all): 3/3" in result.stderr


def test_an_encrypted_envelope_round_trips_through_the_verifier_and_decrypts(pki):
    plain = letter_envelope(secrecy="002")
    assert plain.letter is not None
    header = Header(
        message_id=str(uuid.uuid4()),
        message_type=MessageType.LETTER,
        created_at=now(),
        sender=ETDA,
        recipient=SOC,
        conversation_id=str(uuid.uuid4()),
    )
    encrypted = letter_encrypt(
        header=header,
        letter=plain.letter,
        files=[
            SecretFile(
                attachment_id="att-1",
                role="main",
                name=MAIN_NAME,
                media_type="application/pdf",
                data=MAIN_PDF,
            )
        ],
        recipients=[RecipientKey(agency_key="soc", certificate=pki.soc_encryption.certificate)],
    )

    verified = envelope_verify(
        signed_by_etda(pki, encrypted.envelope), directory=pki.directory(), now=now()
    )

    assert verified.envelope.letter is None
    assert [(m.name, m.media_type) for m in verified.envelope.manifest] == [
        ("att-1.bin", "application/octet-stream")
    ]
    key = content_key_unwrap(
        verified.envelope,
        agency_key="soc",
        private_key=pki.soc_encryption.private_key,
        certificate=pki.soc_encryption.certificate,
    )
    content = letter_decrypt(verified.envelope, content_key=key)
    assert content.letter == plain.letter
    assert content.files[0].name == MAIN_NAME
    # ETDA's own key cannot unwrap a key wrapped for SOC only.
    from exchange.envelope.errors import SecretNotForAgency

    with pytest.raises(SecretNotForAgency):
        content_key_unwrap(
            verified.envelope,
            agency_key="etda",
            private_key=pki.etda_encryption.private_key,
            certificate=pki.etda_encryption.certificate,
        )


# --- an agency's own system encrypts and signs --------------------------------------------------


def test_a_secret_letter_encrypted_by_etdas_own_system_goes_through_and_only_somsri_opens_it(
    hosted, pki, etda, soc, somsri, bob
):
    from exchange.services.submission import envelope_submit

    plain = letter_envelope(secrecy="002", subject=SUBJECT)
    assert plain.letter is not None
    encrypted = letter_encrypt(
        header=plain.header,
        letter=dataclasses.replace(plain.letter, body=BODY),
        files=[
            SecretFile(
                attachment_id="doc-1",
                role="main",
                name=MAIN_NAME,
                media_type="application/pdf",
                data=MAIN_PDF,
            )
        ],
        recipients=[RecipientKey(agency_key="soc", certificate=pki.soc_encryption.certificate)],
    )
    data = signed_by_etda(pki, encrypted.envelope)

    delivery = envelope_submit(
        agency=etda,
        data=data,
        attachments={name: io.BytesIO(content) for name, content in encrypted.files.items()},
        actor="system:esaraban",
    )
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"

    copy = InboundEnvelope.objects.get(recipient=soc).letter
    assert copy is not None
    rows = [*Letter.objects.values(), *Attachment.objects.values()]
    stored = joined_text(value for row in rows for value in row.values())
    for secret_text in SECRETS:
        assert secret_text not in stored
    with pytest.raises(SecretContentRefused):
        secret_letter_open(letter=copy, user=bob)
    opened = secret_letter_open(letter=copy, user=somsri)
    assert (opened.letter.subject, opened.letter.body) == (SUBJECT, BODY)
    assert [(f.name, f.data) for f in opened.files] == [(MAIN_NAME, MAIN_PDF)]


# --- the Django admin is no back door -------------------------------------------------------------


def test_the_admin_shows_no_secret_content_and_finds_none_by_search(secret, client, hub_admin):
    delivery, copy = secret
    sent = delivery.letter  # ETDA's own outgoing row: it keeps the plaintext for ETDA
    hub_admin.is_staff = hub_admin.is_superuser = True
    hub_admin.save()
    client.force_login(hub_admin)

    pages = [
        client.get(f"/admin/letters/letter/{sent.pk}/change/"),
        client.get(f"/admin/letters/letter/{copy.pk}/change/"),
        client.get("/admin/letters/letter/"),
        client.get("/admin/letters/registerentry/"),
        *(
            client.get(f"/admin/letters/registerentry/{entry.pk}/change/")
            for entry in RegisterEntry.objects.all()
        ),
    ]
    found = client.get("/admin/letters/letter/", {"q": SUBJECT[:20]})
    found_entries = client.get("/admin/letters/registerentry/", {"q": SUBJECT[:20]})

    assert all(page.status_code == 200 for page in pages)
    for page in pages:
        text = page.content.decode()
        for secret_text in SECRETS:
            assert secret_text not in text
    assert f"/admin/letters/letter/{sent.pk}/change/" not in found.content.decode()
    entries = list(RegisterEntry.objects.filter(series="secret"))
    assert entries  # ETDA's dispatch line, from the secret series
    for entry in entries:
        assert f"/admin/letters/registerentry/{entry.pk}/change/" not in (
            found_entries.content.decode()
        )


def test_soc_sees_the_break_glass_opening_on_the_letter_page(secret, client, bob, hub_admin):
    _delivery, copy = secret
    reason = "คำสั่งศาลอาญาที่ ๑๒๓/๒๕๖๙ ให้ตรวจสอบหนังสือฉบับนี้เป็นพยานหลักฐาน"
    client.force_login(bob)
    assert "data-break-glass" not in client.get(f"/letters/{copy.pk}/").content.decode()

    secret_letter_break_glass(letter=copy, user=hub_admin, reason=reason)
    page = client.get(f"/letters/{copy.pk}/").content.decode()

    assert "data-break-glass" in page
    assert reason in page and "hub_admin" in page
