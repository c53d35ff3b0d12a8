"""Audit rows: written in the change's transaction, append-only, with request context."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record


@pytest.mark.django_db(transaction=True)
def test_an_audit_row_outside_a_transaction_is_refused(alice):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(action="letters.letter.viewed", actor=alice)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_audit_row(alice, etda):
    with pytest.raises(ValueError), transaction.atomic():
        audit_record(action="letters.letter.drafted", actor=alice, agency=etda)
        raise ValueError("the change failed")

    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_audit_rows_are_append_only(alice):
    with transaction.atomic():
        event = audit_record(action="letters.letter.viewed", actor=alice, after={"x": "ก"})

    event.action = "letters.letter.nothing"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


@pytest.mark.django_db
def test_requests_carry_their_id_and_address_into_the_trail(client, alice):
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "alice-pw-ทดสอบ"},
        HTTP_X_REQUEST_ID="req-0123456789",
        REMOTE_ADDR="127.0.0.9",
    )

    assert response["X-Request-ID"] == "req-0123456789"
    event = AuditEvent.objects.get(action="audit.session.login")
    assert (event.request_id, event.ip, event.actor_user) == ("req-0123456789", "127.0.0.9", alice)


@pytest.mark.django_db
def test_an_unsafe_request_id_is_replaced(client):
    response = client.get(reverse("login"), HTTP_X_REQUEST_ID="bad id\nInjected: yes")

    assert "\n" not in response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 32
