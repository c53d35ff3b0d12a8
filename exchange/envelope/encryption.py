"""Secret letters (ลับ, ลับมาก): encrypt the content to the recipient agency, and open it again.

Pure: no database. The design is in docs/security.md ("Secret letters"); in short:

* a fresh 256-bit content key per envelope, never reused, never stored in the clear;
* the key wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256) once per authorised agency, each wrap
  naming the agency and the SHA-256 of the encryption certificate it was made for;
* the letter (``SecretContent``: the whole ``Letter`` plus each file's real name, media type,
  size and digest) encrypted with AES-256-GCM; each file encrypted on its own with the same key;
* nonces are counters (0 for the letter, 1, 2, ... for the files in manifest order): under a
  key used for one envelope only they are unique by construction, with no random-collision bound;
* the associated data binds every ciphertext to the message id, the two agencies and (for a
  file) its manifest id, so nothing can be moved to another envelope or another file slot;
* the manifest lists the *ciphertext* (``<id>.bin``, ``application/octet-stream``, its size
  and SHA-256): transports and the receiver check the bytes exactly as for any letter, and the
  signature over the envelope covers the ciphertext and the wraps (encrypt, then sign).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

from . import errors
from .safe_xml import parse_xml
from .schema import envelope_schema
from .types import (
    EncryptedLetterData,
    Envelope,
    Header,
    KeyWrap,
    LetterData,
    ManifestEntry,
    SecretContent,
    SecretFileEntry,
)
from .xml_build import secret_content_to_xml, tag
from .xml_read import xml_to_secret_content

SECRET_CODES = frozenset({"002", "003"})  # ลับ, ลับมาก; 004 never travels
CONTENT_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
CIPHERTEXT_MEDIA_TYPE = "application/octet-stream"
_LETTER_AAD = b"saraban-hub/secret-letter/v1"
_FILE_AAD = b"saraban-hub/secret-file/v1"
# Decrypted content is parsed with the same caps as an envelope.
MAX_CONTENT_BYTES = 10 * 1024 * 1024
MAX_CONTENT_DEPTH = 64


def _oaep() -> padding.OAEP:
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
    )


def _nonce(index: int) -> bytes:
    return index.to_bytes(NONCE_BYTES, "big")


def _letter_aad(header: Header) -> bytes:
    return b"|".join(
        [
            _LETTER_AAD,
            header.message_id.encode("ascii"),
            header.sender.agency_key.encode("utf-8"),
            header.recipient.agency_key.encode("utf-8"),
        ]
    )


def _file_aad(header: Header, attachment_id: str) -> bytes:
    return b"|".join(
        [
            _FILE_AAD,
            header.message_id.encode("ascii"),
            header.sender.agency_key.encode("utf-8"),
            header.recipient.agency_key.encode("utf-8"),
            attachment_id.encode("ascii"),
        ]
    )


def certificate_sha256(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class RecipientKey:
    """An agency authorised to read the letter, and the certificate to encrypt to."""

    agency_key: str
    certificate: x509.Certificate


@dataclass(frozen=True)
class SecretFile:
    """One plaintext file of a secret letter, in memory (see docs/security.md on size)."""

    attachment_id: str
    role: str
    name: str
    media_type: str
    data: bytes
    description: str = ""


@dataclass(frozen=True)
class EncryptedEnvelope:
    """The envelope to sign, and the encrypted bytes of each file by manifest id."""

    envelope: Envelope
    files: dict[str, bytes]


def _wrap(key: bytes, recipient: RecipientKey) -> KeyWrap:
    public_key = recipient.certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        # Only RSA-OAEP is in the profile; an EC encryption certificate would need ECDH-ES.
        raise errors.SecretNotForAgency(
            details={"agency": recipient.agency_key, "reason": "not an RSA certificate"}
        )
    return KeyWrap(
        agency_key=recipient.agency_key,
        certificate_sha256=certificate_sha256(recipient.certificate),
        wrapped_key=public_key.encrypt(key, _oaep()),
    )


def letter_encrypt(
    *,
    header: Header,
    letter: LetterData,
    files: Sequence[SecretFile],
    recipients: Sequence[RecipientKey],
) -> EncryptedEnvelope:
    """Encrypt a secret letter and its files for the agencies named (one wrap each).

    The caller checks the certificates (``encryption_certificate_check``) before calling.
    """
    if letter.secrecy not in SECRET_CODES:
        raise ValueError("Only ลับ and ลับมาก letters are encrypted; ลับที่สุด never travels.")
    if not recipients or len({r.agency_key for r in recipients}) != len(recipients):
        raise ValueError("Name each authorised agency exactly once.")
    key = AESGCM.generate_key(bit_length=CONTENT_KEY_BYTES * 8)
    aead = AESGCM(key)
    encrypted_files: dict[str, bytes] = {}
    manifest = []
    for index, item in enumerate(files, start=1):
        ciphertext = aead.encrypt(_nonce(index), item.data, _file_aad(header, item.attachment_id))
        encrypted_files[item.attachment_id] = ciphertext
        manifest.append(
            ManifestEntry(
                attachment_id=item.attachment_id,
                role=item.role,
                name=f"{item.attachment_id}.bin",
                media_type=CIPHERTEXT_MEDIA_TYPE,
                size=len(ciphertext),
                sha256=hashlib.sha256(ciphertext).hexdigest(),
            )
        )
    content = SecretContent(
        letter=letter,
        files=tuple(
            SecretFileEntry(
                attachment_id=item.attachment_id,
                role=item.role,
                name=item.name,
                media_type=item.media_type,
                size=len(item.data),
                sha256=hashlib.sha256(item.data).hexdigest(),
                description=item.description,
            )
            for item in files
        ),
    )
    plaintext = etree.tostring(secret_content_to_xml(content), method="c14n", exclusive=True)
    encrypted = EncryptedLetterData(
        number=letter.number,
        date=letter.date,
        urgency=letter.urgency,
        secrecy=letter.secrecy,
        urgent_deadline=letter.urgent_deadline,
        key_wraps=tuple(_wrap(key, recipient) for recipient in recipients),
        ciphertext=aead.encrypt(_nonce(0), plaintext, _letter_aad(header)),
    )
    del key, aead
    return EncryptedEnvelope(
        envelope=Envelope(header=header, encrypted_letter=encrypted, manifest=tuple(manifest)),
        files=encrypted_files,
    )


def content_key_unwrap(
    envelope: Envelope,
    *,
    agency_key: str,
    private_key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
) -> bytes:
    """Unwrap the content key with the agency's encryption key, or raise why not."""
    encrypted = envelope.encrypted_letter
    if encrypted is None:
        raise errors.SecretNotForAgency(details={"reason": "not an encrypted letter"})
    fingerprint = certificate_sha256(certificate)
    wraps = [
        w
        for w in encrypted.key_wraps
        if w.agency_key == agency_key and w.certificate_sha256 == fingerprint
    ]
    if not wraps:
        raise errors.SecretNotForAgency(details={"agency": agency_key, "certificate": fingerprint})
    try:
        key = private_key.decrypt(wraps[0].wrapped_key, _oaep())
    except ValueError as exc:
        raise errors.SecretUndecryptable(details={"part": "key_wrap"}) from exc
    if len(key) != CONTENT_KEY_BYTES:
        raise errors.SecretUndecryptable(details={"part": "key_wrap"})
    return key


def letter_decrypt(envelope: Envelope, *, content_key: bytes) -> SecretContent:
    """Decrypt and schema-check the SecretContent, and match its files to the manifest."""
    encrypted = envelope.encrypted_letter
    if encrypted is None:
        raise errors.SecretNotForAgency(details={"reason": "not an encrypted letter"})
    try:
        plaintext = AESGCM(content_key).decrypt(
            _nonce(0), encrypted.ciphertext, _letter_aad(envelope.header)
        )
    except InvalidTag as exc:
        raise errors.SecretUndecryptable(details={"part": "letter"}) from exc
    root = parse_xml(plaintext, max_bytes=MAX_CONTENT_BYTES, max_depth=MAX_CONTENT_DEPTH)
    schema = envelope_schema()
    if root.tag != tag("SecretContent") or not schema.validate(root):
        raise errors.SecretUndecryptable(
            details={"part": "letter", "errors": [str(e) for e in schema.error_log][:5]}
        )
    content = xml_to_secret_content(root)
    # The encrypted content must tell the same story as what the registers saw in the clear.
    letter = content.letter
    if (letter.number, letter.date, letter.urgency, letter.secrecy, letter.urgent_deadline) != (
        encrypted.number,
        encrypted.date,
        encrypted.urgency,
        encrypted.secrecy,
        encrypted.urgent_deadline,
    ):
        raise errors.SecretUndecryptable(details={"part": "letter", "reason": "clear facts differ"})
    manifest = [(entry.attachment_id, entry.role) for entry in envelope.manifest]
    if [(entry.attachment_id, entry.role) for entry in content.files] != manifest:
        raise errors.SecretUndecryptable(details={"part": "letter", "reason": "files differ"})
    return content


def file_decrypt(
    data: bytes, *, envelope: Envelope, content_key: bytes, entry: SecretFileEntry
) -> bytes:
    """Decrypt one file of a secret letter and check it against its encrypted facts."""
    ids = [item.attachment_id for item in envelope.manifest]
    if entry.attachment_id not in ids:
        raise errors.SecretUndecryptable(details={"part": entry.attachment_id})
    index = ids.index(entry.attachment_id) + 1
    try:
        plaintext = AESGCM(content_key).decrypt(
            _nonce(index), data, _file_aad(envelope.header, entry.attachment_id)
        )
    except InvalidTag as exc:
        raise errors.SecretUndecryptable(details={"part": entry.attachment_id}) from exc
    if len(plaintext) != entry.size or hashlib.sha256(plaintext).hexdigest() != entry.sha256:
        raise errors.SecretUndecryptable(details={"part": entry.attachment_id, "reason": "digest"})
    return plaintext
