"""Reads of the PKI tables, in the shapes the pure checks take."""

from __future__ import annotations

from cryptography import x509

from agencies.models import (
    Agency,
    AgencyCertificate,
    CertificatePurpose,
    CertificateRevocationList,
    RevokedSerial,
    TrustAnchor,
)

from .validation import TrustMaterial


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


def revocations_of_serial(*, serial_hex: str) -> list[RevokedSerial]:
    """Return the imported CRL entries for a serial number (any issuer), newest CRL first."""
    return list(
        RevokedSerial.objects.filter(serial_hex=serial_hex.lower().lstrip("0") or "0")
        .select_related("crl")
        .order_by("-crl__this_update")
    )
