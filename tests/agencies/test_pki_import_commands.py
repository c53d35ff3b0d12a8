"""pki_import_ca, pki_import_crl and pki_import_key: the services from a shell, errors as codes."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.management import CommandError, call_command

from agencies.models import AgencySigningKey, CertificateRevocationList, TrustAnchor
from agencies.pki.issuing import make_crl
from audit.models import AuditEvent

from .conftest import utc_now


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def ca_file(tmp_path, hub_ca):
    path = tmp_path / "government-ca.pem"
    path.write_bytes(hub_ca.certificate_pem())
    return path


@pytest.mark.django_db
def test_pki_import_ca_trusts_the_file_under_its_name(ca_file):
    output = run("pki_import_ca", str(ca_file), "--name", "Government CA")

    anchor = TrustAnchor.objects.get()
    assert anchor.name == "Government CA"
    assert anchor.fingerprint_sha256 in output
    assert AuditEvent.objects.get(action="pki.trust_anchor.imported").actor_label == (
        "system:pki_import_ca"
    )


@pytest.mark.django_db
def test_pki_import_crl_reports_the_revoked_count(ca_file, hub_ca, soc_signer, tmp_path):
    run("pki_import_ca", str(ca_file))
    crl_file = tmp_path / "government.crl"
    crl = make_crl(hub_ca, [(soc_signer.certificate.serial_number, utc_now())])
    crl_file.write_bytes(crl.public_bytes(serialization.Encoding.DER))

    output = run("pki_import_crl", str(crl_file))

    assert "1 revoked" in output
    assert CertificateRevocationList.objects.count() == 1


@pytest.mark.django_db
def test_a_crl_from_an_untrusted_ca_fails_with_its_code(hub_ca, tmp_path):
    crl_file = tmp_path / "government.crl"
    crl_file.write_bytes(make_crl(hub_ca, []).public_bytes(serialization.Encoding.PEM))

    with pytest.raises(CommandError, match=r"pki\.crl_issuer_unknown"):
        run("pki_import_crl", str(crl_file))


def test_pki_import_key_reads_a_pem_pair(etda, ca_file, etda_signer, tmp_path):
    run("pki_import_ca", str(ca_file))
    (tmp_path / "etda.key.pem").write_bytes(etda_signer.private_key_pem())
    (tmp_path / "etda.cert.pem").write_bytes(etda_signer.certificate_pem())

    output = run(
        "pki_import_key",
        "--agency",
        "etda",
        "--key",
        str(tmp_path / "etda.key.pem"),
        "--cert",
        str(tmp_path / "etda.cert.pem"),
    )

    assert "etda signs with a rsa key" in output
    assert AgencySigningKey.objects.get(agency=etda).is_active


def test_pki_import_key_reads_a_pkcs12_file_with_the_password_from_the_environment(
    etda, ca_file, etda_signer, tmp_path, monkeypatch
):
    run("pki_import_ca", str(ca_file))
    bundle = tmp_path / "etda.pfx"
    bundle.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"etda",
            etda_signer.private_key,
            etda_signer.certificate,
            None,
            serialization.BestAvailableEncryption(b"p12-password"),
        )
    )
    monkeypatch.setenv("ETDA_P12_PASSWORD", "p12-password")

    run(
        "pki_import_key",
        "--agency",
        "etda",
        "--key",
        str(bundle),
        "--password-env",
        "ETDA_P12_PASSWORD",
    )

    assert AgencySigningKey.objects.filter(agency=etda, is_active=True).count() == 1


def test_pki_import_key_refuses_a_mismatched_pair_with_the_code(
    etda, ca_file, etda_signer, soc_signer, tmp_path
):
    run("pki_import_ca", str(ca_file))
    (tmp_path / "soc.key.pem").write_bytes(soc_signer.private_key_pem())
    (tmp_path / "etda.cert.pem").write_bytes(etda_signer.certificate_pem())

    with pytest.raises(CommandError, match=r"pki\.key_mismatch"):
        run(
            "pki_import_key",
            "--agency",
            "etda",
            "--key",
            str(tmp_path / "soc.key.pem"),
            "--cert",
            str(tmp_path / "etda.cert.pem"),
        )


def test_pki_import_key_needs_a_certificate_for_a_pem_key(etda, tmp_path):
    (tmp_path / "etda.key.pem").write_bytes(b"unused")

    with pytest.raises(CommandError, match="--cert"):
        run("pki_import_key", "--agency", "etda", "--key", str(tmp_path / "etda.key.pem"))


@pytest.mark.django_db
def test_pki_import_key_names_an_unknown_agency(tmp_path):
    with pytest.raises(CommandError, match="nowhere"):
        run("pki_import_key", "--agency", "nowhere", "--key", str(tmp_path / "k.p12"))
