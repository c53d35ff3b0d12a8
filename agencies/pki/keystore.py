"""Hosted agencies' private signing keys: encrypted at rest, decrypted once per process.

A stored key is ``version (1) | master-key id (4) | nonce (12) | AES-256-GCM(PKCS#8 DER)``.
``seal`` and ``unseal`` make and open that format for any other secret kept at rest under the
same master key (webhook secrets, exchange/webhooks/), each with associated data of its own.
The master key is ``settings.HUB_KEY_ENCRYPTION_KEY`` (base64 of 32 bytes). The associated
data binds the blob to its agency and certificate, so a blob copied into another agency's row
(or next to another certificate) fails authentication instead of signing for the wrong agency.
The master-key id (the first four bytes of SHA-256 of the master key) only lets a wrong master
key be reported as such; it reveals nothing usable about a 256-bit random key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from agencies.models import Agency, AgencyEncryptionKey, AgencySigningKey

from .certificates import PrivateKey, load_certificate
from .errors import NoEncryptionKey, NoSigningKey, SigningKeyUnreadable

FORMAT_VERSION = 1
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12  # 96-bit random nonce, as NIST SP 800-38D recommends for GCM
_HEADER_BYTES = 1 + _KEY_ID_BYTES
_AAD_PREFIX = b"saraban-hub/agency-signing-key/v1"
_ENCRYPTION_AAD_PREFIX = b"saraban-hub/agency-encryption-key/v1"


def master_key_from_setting(value: str) -> bytes:
    """Decode HUB_KEY_ENCRYPTION_KEY, or raise ImproperlyConfigured saying what is wrong."""
    if not value:
        raise ImproperlyConfigured(
            "Set HUB_KEY_ENCRYPTION_KEY (base64 of 32 random bytes) to store signing keys."
        )
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("HUB_KEY_ENCRYPTION_KEY is not valid base64.") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(
            f"HUB_KEY_ENCRYPTION_KEY must decode to 32 bytes (AES-256), not {len(key)}."
        )
    return key


def _master_key() -> bytes:
    return master_key_from_setting(settings.HUB_KEY_ENCRYPTION_KEY)


def _key_id(master_key: bytes) -> bytes:
    return hashlib.sha256(master_key).digest()[:_KEY_ID_BYTES]


def signing_key_associated_data(*, agency_key: str, fingerprint_sha256: str) -> bytes:
    """Return the associated data that ties a stored key to its agency and certificate."""
    return b"|".join(
        [_AAD_PREFIX, agency_key.encode("utf-8"), fingerprint_sha256.lower().encode("ascii")]
    )


def encryption_key_associated_data(*, agency_key: str, fingerprint_sha256: str) -> bytes:
    """Like ``signing_key_associated_data``, for a decryption key: a signing-key blob moved
    into an encryption-key row (or the reverse) does not open."""
    return b"|".join(
        [
            _ENCRYPTION_AAD_PREFIX,
            agency_key.encode("utf-8"),
            fingerprint_sha256.lower().encode("ascii"),
        ]
    )


class SealedDataUnreadable(Exception):
    """A sealed blob did not open; ``reason`` says why, in a word fit for error details."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def seal(plaintext: bytes, *, associated_data: bytes, master_key: bytes | None = None) -> bytes:
    """Encrypt bytes with AES-256-GCM under the master key and a fresh nonce."""
    master_key = master_key if master_key is not None else _master_key()
    header = bytes([FORMAT_VERSION]) + _key_id(master_key)
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(master_key).encrypt(nonce, plaintext, header + associated_data)
    return header + nonce + ciphertext


def unseal(
    blob: bytes | memoryview, *, associated_data: bytes, master_key: bytes | None = None
) -> bytes:
    """Decrypt a blob made by ``seal``, or raise ``SealedDataUnreadable``."""
    master_key = master_key if master_key is not None else _master_key()
    blob = bytes(blob)  # PostgreSQL hands BinaryField values over as memoryview
    header, nonce = blob[:_HEADER_BYTES], blob[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES]
    ciphertext = blob[_HEADER_BYTES + _NONCE_BYTES :]
    if len(blob) < _HEADER_BYTES + _NONCE_BYTES + 16 or header[0] != FORMAT_VERSION:
        raise SealedDataUnreadable("unknown_format")
    if header[1:] != _key_id(master_key):
        raise SealedDataUnreadable("other_master_key")
    try:
        return AESGCM(master_key).decrypt(nonce, ciphertext, header + associated_data)
    except InvalidTag as exc:
        # Altered bytes, or a blob that belongs to another row (its associated data differs).
        raise SealedDataUnreadable("authentication_failed") from exc


def encrypt_private_key(
    key: PrivateKey, *, associated_data: bytes, master_key: bytes | None = None
) -> bytes:
    """Encrypt the key (PKCS#8 DER) with AES-256-GCM under the master key and a fresh nonce."""
    plaintext = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return seal(plaintext, associated_data=associated_data, master_key=master_key)


def encrypted_under(blob: bytes | memoryview, *, master_key: bytes) -> bool:
    """Say whether the blob was encrypted under this master key (by its key id; no decryption)."""
    blob = bytes(blob)
    return len(blob) > _HEADER_BYTES and blob[1:_HEADER_BYTES] == _key_id(master_key)


def decrypt_private_key(
    blob: bytes | memoryview, *, associated_data: bytes, master_key: bytes | None = None
) -> PrivateKey:
    """Decrypt a key made by ``encrypt_private_key``, or raise ``SigningKeyUnreadable``."""
    try:
        plaintext = unseal(blob, associated_data=associated_data, master_key=master_key)
    except SealedDataUnreadable as exc:
        raise SigningKeyUnreadable(details={"reason": exc.reason}) from exc
    key = serialization.load_der_private_key(plaintext, password=None)
    if not isinstance(key, PrivateKey):
        raise SigningKeyUnreadable(details={"reason": "unsupported_key_type"})
    return key


@dataclass(frozen=True)
class SigningMaterial:
    """What the envelope signer needs to sign as an agency."""

    agency_key: str
    private_key: PrivateKey
    certificate: x509.Certificate


# (AgencySigningKey pk, certificate fingerprint) -> decrypted material. A key row never
# changes once written (rotation adds a new row), so an entry cannot go stale; superseded
# entries are dropped. The fingerprint guards against a primary key reused after a rollback
# (SQLite hands out a rolled-back id again).
_cache: dict[tuple[int, str], SigningMaterial] = {}
_cache_lock = threading.Lock()


def signing_material_for(agency: Agency) -> SigningMaterial:
    """Return the agency's active signing key and certificate, decrypting it once per process.

    Each call asks the database which key is active (one indexed query), so a rotation or a
    deactivation takes effect at once in every process; the decryption (RSA key loading costs
    tens of milliseconds) happens only the first time a process sees that key.
    """
    # A key whose certificate was switched off (say, after a compromise) signs nothing more.
    active = (
        AgencySigningKey.objects.filter(agency=agency, is_active=True, certificate__is_active=True)
        .values_list("pk", "certificate__fingerprint_sha256")
        .first()
    )
    if active is None:
        raise NoSigningKey(details={"agency": agency.key})
    material = _cache.get(active)
    if material is not None and material.agency_key == agency.key:
        return material
    with _cache_lock:
        material = _cache.get(active)
        if material is None or material.agency_key != agency.key:
            material = _load(active[0])
            for stale in [k for k, m in _cache.items() if m.agency_key == agency.key]:
                del _cache[stale]
            _cache[active] = material
    return material


def _load(key_pk: int) -> SigningMaterial:
    row = AgencySigningKey.objects.select_related("agency", "certificate").get(pk=key_pk)
    certificate = row.certificate
    private_key = decrypt_private_key(
        row.encrypted_key,
        associated_data=signing_key_associated_data(
            agency_key=row.agency.key, fingerprint_sha256=certificate.fingerprint_sha256
        ),
    )
    return SigningMaterial(
        agency_key=row.agency.key,
        private_key=private_key,
        certificate=load_certificate(certificate.certificate_pem.encode("ascii")),
    )


def signing_material_cache_clear() -> None:
    """Forget every decrypted key of this process (tests; after a master-key rotation)."""
    with _cache_lock:
        _cache.clear()


@dataclass(frozen=True)
class EncryptionMaterial:
    """An agency's decryption key for secret letters with the certificate it belongs to."""

    agency_key: str
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate


def encryption_material_for(*, agency: Agency, fingerprint_sha256: str) -> EncryptionMaterial:
    """Decrypt the agency's key for the encryption certificate with that fingerprint.

    Inactive (rotated) keys still open the letters that were encrypted to them. Not cached:
    opening a secret letter is rare, audited and deliberate, so the key is in memory only
    for the call.
    """
    row = (
        AgencyEncryptionKey.objects.select_related("agency", "certificate")
        .filter(agency=agency, certificate__fingerprint_sha256=fingerprint_sha256.lower())
        .first()
    )
    if row is None:
        raise NoEncryptionKey(details={"agency": agency.key, "certificate": fingerprint_sha256})
    key = decrypt_private_key(
        row.encrypted_key,
        associated_data=encryption_key_associated_data(
            agency_key=row.agency.key, fingerprint_sha256=row.certificate.fingerprint_sha256
        ),
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyUnreadable(details={"reason": "encryption key is not RSA"})
    return EncryptionMaterial(
        agency_key=row.agency.key,
        private_key=key,
        certificate=load_certificate(row.certificate.certificate_pem.encode("ascii")),
    )
