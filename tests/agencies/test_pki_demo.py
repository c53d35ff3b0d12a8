"""pki_demo: a demo CA and keys for etda, soc and dga; files outside systems can sign with."""

from __future__ import annotations

import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.management import CommandError, call_command

from agencies.models import Agency, AgencySigningKey, TrustAnchor
from agencies.pki.certificates import load_private_key, public_keys_match
from agencies.pki.issuing import issue_certificate
from agencies.pki.keystore import signing_material_cache_clear
from agencies.pki.services import agency_signing_key_import, trust_anchor_import
from agencies.pki.validation import TrustMaterial, certificate_check
from audit.models import AuditEvent

from .conftest import utc_now

DEMO_KEYS = ("etda", "soc", "dga")


def pki_demo(out) -> str:
    stdout = io.StringIO()
    call_command("pki_demo", "--out", str(out), stdout=stdout)
    return stdout.getvalue()


def files(out) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


@pytest.fixture
def directory(db, settings):
    settings.DEBUG = True
    call_command("load_directory", stdout=io.StringIO())


def test_a_second_run_reuses_every_key_and_rewrites_nothing(directory, tmp_path):
    pki_demo(tmp_path)
    fingerprints = sorted(
        AgencySigningKey.objects.values_list("certificate__fingerprint_sha256", flat=True)
    )
    written = files(tmp_path)
    events = AuditEvent.objects.count()
    signing_material_cache_clear()  # as a new process would be

    pki_demo(tmp_path)

    assert len(fingerprints) == 3
    assert (
        sorted(AgencySigningKey.objects.values_list("certificate__fingerprint_sha256", flat=True))
        == fingerprints
    )
    assert TrustAnchor.objects.filter(name="Saraban Hub Demo CA").count() == 1
    assert files(tmp_path) == written
    assert AuditEvent.objects.count() == events


def test_the_files_are_a_usable_key_certificate_and_ca_for_each_demo_agency(directory, tmp_path):
    pki_demo(tmp_path)

    anchors = tuple(x509.load_pem_x509_certificates((tmp_path / "demo-ca.pem").read_bytes()))
    for key in DEMO_KEYS:
        private_key = load_private_key((tmp_path / f"{key}.key.pem").read_bytes())
        certificate = x509.load_pem_x509_certificate((tmp_path / f"{key}.cert.pem").read_bytes())
        bundle = pkcs12.load_pkcs12((tmp_path / f"{key}.p12").read_bytes(), b"demo")
        assert public_keys_match(private_key, certificate)
        assert bundle.cert is not None and bundle.cert.certificate == certificate
        assert bundle.key is not None
        assert bundle.key.private_numbers() == private_key.private_numbers()
        certificate_check(
            certificate,
            trust=TrustMaterial(anchors=anchors),
            signing_time=utc_now(),
            now=utc_now(),
        )
        stored = AgencySigningKey.objects.get(agency__key=key, is_active=True)
        assert stored.certificate.certificate_pem.encode() == certificate.public_bytes(
            serialization.Encoding.PEM
        )
    assert load_private_key((tmp_path / "etda.key.pem").read_bytes()).key_size == 2048
    assert load_private_key((tmp_path / "soc.key.pem").read_bytes()).key_size == 2048
    assert load_private_key((tmp_path / "dga.key.pem").read_bytes()).curve.name == "secp256r1"
    assert (tmp_path / "etda.key.pem").stat().st_mode & 0o077 == 0


def test_a_real_key_installed_later_is_never_written_out(directory, tmp_path, hub_ca):
    pki_demo(tmp_path)
    trust_anchor_import(pem=hub_ca.certificate_pem(), name="Government CA", actor="test")
    real = issue_certificate(hub_ca, common_name="ETDA production", organization="สพธอ.", kind="ec")
    agency_signing_key_import(
        agency=Agency.objects.get(key="etda"),
        key_data=real.private_key_pem(),
        certificate_data=real.certificate_pem(),
        password=None,
        actor="test",
    )
    demo_key_file = (tmp_path / "etda.key.pem").read_bytes()

    output = pki_demo(tmp_path)

    assert "etda: its active key is not a demo key" in output
    assert (tmp_path / "etda.key.pem").read_bytes() == demo_key_file
    assert AgencySigningKey.objects.get(
        agency__key="etda", is_active=True
    ).certificate.subject.startswith("CN=ETDA production")


def test_without_the_directory_there_is_nothing_to_give_keys_to(db, settings, tmp_path):
    settings.DEBUG = True

    with pytest.raises(CommandError, match="Load the directory first"):
        pki_demo(tmp_path)


def test_it_refuses_to_run_without_debug(directory, settings, tmp_path):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        pki_demo(tmp_path)
    assert not AgencySigningKey.objects.exists()
