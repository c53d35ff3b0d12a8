"""Hana installs a hosted agency's signing key: PEM or PKCS#12, checked, encrypted, audited."""

from __future__ import annotations

import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from agencies.models import AgencyCertificate, AgencySigningKey, CertificatePurpose
from agencies.pki.certificates import fingerprint_sha256
from agencies.pki.errors import (
    CertificateInUse,
    CertificateRejected,
    InvalidPrivateKey,
    KeyMismatch,
)
from agencies.pki.issuing import issue_certificate
from agencies.pki.keystore import signing_material_for
from agencies.pki.selectors import agency_signing_certificates
from agencies.pki.services import agency_signing_key_import, trust_anchor_import
from audit.models import AuditEvent

from .conftest import utc_now


@pytest.fixture
def trusted_ca(hub_ca, hub_admin):
    trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor=hub_admin)
    return hub_ca


def import_pem(agency, issued, actor, *, key_pem=None, password=None) -> AgencySigningKey:
    return agency_signing_key_import(
        agency=agency,
        key_data=key_pem or issued.private_key_pem(),
        certificate_data=issued.certificate_pem(),
        password=password,
        actor=actor,
    )


def p12(issued, password: bytes) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"etda",
        issued.private_key,
        issued.certificate,
        None,
        serialization.BestAvailableEncryption(password),
    )


def test_hana_installs_etdas_pem_key_and_certificate(etda, trusted_ca, etda_signer, hub_admin):
    signing_key = import_pem(etda, etda_signer, hub_admin)

    assert signing_key.is_active
    assert signing_key.key_algorithm == "rsa"
    certificate = signing_key.certificate
    assert certificate.agency == etda
    assert certificate.purpose == CertificatePurpose.SIGNING
    assert certificate.fingerprint_sha256 == fingerprint_sha256(etda_signer.certificate)
    assert certificate.serial_hex == format(etda_signer.certificate.serial_number, "x")
    assert agency_signing_certificates(etda) == [etda_signer.certificate]
    assert etda_signer.private_key_pem() not in bytes(signing_key.encrypted_key)
    actions = list(
        AuditEvent.objects.filter(agency=etda).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["pki.certificate.registered", "pki.signing_key.imported"]
    event = AuditEvent.objects.get(action="pki.signing_key.imported")
    assert event.actor_user == hub_admin
    assert event.after["fingerprint_sha256"] == certificate.fingerprint_sha256


def test_a_password_protected_pkcs12_file_is_accepted(etda, trusted_ca, etda_signer, hub_admin):
    signing_key = agency_signing_key_import(
        agency=etda,
        key_data=p12(etda_signer, b"s3cret-etda"),
        certificate_data=None,
        password=b"s3cret-etda",
        actor=hub_admin,
    )

    assert signing_material_for(etda).certificate == etda_signer.certificate
    event = AuditEvent.objects.get(action="pki.signing_key.imported")
    assert event.target_id == str(signing_key.pk)


def test_an_encrypted_pem_key_needs_its_password(etda, trusted_ca, etda_signer, hub_admin):
    encrypted = etda_signer.private_key_pem(password=b"pem-password")

    with pytest.raises(InvalidPrivateKey):
        import_pem(etda, etda_signer, hub_admin, key_pem=encrypted)
    import_pem(etda, etda_signer, hub_admin, key_pem=encrypted, password=b"pem-password")

    assert AgencySigningKey.objects.filter(agency=etda, is_active=True).count() == 1


def test_a_wrong_pkcs12_password_is_refused(etda, trusted_ca, etda_signer, hub_admin):
    with pytest.raises(InvalidPrivateKey) as caught:
        agency_signing_key_import(
            agency=etda,
            key_data=p12(etda_signer, b"right"),
            certificate_data=None,
            password=b"wrong",
            actor=hub_admin,
        )

    assert caught.value.code == "pki.invalid_key"
    assert not AgencySigningKey.objects.exists()


def test_socs_key_with_etdas_certificate_is_refused(
    etda, trusted_ca, etda_signer, soc_signer, hub_admin
):
    with pytest.raises(KeyMismatch) as caught:
        import_pem(etda, etda_signer, hub_admin, key_pem=soc_signer.private_key_pem())

    assert caught.value.code == "pki.key_mismatch"
    assert not AgencySigningKey.objects.exists()
    assert not AgencyCertificate.objects.exists()
    assert not AuditEvent.objects.filter(agency=etda).exists()


def test_a_certificate_the_hub_does_not_trust_is_refused(etda, trusted_ca, rogue_ca, hub_admin):
    untrusted = issue_certificate(rogue_ca, common_name="ETDA", organization="สพธอ.", kind="ec")

    with pytest.raises(CertificateRejected) as caught:
        import_pem(etda, untrusted, hub_admin)

    assert caught.value.code == "pki.untrusted"
    assert not AgencySigningKey.objects.exists()


def test_an_expired_certificate_is_refused(etda, trusted_ca, hub_admin):
    expired = issue_certificate(
        trusted_ca,
        common_name="ETDA 2020",
        organization="สพธอ.",
        kind="ec",
        valid_from=utc_now() - datetime.timedelta(days=800),
    )

    with pytest.raises(CertificateRejected) as caught:
        import_pem(etda, expired, hub_admin)

    assert caught.value.code == "pki.expired"


def test_a_new_key_replaces_the_active_one(etda, trusted_ca, etda_signer, hub_admin):
    first = import_pem(etda, etda_signer, hub_admin)
    successor = issue_certificate(trusted_ca, common_name="ETDA 2", organization="สพธอ.", kind="ec")

    second = import_pem(etda, successor, hub_admin)

    first.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)
    assert second.key_algorithm == "ec"
    assert signing_material_for(etda).certificate == successor.certificate
    # The previous certificate still verifies what was signed with it.
    assert set(agency_signing_certificates(etda)) == {
        etda_signer.certificate,
        successor.certificate,
    }
    event = AuditEvent.objects.filter(action="pki.signing_key.imported").latest("pk")
    assert event.before["signing_key"] == first.pk
    assert event.after["signing_key"] == second.pk


def test_importing_the_active_key_again_changes_nothing(etda, trusted_ca, etda_signer, hub_admin):
    first = import_pem(etda, etda_signer, hub_admin)
    events = AuditEvent.objects.count()

    again = import_pem(etda, etda_signer, hub_admin)

    assert again.pk == first.pk
    assert AuditEvent.objects.count() == events


def test_etdas_certificate_cannot_become_socs(etda, soc, trusted_ca, etda_signer, hub_admin):
    import_pem(etda, etda_signer, hub_admin)

    with pytest.raises(CertificateInUse) as caught:
        import_pem(soc, etda_signer, hub_admin)

    assert caught.value.code == "pki.certificate_in_use"
    assert not AgencySigningKey.objects.filter(agency=soc).exists()
