"""The agency's own keys: listed, read and revoked only by that agency."""

from __future__ import annotations

import pytest

from agencies.models import AgencyRole, ApiKey, Membership
from audit.models import AuditEvent

from .conftest import api_key_for, client_with


@pytest.fixture
def etda_backup_key(etda):
    return api_key_for(etda, name="backup server")


def test_a_system_lists_its_agencys_keys_and_no_others(
    etda_system, etda_key, etda_backup_key, soc_key
):
    response = etda_system.get("/api/v1/keys")

    assert response.status_code == 200
    prefixes = {key["prefix"] for key in response.json()["results"]}
    assert prefixes == {etda_key.api_key.prefix, etda_backup_key.api_key.prefix}
    for key in response.json()["results"]:
        assert set(key) == {"prefix", "name", "agency", "created_at", "revoked_at", "last_used_at"}
        assert key["agency"] == "etda"


def test_another_agencys_key_is_not_found(etda_system, soc_key):
    prefix = soc_key.api_key.prefix

    read = etda_system.get(f"/api/v1/keys/{prefix}")
    revoke = etda_system.post(f"/api/v1/keys/{prefix}/revoke", {}, format="json")

    assert (read.status_code, revoke.status_code) == (404, 404)
    assert read.json()["code"] == revoke.json()["code"] == "api.not_found"
    assert ApiKey.objects.get(pk=soc_key.api_key.pk).revoked_at is None
    assert not AuditEvent.objects.filter(action="agencies.apikey.revoked").exists()


def test_a_system_reads_one_of_its_keys(etda_system, etda_backup_key):
    response = etda_system.get(f"/api/v1/keys/{etda_backup_key.api_key.prefix}")

    assert response.status_code == 200
    assert response.json()["name"] == "backup server"


def test_a_leaked_key_is_revoked_by_its_agencys_other_system(
    etda_system, etda_key, etda_backup_key, etda
):
    leaked = etda_backup_key.api_key.prefix

    response = etda_system.post(
        f"/api/v1/keys/{leaked}/revoke", {"reason": "พบในที่เก็บโค้ดสาธารณะ"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    event = AuditEvent.objects.get(action="agencies.apikey.revoked")
    assert event.actor_label == f"apikey:{etda_key.api_key.prefix}"
    assert event.agency == etda
    assert event.after["reason"] == "พบในที่เก็บโค้ดสาธารณะ"
    after = client_with(etda_backup_key).get("/api/v1/me")
    assert after.status_code == 401
    assert after.json()["code"] == "auth.revoked_key"


def test_revoking_twice_with_the_same_idempotency_key_replays(etda_system, etda_backup_key):
    url = f"/api/v1/keys/{etda_backup_key.api_key.prefix}/revoke"

    first = etda_system.post(url, {"reason": "rotation"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    again = etda_system.post(url, {"reason": "rotation"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    other = etda_system.post(url, {"reason": "other"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")

    assert first.content == again.content
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert AuditEvent.objects.filter(action="agencies.apikey.revoked").count() == 1


def test_a_clerk_session_may_not_revoke_but_the_agency_admin_may(anonymous, alice, etda, etda_key):
    url = f"/api/v1/keys/{etda_key.api_key.prefix}/revoke"
    anonymous.force_login(alice)

    refused = anonymous.post(url, {}, format="json")
    Membership.objects.create(user=alice, agency=etda, role=AgencyRole.AGENCY_ADMIN)
    allowed = anonymous.post(url, {}, format="json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "api.forbidden"
    assert allowed.status_code == 200
    assert AuditEvent.objects.get(action="agencies.apikey.revoked").actor_user == alice


def test_a_clerk_of_another_agency_cannot_see_the_keys(anonymous, bob, etda_key):
    anonymous.force_login(bob)

    listed = anonymous.get("/api/v1/keys").json()["results"]
    read = anonymous.get(f"/api/v1/keys/{etda_key.api_key.prefix}")

    assert listed == []
    assert read.status_code == 404
