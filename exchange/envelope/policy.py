"""What the verifier accepts, in one frozen object with safe defaults."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

C14N_ALLOWED = frozenset(
    {
        CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        CanonicalizationMethod.CANONICAL_XML_1_0,
        CanonicalizationMethod.CANONICAL_XML_1_1,
    }
)
ENVELOPED_TRANSFORM = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
XADES_SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"


@dataclass(frozen=True)
class VerificationPolicy:
    """Limits and algorithms of the verification pipeline (docs/envelope.md).

    Change only with care: each default closes a known attack (oversize or deeply nested XML,
    SHA-1 collisions, comment-stripping canonicalization, clock games).
    """

    max_bytes: int = 10 * 1024 * 1024
    max_depth: int = 64
    clock_skew: datetime.timedelta = datetime.timedelta(minutes=10)
    signature_methods: frozenset[SignatureMethod] = field(
        default_factory=lambda: frozenset(
            {SignatureMethod.RSA_SHA256, SignatureMethod.ECDSA_SHA256}
        )
    )
    digest_algorithms: frozenset[DigestAlgorithm] = field(
        default_factory=lambda: frozenset({DigestAlgorithm.SHA256})
    )
    canonicalizations: frozenset[CanonicalizationMethod] = C14N_ALLOWED
    min_rsa_bits: int = 2048
    # ลับ and ลับมาก letters in the clear are refused (envelope.secret_not_encrypted).
    require_secret_encryption: bool = True


DEFAULT_POLICY = VerificationPolicy()
