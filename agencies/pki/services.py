"""Changes to the PKI: trust anchors, CRLs, agency certificates and signing keys.

Each operation validates its input before it writes, owns its transaction and writes its
audit row in it. Importing the same thing twice changes nothing and writes no audit row, so
the commands can run from a deployment script or a cron job.
"""

from __future__ import annotations

import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from django.db import transaction
from django.utils import timezone

from agencies.models import (
    Agency,
    AgencyCertificate,
    AgencyEncryptionKey,
    AgencySigningKey,
    CertificatePurpose,
    CertificateRevocationList,
    KeyAlgorithm,
    RevokedSerial,
    TrustAnchor,
)
from audit.services import Actor, audit_chain_lock, audit_record

from .certificates import (
    PrivateKey,
    certificate_pem,
    fingerprint_sha256,
    key_algorithm,
    load_certificate,
    load_private_key,
    public_keys_match,
    serial_hex,
)
from .errors import (
    CertificateExpired,
    CertificateInUse,
    CrlIssuerUnknown,
    CrlNotNewer,
    CrlSignatureInvalid,
    InvalidCertificate,
    InvalidCrl,
    InvalidPrivateKey,
    KeyMismatch,
    NotACertificateAuthority,
)
from .keystore import (
    decrypt_private_key,
    encrypt_private_key,
    encrypted_under,
    encryption_key_associated_data,
    signing_key_associated_data,
)
from .selectors import trust_material
from .validation import (
    DOCUMENT_SIGNING_PURPOSES,
    certificate_check,
    encryption_certificate_check,
    key_strength_check,
)

_PEM_MARK = b"-----BEGIN"


def _describe(certificate: x509.Certificate) -> dict[str, Any]:
    return {
        "fingerprint_sha256": fingerprint_sha256(certificate),
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial_hex": serial_hex(certificate.serial_number),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
    }


def _check_ca(certificate: x509.Certificate, *, now: datetime.datetime) -> None:
    """Refuse what path validation would never accept as a CA, so it fails here, not later."""
    facts = {
        "fingerprint_sha256": fingerprint_sha256(certificate),
        "subject": certificate.subject.rfc4514_string(),
    }
    extensions = certificate.extensions
    try:
        constraints = extensions.get_extension_for_class(x509.BasicConstraints)
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        reason = f"missing {exc.oid.dotted_string}"
        raise NotACertificateAuthority(details={**facts, "reason": reason}) from exc
    except ValueError as exc:
        raise InvalidCertificate(details={**facts, "reason": str(exc)}) from exc
    if not constraints.value.ca or not usage.key_cert_sign:
        raise NotACertificateAuthority(details={**facts, "reason": "not_a_ca"})
    if not constraints.critical:
        # RFC 5280 4.2.1.9: a CA marks basicConstraints critical; path validation insists.
        reason = "basic_constraints_not_critical"
        raise NotACertificateAuthority(details={**facts, "reason": reason})
    try:
        purposes = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        purposes = None
    if purposes is not None and not DOCUMENT_SIGNING_PURPOSES.intersection(purposes):
        raise NotACertificateAuthority(details={**facts, "reason": "extended_key_usage"})
    if certificate.not_valid_after_utc < now:
        raise CertificateExpired(
            details={**facts, "not_after": certificate.not_valid_after_utc.isoformat()}
        )
    key_strength_check(certificate)


def trust_anchor_import(*, pem: bytes, name: str, actor: Actor) -> TrustAnchor:
    """Trust a CA certificate (PEM or DER) as a root for agency certificates.

    Refuse anything that is not a current CA certificate allowed to sign certificates. An
    anchor already present is returned as it is, or re-activated if it had been deactivated.
    """
    certificate = load_certificate(pem)
    now = timezone.now()
    _check_ca(certificate, now=now)
    fingerprint = fingerprint_sha256(certificate)
    with transaction.atomic(durable=True):
        audit_chain_lock()
        anchor = TrustAnchor.objects.select_for_update().filter(fingerprint_sha256=fingerprint)
        existing = anchor.first()
        if existing is not None:
            if not existing.is_active:
                existing.is_active = True
                existing.save(update_fields=["is_active"])
                audit_record(
                    action="pki.trust_anchor.reactivated",
                    actor=actor,
                    target=existing,
                    before={"is_active": False},
                    after={"is_active": True},
                )
            return existing
        created = TrustAnchor.objects.create(
            name=name.strip() or certificate.subject.rfc4514_string(),
            certificate_pem=certificate_pem(certificate),
            fingerprint_sha256=fingerprint,
            subject=certificate.subject.rfc4514_string(),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
        )
        audit_record(
            action="pki.trust_anchor.imported",
            actor=actor,
            target=created,
            after={"name": created.name, **_describe(certificate)},
        )
    return created


def _load_crl(data: bytes) -> x509.CertificateRevocationList:
    try:
        if data.lstrip().startswith(_PEM_MARK):
            crl = x509.load_pem_x509_crl(data)
        else:
            crl = x509.load_der_x509_crl(data)
        delta = crl.extensions.get_extension_for_class(x509.DeltaCRLIndicator)
    except x509.ExtensionNotFound:
        return crl
    except ValueError as exc:
        raise InvalidCrl(details={"reason": str(exc)}) from exc
    # A delta CRL lists only changes since a base CRL; the hub keeps whole CRLs only.
    raise InvalidCrl(details={"reason": "delta_crl", "base_crl_number": delta.value.crl_number})


def _crl_signer(crl: x509.CertificateRevocationList) -> TrustAnchor:
    """Return the active anchor that issued and signed the CRL, or say why there is none."""
    issuer = crl.issuer.rfc4514_string()
    named = [
        anchor
        for anchor in TrustAnchor.objects.filter(is_active=True).order_by("pk")
        if load_certificate(anchor.certificate_pem.encode("ascii")).subject == crl.issuer
    ]
    if not named:
        raise CrlIssuerUnknown(details={"issuer": issuer})
    for anchor in named:
        public_key = load_certificate(anchor.certificate_pem.encode("ascii")).public_key()
        if isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) and (
            crl.is_signature_valid(public_key)
        ):
            return anchor
    raise CrlSignatureInvalid(
        details={"issuer": issuer, "anchors": [a.fingerprint_sha256 for a in named]}
    )


def _crl_summary(crl: CertificateRevocationList) -> dict[str, Any]:
    return {
        "issuer": crl.issuer,
        "this_update": crl.this_update.isoformat(),
        "next_update": crl.next_update.isoformat() if crl.next_update else None,
        "revoked": crl.revoked_serials.count(),
    }


def crl_import(*, data: bytes, actor: Actor) -> CertificateRevocationList:
    """Import a CA's CRL (PEM or DER), replacing the older CRL of the same CA.

    The CRL must be signed by an active trust anchor with the CRL's issuer name. The same CRL
    again is a no-op; one not newer than the current CRL is refused (``pki.crl_not_newer``).
    """
    crl = _load_crl(data)
    der = crl.public_bytes(Encoding.DER)
    revoked: dict[str, datetime.datetime] = {}
    for entry in crl:
        key = serial_hex(entry.serial_number)
        # A CRL should list a serial once; keep the earliest date if one lists it twice.
        revoked[key] = min(entry.revocation_date_utc, revoked.get(key, entry.revocation_date_utc))
    with transaction.atomic(durable=True):
        audit_chain_lock()
        anchor = _crl_signer(crl)
        current = (
            CertificateRevocationList.objects.select_for_update()
            .filter(issuer_fingerprint_sha256=anchor.fingerprint_sha256)
            .first()
        )
        before = None
        if current is not None:
            if bytes(current.crl_der) == der:
                return current
            if current.this_update >= crl.last_update_utc:
                raise CrlNotNewer(
                    details={
                        "issuer": current.issuer,
                        "current_this_update": current.this_update.isoformat(),
                        "this_update": crl.last_update_utc.isoformat(),
                    }
                )
            before = _crl_summary(current)
            current.delete()
        stored = CertificateRevocationList.objects.create(
            issuer=crl.issuer.rfc4514_string(),
            issuer_fingerprint_sha256=anchor.fingerprint_sha256,
            crl_der=der,
            this_update=crl.last_update_utc,
            next_update=crl.next_update_utc,
        )
        RevokedSerial.objects.bulk_create(
            [
                RevokedSerial(crl=stored, serial_hex=serial, revoked_at=revoked_at)
                for serial, revoked_at in revoked.items()
            ],
            batch_size=1000,
        )
        audit_record(
            action="pki.crl.imported",
            actor=actor,
            target=stored,
            before=before,
            after={**_crl_summary(stored), "issuer_fingerprint_sha256": anchor.fingerprint_sha256},
        )
    return stored


def _check_for_purpose(
    certificate: x509.Certificate, *, purpose: CertificatePurpose, now: datetime.datetime
) -> None:
    trust = trust_material()
    if purpose == CertificatePurpose.SIGNING:
        certificate_check(certificate, trust=trust, signing_time=now, now=now)
    else:
        encryption_certificate_check(certificate, trust=trust, now=now)


def _register(
    *, agency: Agency, certificate: x509.Certificate, purpose: CertificatePurpose, actor: Actor
) -> AgencyCertificate:
    """Store the certificate for the agency inside the caller's transaction (checked before)."""
    fingerprint = fingerprint_sha256(certificate)
    existing = (
        AgencyCertificate.objects.select_for_update().filter(fingerprint_sha256=fingerprint).first()
    )
    if existing is not None:
        if existing.agency_id != agency.pk or existing.purpose != purpose:
            raise CertificateInUse(
                details={
                    "fingerprint_sha256": fingerprint,
                    "agency": existing.agency.key,
                    "purpose": existing.purpose,
                }
            )
        if not existing.is_active:
            existing.is_active = True
            existing.save(update_fields=["is_active"])
            audit_record(
                action="pki.certificate.reactivated",
                actor=actor,
                agency=agency,
                target=existing,
                before={"is_active": False},
                after={"is_active": True},
            )
        return existing
    registered = AgencyCertificate.objects.create(
        agency=agency,
        purpose=purpose,
        certificate_pem=certificate_pem(certificate),
        fingerprint_sha256=fingerprint,
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        serial_hex=serial_hex(certificate.serial_number),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )
    audit_record(
        action="pki.certificate.registered",
        actor=actor,
        agency=agency,
        target=registered,
        after={"purpose": str(purpose), **_describe(certificate)},
    )
    return registered


def agency_certificate_register(
    *,
    agency: Agency,
    certificate: x509.Certificate,
    purpose: CertificatePurpose = CertificatePurpose.SIGNING,
    actor: Actor,
) -> AgencyCertificate:
    """Register a certificate that the agency signs with (or that letters are encrypted to).

    The certificate must pass the checks of ``validation.py`` against the current trust
    material now; a certificate already registered for this agency is returned unchanged.
    """
    _check_for_purpose(certificate, purpose=purpose, now=timezone.now())
    with transaction.atomic(durable=True):
        audit_chain_lock()
        return _register(agency=agency, certificate=certificate, purpose=purpose, actor=actor)


def _read_key_material(
    *, key_data: bytes, certificate_data: bytes | None, password: bytes | None
) -> tuple[PrivateKey, x509.Certificate]:
    if certificate_data is not None:
        return load_private_key(key_data, password=password), load_certificate(certificate_data)
    try:
        bundle = pkcs12.load_pkcs12(key_data, password)
    except ValueError as exc:
        raise InvalidPrivateKey(details={"reason": f"PKCS#12: {exc}"}) from exc
    key = bundle.key
    if not isinstance(key, PrivateKey):
        raise InvalidPrivateKey(details={"reason": "PKCS#12 holds no RSA or EC private key"})
    if bundle.cert is None:
        raise InvalidCertificate(details={"reason": "PKCS#12 holds no certificate for the key"})
    return key, bundle.cert.certificate


def agency_signing_key_import(
    *,
    agency: Agency,
    key_data: bytes,
    certificate_data: bytes | None,
    password: bytes | None,
    actor: Actor,
) -> AgencySigningKey:
    """Store a hosted agency's signing key, encrypted, and make it the one the hub signs with.

    Take a PEM (or DER) private key with its certificate, or, when ``certificate_data`` is
    None, a PKCS#12 file holding both. The key must match the certificate and the certificate
    must pass ``certificate_check`` now. The previous active key is deactivated in the same
    transaction. Importing the active key again changes nothing.
    """
    key, certificate = _read_key_material(
        key_data=key_data, certificate_data=certificate_data, password=password
    )
    fingerprint = fingerprint_sha256(certificate)
    if not public_keys_match(key, certificate):
        raise KeyMismatch(details={"fingerprint_sha256": fingerprint})
    _check_for_purpose(certificate, purpose=CertificatePurpose.SIGNING, now=timezone.now())
    # Encrypt before the transaction: no crypto work while holding the agency's row lock.
    blob = encrypt_private_key(
        key,
        associated_data=signing_key_associated_data(
            agency_key=agency.key, fingerprint_sha256=fingerprint
        ),
    )
    with transaction.atomic(durable=True):
        audit_chain_lock()
        # Serialise rotations of one agency: the partial unique index would refuse a second
        # active key anyway, but with an IntegrityError instead of a clean hand-over.
        Agency.objects.select_for_update().filter(pk=agency.pk).first()
        registered = _register(
            agency=agency, certificate=certificate, purpose=CertificatePurpose.SIGNING, actor=actor
        )
        previous = (
            AgencySigningKey.objects.select_for_update()
            .filter(agency=agency, is_active=True)
            .select_related("certificate")
            .first()
        )
        if previous is not None and previous.certificate_id == registered.pk:
            return previous
        if previous is not None:
            previous.is_active = False
            previous.save(update_fields=["is_active"])
        existing = AgencySigningKey.objects.filter(certificate=registered).first()
        if existing is not None:
            # The key of an earlier certificate comes back (a rotation rolled back); store it
            # under the current master key.
            existing.is_active = True
            existing.encrypted_key = blob
            existing.save(update_fields=["is_active", "encrypted_key"])
            signing_key = existing
        else:
            signing_key = AgencySigningKey.objects.create(
                agency=agency,
                certificate=registered,
                encrypted_key=blob,
                key_algorithm=KeyAlgorithm(key_algorithm(key)),
            )
        audit_record(
            action="pki.signing_key.imported",
            actor=actor,
            agency=agency,
            target=signing_key,
            before=(
                {
                    "signing_key": previous.pk,
                    "fingerprint_sha256": previous.certificate.fingerprint_sha256,
                }
                if previous is not None
                else None
            ),
            after={
                "signing_key": signing_key.pk,
                "key_algorithm": signing_key.key_algorithm,
                "fingerprint_sha256": fingerprint,
                "subject": certificate.subject.rfc4514_string(),
                "not_after": certificate.not_valid_after_utc.isoformat(),
            },
        )
    return signing_key


def agency_encryption_key_import(
    *,
    agency: Agency,
    key_data: bytes,
    certificate_data: bytes | None,
    password: bytes | None,
    actor: Actor,
) -> AgencyEncryptionKey:
    """Store a hosted agency's key for opening secret letters, encrypted, and register its
    certificate (purpose ENCRYPTION) as the one senders encrypt to.

    The key must be RSA (RSA-OAEP), match the certificate, and the certificate must pass
    ``encryption_certificate_check`` now (keyEncipherment). The previous key stays, inactive:
    letters already encrypted to it must still open. Importing the active key again changes
    nothing.
    """
    key, certificate = _read_key_material(
        key_data=key_data, certificate_data=certificate_data, password=password
    )
    fingerprint = fingerprint_sha256(certificate)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidPrivateKey(details={"reason": "encryption keys are RSA (RSA-OAEP)"})
    if not public_keys_match(key, certificate):
        raise KeyMismatch(details={"fingerprint_sha256": fingerprint})
    _check_for_purpose(certificate, purpose=CertificatePurpose.ENCRYPTION, now=timezone.now())
    blob = encrypt_private_key(
        key,
        associated_data=encryption_key_associated_data(
            agency_key=agency.key, fingerprint_sha256=fingerprint
        ),
    )
    with transaction.atomic(durable=True):
        audit_chain_lock()
        Agency.objects.select_for_update().filter(pk=agency.pk).first()
        registered = _register(
            agency=agency,
            certificate=certificate,
            purpose=CertificatePurpose.ENCRYPTION,
            actor=actor,
        )
        previous = (
            AgencyEncryptionKey.objects.select_for_update()
            .filter(agency=agency, is_active=True)
            .select_related("certificate")
            .first()
        )
        if previous is not None and previous.certificate_id == registered.pk:
            return previous
        if previous is not None:
            previous.is_active = False
            previous.save(update_fields=["is_active"])
            # Senders must encrypt to the new certificate from now on; the old one stays
            # registered but inactive, and its key keeps opening what was sent to it.
            AgencyCertificate.objects.filter(pk=previous.certificate_id).update(is_active=False)
        existing = AgencyEncryptionKey.objects.filter(certificate=registered).first()
        if existing is not None:
            existing.is_active = True
            existing.encrypted_key = blob
            existing.save(update_fields=["is_active", "encrypted_key"])
            encryption_key = existing
        else:
            encryption_key = AgencyEncryptionKey.objects.create(
                agency=agency, certificate=registered, encrypted_key=blob
            )
        audit_record(
            action="pki.encryption_key.imported",
            actor=actor,
            agency=agency,
            target=encryption_key,
            before=(
                {
                    "encryption_key": previous.pk,
                    "fingerprint_sha256": previous.certificate.fingerprint_sha256,
                }
                if previous is not None
                else None
            ),
            after={
                "encryption_key": encryption_key.pk,
                "fingerprint_sha256": fingerprint,
                "subject": certificate.subject.rfc4514_string(),
                "not_after": certificate.not_valid_after_utc.isoformat(),
            },
        )
    return encryption_key


def signing_keys_reencrypt(*, old_master_key: bytes, new_master_key: bytes, actor: Actor) -> int:
    """Re-encrypt every stored signing key under a new master key, all or nothing.

    Keys already under the new master key are left as they are, so the operation can be run
    again. Return how many keys were re-encrypted. (The rotation procedure is in docs/pki.md.)
    """
    changed: list[int] = []
    with transaction.atomic(durable=True):
        audit_chain_lock()
        rows = (
            AgencySigningKey.objects.select_for_update()
            .select_related("agency", "certificate")
            .order_by("pk")
        )
        for row in rows:
            if encrypted_under(row.encrypted_key, master_key=new_master_key):
                continue
            associated_data = signing_key_associated_data(
                agency_key=row.agency.key, fingerprint_sha256=row.certificate.fingerprint_sha256
            )
            key = decrypt_private_key(
                row.encrypted_key, associated_data=associated_data, master_key=old_master_key
            )
            row.encrypted_key = encrypt_private_key(
                key, associated_data=associated_data, master_key=new_master_key
            )
            row.save(update_fields=["encrypted_key"])
            changed.append(row.pk)
        encryption_changed: list[int] = []
        encryption_rows = (
            AgencyEncryptionKey.objects.select_for_update()
            .select_related("agency", "certificate")
            .order_by("pk")
        )
        for encryption_row in encryption_rows:
            if encrypted_under(encryption_row.encrypted_key, master_key=new_master_key):
                continue
            associated_data = encryption_key_associated_data(
                agency_key=encryption_row.agency.key,
                fingerprint_sha256=encryption_row.certificate.fingerprint_sha256,
            )
            key = decrypt_private_key(
                encryption_row.encrypted_key,
                associated_data=associated_data,
                master_key=old_master_key,
            )
            encryption_row.encrypted_key = encrypt_private_key(
                key, associated_data=associated_data, master_key=new_master_key
            )
            encryption_row.save(update_fields=["encrypted_key"])
            encryption_changed.append(encryption_row.pk)
        if changed or encryption_changed:
            audit_record(
                action="pki.signing_key.reencrypted",
                actor=actor,
                after={"signing_keys": changed, "encryption_keys": encryption_changed},
            )
    return len(changed) + len(encryption_changed)
