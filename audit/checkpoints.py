"""Checkpoints: the hub signs the chain head with its own key, every few minutes.

A hash chain alone shows that rows were changed, unless whoever changed them also recomputed
every later hash; a signed checkpoint makes that impossible without the hub's private key. The
key is the hub's (made on first use, kept encrypted under the same master key as the agencies'
signing keys), and its certificate travels with each checkpoint; ``audit_verify --expect-key``
pins its fingerprint so a swapped key shows up too.
"""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.db import transaction
from django.utils import timezone

from agencies.pki.issuing import make_ca, new_private_key
from agencies.pki.keystore import decrypt_private_key, encrypt_private_key
from audit.services import audit_chain_lock

from .models import AuditChainHead, AuditCheckpoint, AuditSigningKey
from .services import HEAD_PK

KEY_ASSOCIATED_DATA = b"saraban-hub|audit-checkpoint-key"


def checkpoint_message(*, sequence: int, head_hash: str, signed_at: datetime.datetime) -> bytes:
    """What a checkpoint signature covers."""
    moment = signed_at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return f"saraban-audit-checkpoint/1\n{sequence}\n{head_hash}\n{moment}".encode()


def certificate_fingerprint(certificate_pem: str) -> str:
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    return certificate.fingerprint(hashes.SHA256()).hex()


def signature_valid(*, certificate_pem: str, message: bytes, signature: bytes) -> bool:
    public_key = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


def hub_signing_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """The hub's checkpoint key and certificate; made once, in the caller's transaction."""
    stored = AuditSigningKey.objects.order_by("-created_at", "-id").first()
    if stored is None:
        key = new_private_key("ec")
        issued = make_ca("Saraban Exchange Hub audit checkpoints", key=key)
        pem = issued.certificate.public_bytes(serialization.Encoding.PEM).decode()
        stored = AuditSigningKey.objects.create(
            certificate_pem=pem,
            encrypted_private_key=encrypt_private_key(key, associated_data=KEY_ASSOCIATED_DATA),
        )
    key = decrypt_private_key(stored.encrypted_private_key, associated_data=KEY_ASSOCIATED_DATA)
    assert isinstance(key, ec.EllipticCurvePrivateKey)  # made above as P-256
    return key, stored.certificate_pem


def audit_checkpoint_create() -> AuditCheckpoint | None:
    """Sign the chain head unless nothing was added since the last checkpoint."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        # Holding the head's lock: no event can be added between reading and signing it.
        head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
        if head is None or head.sequence == 0:
            return None
        last = AuditCheckpoint.objects.order_by("-sequence", "-id").first()
        if last is not None and last.sequence == head.sequence:
            return None
        key, certificate_pem = hub_signing_key()
        signed_at = timezone.now()
        message = checkpoint_message(
            sequence=head.sequence, head_hash=head.hash, signed_at=signed_at
        )
        return AuditCheckpoint.objects.create(
            sequence=head.sequence,
            head_hash=head.hash,
            signed_at=signed_at,
            signature=key.sign(message, ec.ECDSA(hashes.SHA256())),
            certificate_pem=certificate_pem,
        )
