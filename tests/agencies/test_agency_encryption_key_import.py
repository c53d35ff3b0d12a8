"""Keys for secret letters: imported encrypted at rest, RSA keyEncipherment only, rotation
keeps the old key so that letters already received still open; pki_demo issues them."""

from __future__ import annotations

import io

import pytest
from cryptography import x509
from django.core.management import call_command
from django.utils import timezone

from agencies.models import (
    Agency,
    AgencyCertificate,
    AgencyEncryptionKey,
    AgencySigningKey,
    CertificatePurpose,
)
from agencies.pki.errors import (
    InvalidPrivateKey,
    KeyUsageInvalid,
    NoEncryptionCertificate,
    SigningKeyUnreadable,
)
from agencies.pki.issuing import issue_certificate
from agencies.pki.keystore import (
    decrypt_private_key,
    encryption_key_associated_data,
    encryption_material_for,
    signing_key_associated_data,
)
from agencies.pki.selectors import agency_encryption_certificate
from agencies.pki.services import agency_encryption_key_import, trust_anchor_import
from audit.models import AuditEvent

ORGANIZATION = "สำนักเลขาธิการคณะรัฐมนตรี"


@pytest.fixture
def soc(db) -> Agency:
    return Agency.objects.create(
        key="soc", name_th=ORGANIZATION, ministry_letter_code="นร", unit_number="0506"
    )


@pytest.fixture
def trusted(hub_ca, db):
    trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor="test")


def encryption_certificate(hub_ca, **options):
    return issue_certificate(
        hub_ca, common_name="สลค. secret letters", organization=ORGANIZATION, **options
    )


def import_key(agency, issued, actor):
    return agency_encryption_key_import(
        agency=agency,
        key_data=issued.private_key_pem(),
        certificate_data=issued.certificate_pem(),
        password=None,
        actor=actor,
    )


def test_the_key_is_stored_encrypted_and_opens_only_as_an_encryption_key(
    hub_ca, trusted, soc, hub_admin
):
    issued = encryption_certificate(hub_ca, encryption=True)

    stored = import_key(soc, issued, hub_admin)

    fingerprint = stored.certificate.fingerprint_sha256
    assert stored.certificate.purpose == CertificatePurpose.ENCRYPTION
    assert b"PRIVATE KEY" not in bytes(stored.encrypted_key)
    material = encryption_material_for(agency=soc, fingerprint_sha256=fingerprint)
    assert material.private_key.private_numbers() == issued.private_key.private_numbers()
    # The blob is bound to its purpose: it does not open as a signing key.
    with pytest.raises(SigningKeyUnreadable):
        decrypt_private_key(
            stored.encrypted_key,
            associated_data=signing_key_associated_data(
                agency_key="soc", fingerprint_sha256=fingerprint
            ),
        )
    assert decrypt_private_key(
        stored.encrypted_key,
        associated_data=encryption_key_associated_data(
            agency_key="soc", fingerprint_sha256=fingerprint
        ),
    )
    assert agency_encryption_certificate(agency=soc, now=timezone.now()) == issued.certificate
    assert AuditEvent.objects.filter(action="pki.encryption_key.imported", agency=soc).count() == 1
    assert not AgencySigningKey.objects.exists()


def test_a_signing_certificate_or_an_ec_key_is_refused(hub_ca, trusted, soc, hub_admin):
    with pytest.raises(KeyUsageInvalid):
        import_key(soc, encryption_certificate(hub_ca), hub_admin)
    with pytest.raises(InvalidPrivateKey):
        import_key(soc, encryption_certificate(hub_ca, kind="ec"), hub_admin)
    assert not AgencyEncryptionKey.objects.exists()
    with pytest.raises(NoEncryptionCertificate):
        agency_encryption_certificate(agency=soc, now=timezone.now())


def test_rotation_keeps_the_old_key_for_letters_already_received(hub_ca, trusted, soc, hub_admin):
    old = encryption_certificate(hub_ca, encryption=True)
    new = encryption_certificate(hub_ca, encryption=True)
    first = import_key(soc, old, hub_admin)

    second = import_key(soc, new, hub_admin)
    again = import_key(soc, new, hub_admin)

    first.refresh_from_db()
    assert again == second
    assert (first.is_active, second.is_active) == (False, True)
    assert agency_encryption_certificate(agency=soc, now=timezone.now()) == new.certificate
    assert not AgencyCertificate.objects.get(pk=first.certificate_id).is_active
    reopened = encryption_material_for(
        agency=soc, fingerprint_sha256=first.certificate.fingerprint_sha256
    )
    assert reopened.private_key.private_numbers() == old.private_key.private_numbers()


def test_pki_demo_gives_every_demo_agency_an_encryption_key(db, settings, tmp_path):
    settings.DEBUG = True
    call_command("load_directory", stdout=io.StringIO())

    call_command("pki_demo", "--out", str(tmp_path), stdout=io.StringIO())
    keys = list(AgencyEncryptionKey.objects.select_related("agency", "certificate"))
    call_command("pki_demo", "--out", str(tmp_path), stdout=io.StringIO())

    assert sorted(key.agency.key for key in keys) == ["dga", "etda", "soc"]
    assert list(AgencyEncryptionKey.objects.select_related("agency", "certificate")) == keys
    for key in keys:
        certificate = x509.load_pem_x509_certificate(key.certificate.certificate_pem.encode())
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.key_encipherment and not usage.digital_signature
