"""Registering the certificates of agencies that sign on their own systems (push and pull)."""

from __future__ import annotations

import pytest

from agencies.models import AgencyCertificate, CertificatePurpose
from agencies.pki.errors import CertificateRejected
from agencies.pki.issuing import issue_certificate
from agencies.pki.selectors import agency_signing_certificates
from agencies.pki.services import agency_certificate_register, trust_anchor_import
from audit.models import AuditEvent


@pytest.fixture
def trusted_ca(hub_ca, hub_admin):
    trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor=hub_admin)
    return hub_ca


def test_socs_own_certificate_is_registered_and_audited(soc, trusted_ca, soc_signer, hub_admin):
    registered = agency_certificate_register(
        agency=soc,
        certificate=soc_signer.certificate,
        purpose=CertificatePurpose.SIGNING,
        actor=hub_admin,
    )

    assert registered.agency == soc
    assert registered.subject.startswith("CN=SOC e-Saraban signer")
    assert agency_signing_certificates(soc) == [soc_signer.certificate]
    event = AuditEvent.objects.get(action="pki.certificate.registered")
    assert (event.agency, event.actor_user) == (soc, hub_admin)


def test_registering_it_twice_changes_nothing(soc, trusted_ca, soc_signer, hub_admin):
    for _ in range(2):
        agency_certificate_register(
            agency=soc,
            certificate=soc_signer.certificate,
            purpose=CertificatePurpose.SIGNING,
            actor=hub_admin,
        )

    assert AgencyCertificate.objects.count() == 1
    assert AuditEvent.objects.filter(action="pki.certificate.registered").count() == 1


def test_an_untrusted_certificate_is_not_registered(soc, trusted_ca, rogue_ca, hub_admin):
    stray = issue_certificate(rogue_ca, common_name="SOC", organization="สลค.", kind="ec")

    with pytest.raises(CertificateRejected) as caught:
        agency_certificate_register(
            agency=soc,
            certificate=stray.certificate,
            purpose=CertificatePurpose.SIGNING,
            actor=hub_admin,
        )

    assert caught.value.code == "pki.untrusted"
    assert not AgencyCertificate.objects.exists()


def test_a_signing_only_certificate_is_not_an_encryption_certificate(
    soc, trusted_ca, soc_signer, hub_admin
):
    with pytest.raises(CertificateRejected) as caught:
        agency_certificate_register(
            agency=soc,
            certificate=soc_signer.certificate,
            purpose=CertificatePurpose.ENCRYPTION,
            actor=hub_admin,
        )

    assert (caught.value.code, caught.value.details["reason"]) == (
        "pki.key_usage",
        "no_key_encipherment",
    )


def test_inactive_certificates_are_not_offered_to_the_verifier(
    soc, trusted_ca, soc_signer, hub_admin
):
    registered = agency_certificate_register(
        agency=soc,
        certificate=soc_signer.certificate,
        purpose=CertificatePurpose.SIGNING,
        actor=hub_admin,
    )
    AgencyCertificate.objects.filter(pk=registered.pk).update(is_active=False)

    assert agency_signing_certificates(soc) == []
