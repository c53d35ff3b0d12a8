"""Decide whether an agency's signing certificate may be relied on (pure: no ORM).

``certificate_check`` runs the checks of docs/pki.md in a fixed order and raises the first
failure, each with its own stable code:

1. ``pki.weak_key``: RSA below ``min_rsa_bits`` (or with a bad exponent), EC on a curve other
   than P-256/P-384/P-521, or any other key type;
2. ``pki.key_usage``: no KeyUsage extension, digitalSignature not asserted, or an
   ExtendedKeyUsage that names none of the document-signing purposes;
3. ``pki.not_yet_valid`` / ``pki.expired``: at the signing time *and* now;
4. ``pki.untrusted``: no chain to a trust anchor at the signing time (RFC 5280 path
   validation by ``cryptography.x509.verification``, with the extension policies below);
5. ``pki.revoked``: listed on a CRL of its issuer, with a revocation time not after now;
6. ``pki.revocation_unknown``: its issuer's newest CRL is past its nextUpdate (fail closed).

No CRL configured for an issuer means no revocation information: the check passes (a hub
cannot fetch CRLs itself without network I/O on the verification path; docs/pki.md).
"""

from __future__ import annotations

import datetime
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from .certificates import fingerprint_sha256, serial_hex
from .errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRejected,
    CertificateRevoked,
    CertificateUntrusted,
    InvalidCertificate,
    KeyUsageInvalid,
    RevocationUnknown,
    WeakKey,
)

ACCEPTED_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})

# An ExtendedKeyUsage, when present, restricts what the key may be used for (RFC 5280
# 4.2.1.12). A letter signature fits these purposes; a certificate limited to, say, TLS
# server authentication or code signing must not sign official letters.
DOCUMENT_SIGNING_PURPOSES = frozenset(
    {
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
        ObjectIdentifier("1.3.6.1.5.5.7.3.36"),  # id-kp-documentSigning (RFC 9336)
        ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),  # Microsoft document signing
        ObjectIdentifier("1.2.840.113583.1.1.5"),  # Adobe Authentic Documents Trust
    }
)


@dataclass(frozen=True)
class TrustMaterial:
    """What certificates are checked against: anchors, their CRLs, extra intermediates."""

    anchors: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    intermediates: tuple[x509.Certificate, ...] = ()


def _ca_extended_key_usage(
    policy: Policy, certificate: x509.Certificate, extension: x509.ExtendedKeyUsage | None
) -> None:
    # An EKU in a CA certificate constrains what it may issue for (the CA/Browser Forum
    # reading that the default policy applies with clientAuth); we apply it with the
    # document-signing purposes instead.
    if extension is not None and not DOCUMENT_SIGNING_PURPOSES.intersection(extension):
        raise ValueError("CA extendedKeyUsage allows no document-signing purpose")


# Extension policies (docs/pki.md, "Path validation"). cryptography's defaults are the
# CA/Browser Forum Web PKI profile: a client certificate must carry a SubjectAlternativeName and,
# if it has an EKU, clientAuth; and every end-entity certificate an AuthorityKeyIdentifier.
# Agency signing certificates are identified by their subject DN and often carry neither a SAN
# nor clientAuth, so on end-entity certificates: SAN and EKU may be present (the EKU is checked
# in step 2, with a clearer error code); AKI may be absent (path building falls back to names
# and signatures) but, when present, must be non-critical as RFC 5280 requires. Everything else
# stays at the defaults: basicConstraints must not say CA, keyUsage must not assert
# keyCertSign, unknown critical extensions are refused. CA certificates keep the Web PKI CA
# profile (critical basicConstraints, keyUsage with keyCertSign) except for the EKU rule above.
_END_ENTITY_POLICY = (
    ExtensionPolicy.webpki_defaults_ee()
    .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
    .may_be_present(x509.AuthorityKeyIdentifier, Criticality.NON_CRITICAL, None)
)
_CA_POLICY = ExtensionPolicy.webpki_defaults_ca().may_be_present(
    x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _ca_extended_key_usage
)


def certificate_check(
    certificate: x509.Certificate,
    *,
    trust: TrustMaterial,
    signing_time: datetime.datetime,
    now: datetime.datetime,
    min_rsa_bits: int = 2048,
) -> None:
    """Raise a ``CertificateRejected`` subclass unless the certificate may sign a letter.

    ``signing_time`` is when the signer says it signed (the envelope's created-at or the XAdES
    SigningTime) and ``now`` the verifier's clock; both must be timezone-aware.
    """
    _certificate_check(
        certificate,
        trust=trust,
        signing_time=signing_time,
        now=now,
        min_rsa_bits=min_rsa_bits,
        usage_check=_check_signing_usage,
    )


def encryption_certificate_check(
    certificate: x509.Certificate,
    *,
    trust: TrustMaterial,
    now: datetime.datetime,
    min_rsa_bits: int = 2048,
) -> None:
    """Like ``certificate_check``, for a certificate that secret letters are encrypted to."""
    _certificate_check(
        certificate,
        trust=trust,
        signing_time=now,
        now=now,
        min_rsa_bits=min_rsa_bits,
        usage_check=_check_encryption_usage,
    )


def key_strength_check(certificate: x509.Certificate, *, min_rsa_bits: int = 2048) -> None:
    """Raise ``WeakKey`` unless the certificate's key is one the hub accepts (step 1)."""
    _check_key(
        certificate,
        min_rsa_bits=min_rsa_bits,
        facts={
            "fingerprint_sha256": fingerprint_sha256(certificate),
            "subject": certificate.subject.rfc4514_string(),
        },
    )


class _Facts(Mapping[str, Any]):
    """The certificate's fingerprint and subject for error details, worked out only when an
    error needs them: a certificate that passes never pays for formatting its name."""

    def __init__(self, certificate: x509.Certificate) -> None:
        self._certificate = certificate
        self._values: dict[str, Any] | None = None

    def _computed(self) -> dict[str, Any]:
        if self._values is None:
            self._values = {
                "fingerprint_sha256": fingerprint_sha256(self._certificate),
                "subject": self._certificate.subject.rfc4514_string(),
            }
        return self._values

    def __getitem__(self, key: str) -> Any:
        return self._computed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._computed())

    def __len__(self) -> int:
        return len(self._computed())


def _certificate_check(
    certificate: x509.Certificate,
    *,
    trust: TrustMaterial,
    signing_time: datetime.datetime,
    now: datetime.datetime,
    min_rsa_bits: int,
    usage_check: Callable[[x509.Certificate, Mapping[str, Any]], None],
) -> None:
    for name, moment in (("signing_time", signing_time), ("now", now)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware.")
    signing_time = signing_time.astimezone(datetime.UTC)
    now = now.astimezone(datetime.UTC)
    facts = _Facts(certificate)
    try:
        _check_key(certificate, min_rsa_bits=min_rsa_bits, facts=facts)
        usage_check(certificate, facts)
        _check_validity(certificate, signing_time=signing_time, now=now, facts=facts)
        chain = _check_chain(certificate, trust=trust, at=signing_time, facts=facts)
        _check_revocation(chain, crls=trust.crls, now=now, facts=facts)
    except CertificateRejected:
        raise
    except ValueError as exc:
        # A malformed extension (duplicate, bad DER) surfaces when it is first read.
        raise InvalidCertificate(details={**facts, "reason": str(exc)}) from exc


def _check_key(
    certificate: x509.Certificate, *, min_rsa_bits: int, facts: Mapping[str, Any]
) -> None:
    try:
        key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise WeakKey(details={**facts, "reason": f"unreadable key: {exc}"}) from exc
    if isinstance(key, rsa.RSAPublicKey):
        exponent = key.public_numbers().e
        if key.key_size < min_rsa_bits:
            raise WeakKey(
                details={
                    **facts,
                    "reason": "rsa_too_short",
                    "bits": key.key_size,
                    "min_bits": min_rsa_bits,
                }
            )
        if exponent < 3 or exponent % 2 == 0:
            raise WeakKey(details={**facts, "reason": "rsa_bad_exponent", "exponent": exponent})
        return
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ACCEPTED_CURVES:
            raise WeakKey(
                details={**facts, "reason": "curve_not_accepted", "curve": key.curve.name}
            )
        return
    raise WeakKey(details={**facts, "reason": "key_type_not_accepted", "type": type(key).__name__})


def _key_usage(certificate: x509.Certificate, facts: Mapping[str, Any]) -> x509.KeyUsage:
    try:
        return certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise KeyUsageInvalid(details={**facts, "reason": "no_key_usage"}) from exc


def _check_extended_key_usage(certificate: x509.Certificate, facts: Mapping[str, Any]) -> None:
    try:
        purposes = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not DOCUMENT_SIGNING_PURPOSES.intersection(purposes):
        raise KeyUsageInvalid(
            details={
                **facts,
                "reason": "extended_key_usage",
                "purposes": [oid.dotted_string for oid in purposes],
            }
        )


def _check_signing_usage(certificate: x509.Certificate, facts: Mapping[str, Any]) -> None:
    if not _key_usage(certificate, facts).digital_signature:
        raise KeyUsageInvalid(details={**facts, "reason": "no_digital_signature"})
    _check_extended_key_usage(certificate, facts)


def _check_encryption_usage(certificate: x509.Certificate, facts: Mapping[str, Any]) -> None:
    usage = _key_usage(certificate, facts)
    if not (usage.key_encipherment or usage.key_agreement):
        raise KeyUsageInvalid(details={**facts, "reason": "no_key_encipherment"})


def _check_validity(
    certificate: x509.Certificate,
    *,
    signing_time: datetime.datetime,
    now: datetime.datetime,
    facts: Mapping[str, Any],
) -> None:
    not_before = certificate.not_valid_before_utc
    not_after = certificate.not_valid_after_utc
    for moment_name, moment in (("signing_time", signing_time), ("now", now)):
        if not_before <= moment <= not_after:
            continue
        moment_facts = {
            **facts,
            "not_before": not_before.isoformat(),
            "not_after": not_after.isoformat(),
            "moment": moment_name,
            "at": moment.isoformat(),
        }
        if moment < not_before:
            raise CertificateNotYetValid(details=moment_facts)
        raise CertificateExpired(details=moment_facts)


class _Memo:
    """A small, bounded, thread-safe memo (least recently used entries go first)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# Path validation is the costly part of certificate_check, and for one signer it gives the same
# answer envelope after envelope. What it depends on is the key below (the leaf, the anchors and
# intermediates, byte for byte: a changed trust store is another key) and the time, which enters
# only through the validity periods of the certificates on the path. So a chain found once is
# reused for any time inside all of their validity periods and validated afresh outside them.
# Revocation is never memoised: it is judged on every call against the CRLs of that call, so a
# newly imported CRL counts for the very next envelope; only the verdict "this CRL is really
# signed by this issuer" is remembered, keyed by both of them byte for byte.
_chains = _Memo(4096)
_crl_signatures = _Memo(1024)


def validation_memo_clear() -> None:
    """Forget memoised chains and CRL signature verdicts (tests; never needed for correctness)."""
    _chains.clear()
    _crl_signatures.clear()


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(Encoding.DER)


def _check_chain(
    certificate: x509.Certificate,
    *,
    trust: TrustMaterial,
    at: datetime.datetime,
    facts: Mapping[str, Any],
) -> list[x509.Certificate]:
    if not trust.anchors:
        raise CertificateUntrusted(details={**facts, "reason": "no trust anchor is configured"})
    key = (
        _der(certificate),
        tuple(_der(anchor) for anchor in trust.anchors),
        tuple(_der(intermediate) for intermediate in trust.intermediates),
    )
    known: list[x509.Certificate] | None = _chains.get(key)
    if known is not None and all(
        member.not_valid_before_utc <= at <= member.not_valid_after_utc for member in known
    ):
        return known
    chain = _build_chain(certificate, trust=trust, at=at, facts=facts)
    _chains.put(key, chain)
    return chain


def _build_chain(
    certificate: x509.Certificate,
    *,
    trust: TrustMaterial,
    at: datetime.datetime,
    facts: Mapping[str, Any],
) -> list[x509.Certificate]:
    verifier = (
        PolicyBuilder()
        .store(Store(list(trust.anchors)))
        .time(at)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_END_ENTITY_POLICY)
        .build_client_verifier()
    )
    try:
        return verifier.verify(certificate, list(trust.intermediates)).chain
    except VerificationError as exc:
        raise CertificateUntrusted(details={**facts, "reason": str(exc)}) from exc


def _crls_of(
    issuer: x509.Certificate, crls: Iterable[x509.CertificateRevocationList]
) -> list[x509.CertificateRevocationList]:
    """Return the CRLs that this issuer really signed (same name and a valid signature)."""
    issuer_key = issuer.public_key()
    if not isinstance(issuer_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return []
    return [
        crl for crl in crls if crl.issuer == issuer.subject and _signed_by(crl, issuer, issuer_key)
    ]


def _signed_by(
    crl: x509.CertificateRevocationList,
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
) -> bool:
    key = (_der(issuer), crl.public_bytes(Encoding.DER))
    verdict: bool | None = _crl_signatures.get(key)
    if verdict is None:
        verdict = crl.is_signature_valid(issuer_key)
        _crl_signatures.put(key, verdict)
    return verdict


def _check_revocation(
    chain: list[x509.Certificate],
    *,
    crls: tuple[x509.CertificateRevocationList, ...],
    now: datetime.datetime,
    facts: Mapping[str, Any],
) -> None:
    # Every certificate below the anchor: the signer and any intermediate CA. The anchor
    # itself is trusted by configuration; removing it is how it is "revoked".
    stale: list[dict[str, Any]] = []
    for subject, issuer in itertools.pairwise(chain):
        issued_crls = _crls_of(issuer, crls)
        if not issued_crls:
            continue
        for crl in issued_crls:
            entry = crl.get_revoked_certificate_by_serial_number(subject.serial_number)
            # A revocation dated in the future has not happened yet.
            if entry is not None and entry.revocation_date_utc <= now:
                raise CertificateRevoked(
                    details={
                        **facts,
                        "revoked_subject": subject.subject.rfc4514_string(),
                        "serial_hex": serial_hex(subject.serial_number),
                        "revoked_at": entry.revocation_date_utc.isoformat(),
                        "crl_issuer": crl.issuer.rfc4514_string(),
                    }
                )
        newest = max(issued_crls, key=lambda crl: crl.last_update_utc)
        next_update = newest.next_update_utc
        if next_update is not None and next_update < now:
            stale.append(
                {
                    "crl_issuer": newest.issuer.rfc4514_string(),
                    "next_update": next_update.isoformat(),
                }
            )
    # Only after every CRL had its say: a listed serial is "revoked", whatever else is stale.
    if stale:
        raise RevocationUnknown(details={**facts, "stale_crls": stale})
