"""The agency directory, roles, the PKI (trust anchors, certificates, keys, CRLs), API access."""

from .access import ApiKey, IdempotencyRecord, IdempotencyState
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
    AgencyEncryptionKey,
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
    "AgencyEncryptionKey",
    "AgencyRole",
    "AgencySigningKey",
    "ApiKey",
    "CertificatePurpose",
    "CertificateRevocationList",
    "DeliveryMode",
    "HubRole",
    "HubRoleName",
    "IdempotencyRecord",
    "IdempotencyState",
    "KeyAlgorithm",
    "Membership",
    "RegisterYearStart",
    "RevokedSerial",
    "TrustAnchor",
]
