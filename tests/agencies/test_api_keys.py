"""API keys: created with a secret shown once and stored hashed, revoked, from the services,
the command and the admin; every change audited."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from agencies.models import ApiKey
from agencies.services import (
    ApiKeyInvalid,
    ApiKeyNameTaken,
    api_key_parse,
    apikey_create,
    apikey_revoke,
)
from audit.models import AuditEvent

KEY_SHAPE = re.compile(r"^sxh_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$")


def test_a_new_key_is_random_and_only_its_hash_is_stored(etda, hub_admin):
    created = apikey_create(agency=etda, name="e-saraban server", actor=hub_admin)

    assert KEY_SHAPE.match(created.plaintext)
    stored = ApiKey.objects.get()
    assert stored.key_sha256 == hashlib.sha256(created.plaintext.encode()).hexdigest()
    assert created.plaintext not in str(ApiKey.objects.values().get()), (
        "the plaintext must not be stored in any column"
    )
    assert api_key_parse(created.plaintext) == (stored.prefix, created.plaintext.split("_", 2)[2])
    event = AuditEvent.objects.get(action="agencies.apikey.created")
    assert (event.actor_user, event.agency, event.target_id) == (hub_admin, etda, str(stored.pk))
    assert created.plaintext not in str(event.after)


def test_two_keys_never_share_a_prefix_or_a_secret(etda):
    first = apikey_create(agency=etda, name="one", actor="system:test")
    second = apikey_create(agency=etda, name="two", actor="system:test")

    assert first.api_key.prefix != second.api_key.prefix
    assert first.plaintext != second.plaintext


def test_a_live_name_is_unique_per_agency_but_a_revoked_one_frees_it(etda, soc):
    first = apikey_create(agency=etda, name="e-saraban server", actor="system:test")
    apikey_create(agency=soc, name="e-saraban server", actor="system:test")

    with pytest.raises(ApiKeyNameTaken):
        apikey_create(agency=etda, name="e-saraban server", actor="system:test")
    apikey_revoke(api_key=first.api_key, actor="system:test")
    apikey_create(agency=etda, name="e-saraban server", actor="system:test")

    assert ApiKey.objects.filter(agency=etda).count() == 2


def test_a_key_needs_a_name_and_an_active_agency(etda):
    with pytest.raises(ApiKeyInvalid):
        apikey_create(agency=etda, name="  ", actor="system:test")
    etda.is_active = False
    etda.save(update_fields=["is_active"])
    with pytest.raises(ApiKeyInvalid):
        apikey_create(agency=etda, name="server", actor="system:test")
    assert not ApiKey.objects.exists()


def test_revoking_is_audited_once(etda):
    created = apikey_create(agency=etda, name="server", actor="system:test")

    apikey_revoke(api_key=created.api_key, actor="system:test", reason="rotation")
    first_time = ApiKey.objects.get().revoked_at
    apikey_revoke(api_key=created.api_key, actor="system:test")

    assert ApiKey.objects.get().revoked_at == first_time is not None
    event = AuditEvent.objects.get(action="agencies.apikey.revoked")
    assert event.after["reason"] == "rotation"


def test_the_command_prints_the_key_once_on_stdout(etda):
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "apikey_create", "--agency", "etda", "--name", "e-saraban server", stdout=out, stderr=err
    )

    plaintext = out.getvalue().strip()
    assert KEY_SHAPE.match(plaintext)
    stored = ApiKey.objects.get()
    assert stored.key_sha256 == hashlib.sha256(plaintext.encode()).hexdigest()
    assert stored.created_by_label == "system:apikey_create"
    assert "shown only this once" in err.getvalue()
    assert plaintext not in err.getvalue()


def test_the_command_refuses_an_unknown_agency_or_a_taken_name(etda):
    with pytest.raises(CommandError, match="No agency"):
        call_command("apikey_create", "--agency", "nobody", "--name", "x", stdout=io.StringIO())
    call_command("apikey_create", "--agency", "etda", "--name", "x", stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"agencies\.apikey_name_taken"):
        call_command("apikey_create", "--agency", "etda", "--name", "x", stdout=io.StringIO())


def test_the_admin_shows_a_new_key_once_and_never_again(client, hub_admin, etda):
    client.force_login(hub_admin)

    response = client.post(
        reverse("admin:agencies_apikey_add"), {"agency": etda.pk, "name": "e-saraban server"}
    )

    assert response.status_code == 200, response.content.decode()[:2000]
    [plaintext] = re.findall(r"sxh_[a-z0-9]{12}_[A-Za-z0-9_-]{43}", response.content.decode())
    assert "no-store" in response["Cache-Control"]
    stored = ApiKey.objects.get()
    assert stored.key_sha256 == hashlib.sha256(plaintext.encode()).hexdigest()
    assert AuditEvent.objects.get(action="agencies.apikey.created").actor_user == hub_admin
    # Not in a message or the session: nowhere to be shown from again.
    assert plaintext not in str(client.cookies)
    change = client.get(reverse("admin:agencies_apikey_change", args=[stored.pk]))
    assert change.status_code == 200
    assert plaintext not in change.content.decode()
    assert stored.key_sha256 not in change.content.decode()


def test_the_admin_refuses_a_taken_name_on_the_form(client, hub_admin, etda):
    apikey_create(agency=etda, name="e-saraban server", actor="system:test")
    client.force_login(hub_admin)

    response = client.post(
        reverse("admin:agencies_apikey_add"), {"agency": etda.pk, "name": "e-saraban server"}
    )

    assert response.status_code == 200
    assert "sxh_" not in response.content.decode()
    assert ApiKey.objects.count() == 1


def test_the_admin_revokes_selected_keys_and_deletes_none(client, hub_admin, etda):
    created = apikey_create(agency=etda, name="server", actor="system:test")
    client.force_login(hub_admin)

    response = client.post(
        reverse("admin:agencies_apikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [created.api_key.pk]},
    )

    assert response.status_code == 302
    assert ApiKey.objects.get().revoked_at is not None
    assert AuditEvent.objects.get(action="agencies.apikey.revoked").actor_user == hub_admin
    delete = client.get(reverse("admin:agencies_apikey_delete", args=[created.api_key.pk]))
    assert delete.status_code == 403
