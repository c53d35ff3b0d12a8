"""The PKI in the admin: keys are look-only and never shown; switching off a CA is audited."""

from __future__ import annotations

import pytest
from django.core import checks
from django.urls import reverse

from agencies.checks import check_key_encryption_key
from agencies.models import TrustAnchor
from agencies.pki.services import agency_signing_key_import, trust_anchor_import
from audit.models import AuditEvent


@pytest.fixture
def etda_key(etda, hub_ca, etda_signer, hub_admin):
    trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor=hub_admin)
    return agency_signing_key_import(
        agency=etda,
        key_data=etda_signer.private_key_pem(),
        certificate_data=etda_signer.certificate_pem(),
        password=None,
        actor=hub_admin,
    )


def test_hana_sees_etdas_key_but_not_its_encrypted_bytes_and_cannot_change_it(
    client, hub_admin, etda_key
):
    client.force_login(hub_admin)

    page = client.get(reverse("admin:agencies_agencysigningkey_change", args=[etda_key.pk]))
    listing = client.get(reverse("admin:agencies_agencysigningkey_changelist"))
    change = client.post(
        reverse("admin:agencies_agencysigningkey_change", args=[etda_key.pk]), {"is_active": ""}
    )

    assert page.status_code == 200 and listing.status_code == 200
    content = page.content.decode()
    assert "encrypted_key" not in content
    assert bytes(etda_key.encrypted_key).hex()[:32] not in content
    assert change.status_code == 403
    assert client.get(reverse("admin:agencies_agencysigningkey_add")).status_code == 403
    etda_key.refresh_from_db()
    assert etda_key.is_active


def test_trust_anchors_come_in_only_through_the_import(client, hub_admin):
    client.force_login(hub_admin)

    assert client.get(reverse("admin:agencies_trustanchor_add")).status_code == 403


def test_hana_switches_a_ca_off_in_the_admin_and_it_is_audited(client, hub_admin, hub_ca):
    anchor = trust_anchor_import(pem=hub_ca.certificate_pem(), name="Test CA", actor=hub_admin)
    client.force_login(hub_admin)

    response = client.post(reverse("admin:agencies_trustanchor_change", args=[anchor.pk]), {})

    assert response.status_code == 302, response.content.decode()[:2000]
    anchor.refresh_from_db()
    assert not anchor.is_active
    event = AuditEvent.objects.get(action="agencies.trustanchor.admin_changed")
    assert (event.before["is_active"], event.after["is_active"]) == (True, False)
    assert TrustAnchor.objects.get().certificate_pem == hub_ca.certificate_pem().decode()


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("", 0),
        ("c2hvcnQ=", 1),  # "short": not 32 bytes
        ("not base64!", 1),
        ("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", 0),
    ],
)
def test_a_malformed_key_encryption_key_is_reported_at_start_up(settings, value, errors):
    settings.HUB_KEY_ENCRYPTION_KEY = value

    messages = check_key_encryption_key()

    assert len(messages) == errors
    assert all(isinstance(m, checks.Error) and m.id == "agencies.E001" for m in messages)
