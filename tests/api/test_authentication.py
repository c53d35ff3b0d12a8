"""API keys: missing, unknown, wrong, revoked and good keys; each use leaves an audit row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agencies.models import ApiKey
from agencies.services import apikey_revoke
from audit.models import AuditEvent

from .conftest import client_with

ME = "/api/v1/me"


def test_no_key_is_401_with_a_stable_code_and_a_challenge(anonymous, db):
    response = anonymous.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "auth.missing_key"
    assert set(response.json()) == {"code", "message", "details"}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "presented",
    ["not-a-key", "sxh_abc_def", "sxh_aaaaaaaaaaaa_" + "x" * 43, "Bearer", "sxh__"],
)
def test_anything_that_is_not_a_known_key_is_401_invalid(presented, db, etda_key):
    response = client_with(presented).get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_key"


def test_the_right_id_with_a_wrong_secret_is_refused_and_audited(etda_key, etda):
    prefix = etda_key.api_key.prefix
    forged = f"sxh_{prefix}_{'A' * 43}"

    response = client_with(forged).get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_key"
    event = AuditEvent.objects.get(action="agencies.apikey.refused")
    assert event.actor_label == f"apikey:{prefix}"
    assert event.agency == etda
    assert event.after["reason"] == "wrong_secret"
    assert not AuditEvent.objects.filter(action="agencies.apikey.used").exists()


def test_a_revoked_key_is_401_revoked(etda_key, etda):
    apikey_revoke(api_key=etda_key.api_key, actor="system:test")

    response = client_with(etda_key).get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "auth.revoked_key"
    assert AuditEvent.objects.get(action="agencies.apikey.refused").after["reason"] == "revoked"


def test_a_key_of_an_agency_switched_off_stops_working(etda_key, etda):
    etda.is_active = False
    etda.save(update_fields=["is_active"])

    response = client_with(etda_key).get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "auth.revoked_key"


def test_a_good_key_acts_for_its_agency(etda_system, etda_key):
    response = etda_system.get(ME)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["agency"]["key"] == "etda"
    assert body["api_key"]["prefix"] == etda_key.api_key.prefix
    assert body["username"] is None
    assert "secret" not in response.content.decode().lower()


def test_the_key_may_come_in_x_api_key(etda_key, anonymous):
    response = anonymous.get(ME, HTTP_X_API_KEY=etda_key.plaintext)

    assert response.status_code == 200
    assert response.json()["agency"]["key"] == "etda"


def test_two_different_keys_in_one_request_are_refused(etda_key, soc_key):
    client = client_with(etda_key)

    response = client.get(ME, HTTP_X_API_KEY=soc_key.plaintext)

    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_key"


def test_every_use_is_audited_and_last_used_is_noted(etda_system, etda_key, etda):
    assert etda_key.api_key.last_used_at is None

    first = etda_system.get(ME, HTTP_X_REQUEST_ID="request-0001")
    etda_system.get("/api/v1/agencies/nobody")

    assert first.status_code == 200
    uses = list(AuditEvent.objects.filter(action="agencies.apikey.used").order_by("id"))
    assert [(use.after["method"], use.after["path"], use.after["status"]) for use in uses] == [
        ("GET", ME, 200),
        ("GET", "/api/v1/agencies/nobody", 404),
    ]
    assert {use.actor_label for use in uses} == {f"apikey:{etda_key.api_key.prefix}"}
    assert {use.agency for use in uses} == {etda}
    assert uses[0].request_id == "request-0001"
    assert uses[0].target_id == str(etda_key.api_key.pk)
    assert ApiKey.objects.get(pk=etda_key.api_key.pk).last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(etda_system, etda_key):
    etda_system.get(ME)
    first = ApiKey.objects.get(pk=etda_key.api_key.pk).last_used_at

    etda_system.get(ME)

    assert ApiKey.objects.get(pk=etda_key.api_key.pk).last_used_at == first
    assert AuditEvent.objects.filter(action="agencies.apikey.used").count() == 2


def test_a_clerk_session_acts_for_the_clerks_agency(alice, anonymous):
    anonymous.force_login(alice)

    response = anonymous.get(ME)

    assert response.status_code == 200
    assert response.json()["agency"]["key"] == "etda"
    assert response.json()["username"] == "alice"
    assert response.json()["api_key"] is None
    # Sessions are not key uses: their changes are audited by the services they call.
    assert not AuditEvent.objects.filter(action="agencies.apikey.used").exists()


def test_a_session_post_needs_the_csrf_token(alice, etda_key):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(alice)

    response = browser.post(
        reverse("api-key-revoke", args=[etda_key.api_key.prefix]), {}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "api.forbidden"
    assert ApiKey.objects.get(pk=etda_key.api_key.pk).revoked_at is None


def test_a_signed_in_user_of_no_agency_is_told_so_on_agency_endpoints(charlie, anonymous):
    anonymous.force_login(charlie)

    response = anonymous.get("/api/v1/keys")

    assert response.status_code == 403
    assert response.json()["code"] == "api.no_agency"
