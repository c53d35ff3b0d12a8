"""Reads of the PKI tables, in the shapes the pure checks take."""

from __future__ import annotations

import datetime

from cryptography import x509
from django.db.models import Exists, OuterRef, QuerySet

from agencies.models import (
    Agency,
    AgencyCertificate,
    AgencySigningKey,
    CertificatePurpose,
    CertificateRevocationList,
    RevokedSerial,
    TrustAnchor,
)

from .errors import CertificateRejected, NoEncryptionCertificate
from .validation import TrustMaterial, encryption_certificate_check


def trust_material() -> TrustMaterial:
    """Return the active trust anchors and the current CRL of each of them."""
    anchors = TrustAnchor.objects.filter(is_active=True).order_by("pk")
    fingerprints = [anchor.fingerprint_sha256 for anchor in anchors]
    crls = CertificateRevocationList.objects.filter(
        issuer_fingerprint_sha256__in=fingerprints
    ).order_by("pk")
    return TrustMaterial(
        anchors=tuple(
            x509.load_pem_x509_certificate(anchor.certificate_pem.encode("ascii"))
            for anchor in anchors
        ),
        crls=tuple(x509.load_der_x509_crl(bytes(crl.crl_der)) for crl in crls),
    )


def agency_signing_certificates(agency: Agency) -> list[x509.Certificate]:
    """Return the agency's active signing certificates, the most recently valid first."""
    rows = AgencyCertificate.objects.filter(
        agency=agency, purpose=CertificatePurpose.SIGNING, is_active=True
    ).order_by("-not_before", "-pk")
    return [x509.load_pem_x509_certificate(row.certificate_pem.encode("ascii")) for row in rows]


def agency_encryption_certificate(*, agency: Agency, now: datetime.datetime) -> x509.Certificate:
    """Return the certificate to encrypt the agency's secret letters to, checked now.

    The newest active ENCRYPTION certificate that passes the checks (chain, validity, key
    usage keyEncipherment, revocation); raise ``NoEncryptionCertificate`` when there is none.
    """
    rows = AgencyCertificate.objects.filter(
        agency=agency, purpose=CertificatePurpose.ENCRYPTION, is_active=True
    ).order_by("-not_before", "-pk")
    trust = trust_material()
    refusals = []
    for row in rows:
        certificate = x509.load_pem_x509_certificate(row.certificate_pem.encode("ascii"))
        try:
            encryption_certificate_check(certificate, trust=trust, now=now)
        except CertificateRejected as refusal:
            refusals.append(refusal.code)
            continue
        return certificate
    raise NoEncryptionCertificate(details={"agency": agency.key, "refused": refusals})


def revocations_of_serial(*, serial_hex: str) -> list[RevokedSerial]:
    """Return the imported CRL entries for a serial number (any issuer), newest CRL first."""
    return list(
        RevokedSerial.objects.filter(serial_hex=serial_hex.lower().lstrip("0") or "0")
        .select_related("crl")
        .order_by("-crl__this_update")
    )


def agency_certificates_published(*, agency: Agency) -> QuerySet[AgencyCertificate]:
    """Return every certificate registered for the agency, each marked ``is_revoked`` when a
    CRL of its issuer lists its serial number; newest first."""
    revoked = RevokedSerial.objects.filter(
        serial_hex=OuterRef("serial_hex"), crl__issuer=OuterRef("issuer")
    )
    return (
        AgencyCertificate.objects.filter(agency=agency)
        .annotate(is_revoked=Exists(revoked))
        .order_by("-not_before", "-pk")
    )


def certificate_status(*, certificate: AgencyCertificate, now: datetime.datetime) -> str:
    """Say in one word whether the hub would accept the certificate now.

    From the stored facts: switched off here, revoked by an imported CRL, or outside its
    validity. The full chain check runs when an envelope is verified (docs/pki.md).
    """
    if not certificate.is_active:
        return "inactive"
    if getattr(certificate, "is_revoked", False):
        return "revoked"
    if now < certificate.not_before:
        return "not_yet_valid"
    if now > certificate.not_after:
        return "expired"
    return "valid"


def agency_signs_on_hub(*, agency: Agency) -> bool:
    """Say whether the hub holds an active signing key for the agency (it signs for it)."""
    return AgencySigningKey.objects.filter(agency=agency, is_active=True).exists()
