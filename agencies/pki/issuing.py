"""Make keys, CA and agency certificates, and CRLs (pure): for pki_demo and for tests.

Production certificates come from a real CA (the agencies' own, or a national one); the hub
only issues the demo CA's certificates. The shapes follow RFC 5280 and what the certificate
checks in ``validation.py`` accept, so a test certificate differs from a good one only in the
one property a test changes.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .certificates import PrivateKey

KeyKind = Literal["rsa", "ec"]

# Certificates start a little in the past so that a certificate issued "now" is already
# valid for a verifier whose clock is a few minutes behind the issuer's.
BACKDATE = datetime.timedelta(minutes=5)
DEFAULT_CRL_LIFETIME = datetime.timedelta(days=7)


def new_private_key(kind: KeyKind, rsa_bits: int = 2048) -> PrivateKey:
    """Generate an RSA key (e = 65537) or an ECDSA key on P-256."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"Unknown key kind {kind!r}: use 'rsa' or 'ec'.")


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate together with its private key."""

    certificate: x509.Certificate
    private_key: PrivateKey

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def private_key_pem(self, password: bytes | None = None) -> bytes:
        """Return the key as PKCS#8 PEM, encrypted with the password when one is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )


def _signature_hash(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512:
    # Match the hash to the curve's strength (RFC 5480 §4); SHA-256 for RSA and P-256.
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.key_size >= 521:
            return hashes.SHA512()
        if key.curve.key_size >= 384:
            return hashes.SHA384()
    return hashes.SHA256()


def _start(valid_from: datetime.datetime | None) -> datetime.datetime:
    if valid_from is None:
        return datetime.datetime.now(datetime.UTC) - BACKDATE
    if valid_from.tzinfo is None:
        raise ValueError("valid_from must be timezone-aware.")
    return valid_from


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_encipherment: bool = False,
    ca: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _authority_key_identifier(ca: IssuedCertificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value)


def make_ca(
    common_name: str,
    *,
    key: PrivateKey | None = None,
    valid_from: datetime.datetime | None = None,
    days: int = 3650,
) -> IssuedCertificate:
    """Make a self-signed root CA (CA:true, keyCertSign and cRLSign); ECDSA P-256 by default."""
    key = key if key is not None else new_private_key("ec")
    start = _start(valid_from)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, _signature_hash(key))
    )
    return IssuedCertificate(certificate=certificate, private_key=key)


def issue_certificate(
    ca: IssuedCertificate,
    *,
    common_name: str,
    organization: str,
    key: PrivateKey | None = None,
    kind: KeyKind = "rsa",
    rsa_bits: int = 2048,
    valid_from: datetime.datetime | None = None,
    days: int = 730,
    key_usage_digital_signature: bool = True,
    serial: int | None = None,
    encryption: bool = False,
) -> IssuedCertificate:
    """Issue an end-entity signing certificate (digitalSignature + nonRepudiation, CA:false).

    With ``encryption``, issue instead a certificate that secret letters are encrypted to:
    RSA only (RSA-OAEP key wrapping), key usage keyEncipherment alone, so that the same key
    can never also sign.

    The subject is C=TH, O=<organization> (the agency's Thai name), CN=<common_name>. A new key
    of ``kind`` is generated unless ``key`` is given.
    """
    if encryption and kind != "rsa":
        raise ValueError("Encryption certificates are RSA (RSA-OAEP key wrapping).")
    key = key if key is not None else new_private_key(kind, rsa_bits)
    start = _start(valid_from)
    usage = (
        _key_usage(key_encipherment=True)
        if encryption
        else _key_usage(digital_signature=key_usage_digital_signature, content_commitment=True)
    )
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(_authority_key_identifier(ca), critical=False)
        .sign(ca.private_key, _signature_hash(ca.private_key))
    )
    return IssuedCertificate(certificate=certificate, private_key=key)


def make_crl(
    ca: IssuedCertificate,
    revoked: Sequence[tuple[int, datetime.datetime]],
    this_update: datetime.datetime | None = None,
    next_update: datetime.datetime | None = None,
) -> x509.CertificateRevocationList:
    """Make a CRL signed by the CA listing (serial number, revocation time) pairs.

    ``this_update`` defaults to now, ``next_update`` to seven days after ``this_update``.
    """
    this_update = this_update or datetime.datetime.now(datetime.UTC)
    next_update = next_update or this_update + DEFAULT_CRL_LIFETIME
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(_authority_key_identifier(ca), critical=False)
        .add_extension(x509.CRLNumber(int(this_update.timestamp())), critical=False)
    )
    for serial_number, revoked_at in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial_number)
            .revocation_date(revoked_at)
            .build()
        )
    return builder.sign(ca.private_key, _signature_hash(ca.private_key))
