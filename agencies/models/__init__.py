"""The agency directory, roles, and the PKI (trust anchors, certificates, keys, CRLs)."""

from .directory import (
    Agency,
    AgencyRole,
    DeliveryMode,
    HubRole,
    HubRoleName,
    Membership,
    RegisterYearStart,
)
from .pki import (
    AgencyCertificate,
    AgencySigningKey,
    CertificatePurpose,
    CertificateRevocationList,
    KeyAlgorithm,
    RevokedSerial,
    TrustAnchor,
)

__all__ = [
    "Agency",
    "AgencyCertificate",
    "AgencyRole",
    "AgencySigningKey",
    "CertificatePurpose",
    "CertificateRevocationList",
    "DeliveryMode",
    "HubRole",
    "HubRoleName",
    "KeyAlgorithm",
    "Membership",
    "RegisterYearStart",
    "RevokedSerial",
    "TrustAnchor",
]
