"""Hana installs the CAs the hub trusts: only current CA certificates, each import audited."""

from __future__ import annotations

import datetime

import pytest
from cryptography.hazmat.primitives import serialization

from agencies.models import TrustAnchor
from agencies.pki.certificates import fingerprint_sha256
from agencies.pki.errors import CertificateExpired, InvalidCertificate, NotACertificateAuthority
from agencies.pki.issuing import make_ca
from agencies.pki.selectors import trust_material
from agencies.pki.services import trust_anchor_import
from audit.models import AuditEvent

from .conftest import utc_now


def test_hana_imports_the_government_ca_and_it_is_audited(hub_ca, hub_admin):
    anchor = trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor=hub_admin)

    assert anchor.fingerprint_sha256 == fingerprint_sha256(hub_ca.certificate)
    assert anchor.subject == "CN=Thai Government Test CA,C=TH"
    assert anchor.is_active
    assert anchor.not_after == hub_ca.certificate.not_valid_after_utc
    assert trust_material().anchors == (hub_ca.certificate,)
    event = AuditEvent.objects.get(action="pki.trust_anchor.imported")
    assert event.actor_user == hub_admin
    assert event.target_id == str(anchor.pk)
    assert event.after["fingerprint_sha256"] == anchor.fingerprint_sha256


def test_a_der_file_works_too_and_the_name_defaults_to_the_subject(hub_ca, hub_admin):
    der = hub_ca.certificate.public_bytes(serialization.Encoding.DER)

    anchor = trust_anchor_import(pem=der, name="", actor=hub_admin)

    assert anchor.name == "CN=Thai Government Test CA,C=TH"


def test_importing_the_same_ca_twice_changes_nothing(hub_ca, hub_admin):
    first = trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor=hub_admin)
    second = trust_anchor_import(pem=hub_ca.certificate_pem(), name="Other", actor=hub_admin)

    assert second.pk == first.pk
    assert TrustAnchor.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="pki.").count() == 1


def test_a_deactivated_anchor_comes_back_when_imported_again(hub_ca, hub_admin):
    anchor = trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor=hub_admin)
    TrustAnchor.objects.filter(pk=anchor.pk).update(is_active=False)
    assert trust_material().anchors == ()

    trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor=hub_admin)

    assert trust_material().anchors == (hub_ca.certificate,)
    assert AuditEvent.objects.filter(action="pki.trust_anchor.reactivated").exists()


def test_an_agency_certificate_is_not_a_trust_anchor(etda_signer, hub_admin):
    with pytest.raises(NotACertificateAuthority) as caught:
        trust_anchor_import(pem=etda_signer.certificate_pem(), name="ETDA", actor=hub_admin)

    assert (caught.value.code, caught.value.details["reason"]) == ("pki.not_a_ca", "not_a_ca")
    assert not TrustAnchor.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_expired_ca_is_refused(hub_admin):
    old = make_ca("Retired CA", valid_from=utc_now() - datetime.timedelta(days=400), days=365)

    with pytest.raises(CertificateExpired):
        trust_anchor_import(pem=old.certificate_pem(), name="Retired", actor=hub_admin)
    assert not TrustAnchor.objects.exists()


def test_garbage_is_not_a_certificate(hub_admin):
    with pytest.raises(InvalidCertificate) as caught:
        trust_anchor_import(pem=b"-----BEGIN CERTIFICATE-----\nnope\n", name="x", actor=hub_admin)

    assert caught.value.code == "pki.invalid_certificate"
    assert not AuditEvent.objects.exists()
