"""PKI fixtures: the hub's CA, a CA nobody trusts, and keys made once per session.

RSA key generation costs tens of milliseconds, so keys are session-scoped and certificates
(cheap to sign) are made per test with exactly the property the test is about.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from django.contrib.auth.models import User

from agencies.pki.issuing import IssuedCertificate, issue_certificate, make_ca, new_private_key
from agencies.pki.keystore import signing_material_cache_clear
from agencies.pki.validation import TrustMaterial


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@pytest.fixture(scope="session")
def rsa_key():
    return new_private_key("rsa")


@pytest.fixture(scope="session")
def second_rsa_key():
    return new_private_key("rsa")


@pytest.fixture(scope="session")
def hub_ca() -> IssuedCertificate:
    """The CA the hub trusts (think: the national CA that issues agency certificates)."""
    return make_ca("Thai Government Test CA")


@pytest.fixture(scope="session")
def rogue_ca() -> IssuedCertificate:
    """A CA that no one configured; it even copies the trusted CA's name."""
    return make_ca("Thai Government Test CA")


@pytest.fixture(scope="session")
def etda_signer(hub_ca, rsa_key) -> IssuedCertificate:
    """ETDA's RSA-2048 signing certificate from the trusted CA."""
    return issue_certificate(
        hub_ca,
        common_name="ETDA e-Saraban signer",
        organization="สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์",
        key=rsa_key,
    )


@pytest.fixture(scope="session")
def soc_signer(hub_ca, second_rsa_key) -> IssuedCertificate:
    return issue_certificate(
        hub_ca,
        common_name="SOC e-Saraban signer",
        organization="สำนักเลขาธิการคณะรัฐมนตรี",
        key=second_rsa_key,
    )


@pytest.fixture
def trust(hub_ca) -> TrustMaterial:
    return TrustMaterial(anchors=(hub_ca.certificate,))


@pytest.fixture
def hub_admin(db) -> User:
    """Hana, the hub administrator who installs CAs, CRLs and hosted agencies' keys."""
    return User.objects.create_superuser("hana", password="hana-pw-ผู้ดูแล")


@pytest.fixture(autouse=True)
def _fresh_signing_key_cache() -> Iterator[None]:
    """Each test starts with a process that has decrypted no key yet."""
    signing_material_cache_clear()
    yield
    signing_material_cache_clear()


def self_signed(
    key: Any,
    *,
    common_name: str = "Self-made signer",
    ca: bool = False,
    key_usage: x509.KeyUsage | None = None,
) -> x509.Certificate:
    """A certificate signed by its own key: what someone makes without any CA."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = utc_now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    algorithm = None if type(key).__name__.startswith("Ed") else hashes.SHA256()
    return builder.sign(key, algorithm)


def signing_usage(*, digital_signature: bool = True, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
