"""Read certificates and keys, and name them the way the database stores them (pure)."""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .errors import InvalidCertificate, InvalidPrivateKey

# The private keys the hub signs with: what the envelope profile allows (RSA or ECDSA).
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_PEM_MARK = b"-----BEGIN"


def load_certificate(data: bytes) -> x509.Certificate:
    """Read one certificate from PEM or DER, or raise ``InvalidCertificate``."""
    try:
        if data.lstrip().startswith(_PEM_MARK):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise InvalidCertificate(details={"reason": str(exc)}) from exc


def load_private_key(data: bytes, *, password: bytes | None = None) -> PrivateKey:
    """Read an RSA or EC private key from PEM or DER (PKCS#8 or traditional)."""
    try:
        if data.lstrip().startswith(_PEM_MARK):
            key = serialization.load_pem_private_key(data, password=password)
        else:
            key = serialization.load_der_private_key(data, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # TypeError: a password given for an unencrypted key, or none for an encrypted one.
        raise InvalidPrivateKey(details={"reason": str(exc)}) from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidPrivateKey(details={"reason": f"unsupported key type {type(key).__name__}"})
    return key


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def fingerprint_sha256(certificate: x509.Certificate) -> str:
    """Return the lowercase hex SHA-256 of the certificate's DER encoding."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def serial_hex(serial_number: int) -> str:
    """Write a serial number as lowercase hex, the way CRL entries are stored and looked up."""
    return format(serial_number, "x")


def key_algorithm(key: PrivateKey) -> str:
    return "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ec"


def public_keys_match(key: PrivateKey, certificate: x509.Certificate) -> bool:
    """Say whether the private key is the one whose public half the certificate carries."""
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    try:
        return key.public_key().public_bytes(der, spki) == certificate.public_key().public_bytes(
            der, spki
        )
    except (ValueError, UnsupportedAlgorithm):
        return False
