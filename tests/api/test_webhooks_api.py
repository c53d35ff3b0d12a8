"""Webhooks over the API: SOC's system subscribes its own URL (a real HTTP server on
127.0.0.1), sees each event with every attempt, redrives a failed one, unsubscribes; ETDA's
system never sees or touches SOC's subscriptions or events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from agencies.models import IdempotencyRecord
from audit.models import AuditEvent
from exchange.webhooks.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from exchange.webhooks.services import webhook_delivery_attempt, webhook_secret
from tests.exchange.test_webhooks import receiver  # noqa: F401  (the fixture, by name)

from .conftest import arrive

RECEIVED = "letter.received"


def subscribe(client, url, events=(RECEIVED,), **headers):
    return client.post(
        "/api/v1/webhooks", {"url": url, "events": list(events)}, format="json", **headers
    )


@pytest.fixture
def soc_hook(soc_system, soc, receiver) -> dict[str, Any]:  # noqa: F811
    response = subscribe(soc_system, f"{receiver.url}/soc", events=[RECEIVED, "letter.withdrawn"])
    assert response.status_code == 201, response.json()
    hook: dict[str, Any] = response.json()
    return hook


def test_soc_subscribes_and_sees_the_secret_once(soc_system, soc_key, soc, receiver):  # noqa: F811
    response = subscribe(soc_system, f"{receiver.url}/soc")

    assert response.status_code == 201, response.json()
    answer = response.json()
    subscription = WebhookSubscription.objects.get(public_id=answer["id"])
    assert answer["secret"].startswith("whsec_")
    assert webhook_secret(subscription) == answer["secret"]
    assert answer["secret"].encode() not in bytes(subscription.secret_encrypted)
    assert (answer["url"], answer["events"]) == (f"{receiver.url}/soc", [RECEIVED])
    assert (answer["is_active"], answer["revoked_at"]) == (True, None)
    assert answer["created_by"] == soc_key.api_key.actor_label
    assert response["Location"] == f"http://testserver/api/v1/webhooks/{answer['id']}"
    assert (subscription.agency, subscription.is_active) == (soc, True)
    event = AuditEvent.objects.get(action="exchange.webhook.subscribed")
    assert (event.agency, event.actor_label) == (soc, soc_key.api_key.actor_label)
    assert answer["secret"] not in str(event.after)
    # Reading it back never shows the secret.
    detail = soc_system.get(f"/api/v1/webhooks/{answer['id']}").json()
    assert "secret" not in detail
    assert detail == {key: value for key, value in answer.items() if key != "secret"}


def test_a_replayed_subscribe_makes_nothing_and_never_stored_the_secret(
    soc_system,
    soc,
    receiver,  # noqa: F811
):
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}

    first = subscribe(soc_system, f"{receiver.url}/soc", **key)
    replay = subscribe(soc_system, f"{receiver.url}/soc", **key)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Location"] == first["Location"]
    secret = first.json()["secret"]
    assert replay.json() == {**first.json(), "secret": None}
    assert WebhookSubscription.objects.filter(agency=soc).count() == 1
    record = IdempotencyRecord.objects.get(key=key["HTTP_IDEMPOTENCY_KEY"])
    assert secret.encode() not in bytes(record.response_body)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://esaraban.soc.go.th/hooks", "webhook.url_not_https"),
        ("https://ผู้ใช้:รหัส@esaraban.soc.go.th/hooks", "webhook.url_has_credentials"),
        ("https://esaraban.soc.go.th/hooks#ส่วน", "webhook.url_invalid"),
        ("https://[esaraban.soc.go.th/hooks", "webhook.url_invalid"),
        ("https://esaraban.soc.go.th:99999/hooks", "webhook.url_invalid"),
    ],
)
def test_unusable_urls_are_refused_with_a_code(soc_system, soc, url, code):
    response = subscribe(soc_system, url)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("events", [[], ["letter.registered"], "letter.received"])
def test_events_are_checked_at_the_door(soc_system, soc, events):
    response = soc_system.post(
        "/api/v1/webhooks",
        {"url": "https://esaraban.soc.go.th/hooks", "events": events},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "api.validation"
    assert "events" in response.json()["details"]["fields"]


def test_the_list_is_the_agencys_own_newest_first_revoked_ones_too(
    soc_system,
    etda_system,
    soc,
    receiver,  # noqa: F811
):
    first = subscribe(soc_system, f"{receiver.url}/soc-1").json()
    second = subscribe(soc_system, f"{receiver.url}/soc-2").json()
    soc_system.delete(f"/api/v1/webhooks/{first['id']}")
    subscribe(etda_system, f"{receiver.url}/etda")

    page = soc_system.get("/api/v1/webhooks?page_size=1").json()
    rest = soc_system.get(page["next"]).json()

    assert [item["id"] for item in page["results"] + rest["results"]] == [
        second["id"],
        first["id"],
    ]
    assert rest["next"] is None
    assert rest["results"][0]["is_active"] is False
    assert all("secret" not in item for item in page["results"] + rest["results"])


def test_soc_unsubscribes_and_again_changes_nothing(soc_system, soc_hook, soc):
    path = f"/api/v1/webhooks/{soc_hook['id']}"

    response = soc_system.delete(path)
    again = soc_system.delete(path)

    assert response.status_code == again.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["revoked_at"] is not None
    assert again.json() == response.json()
    subscription = WebhookSubscription.objects.get(public_id=soc_hook["id"])
    assert not subscription.is_active
    assert subscription.revoked_at is not None
    unsubscribed = AuditEvent.objects.filter(action="exchange.webhook.unsubscribed", agency=soc)
    assert unsubscribed.count() == 1


def test_events_are_listed_with_their_attempts_and_a_failed_one_redriven(
    soc_system,
    soc_hook,
    alice_sends,
    etda,
    soc,
    receiver,  # noqa: F811
):
    receiver.answers["/soc"] = 410
    _delivery, copy = arrive(etda, soc, alice_sends)
    [event] = WebhookDelivery.objects.all()
    assert webhook_delivery_attempt(delivery_id=event.pk) == "failed"

    page = soc_system.get(soc_hook["deliveries_url"]).json()

    [listed] = page["results"]
    assert listed["event_id"] == str(event.event_id)
    assert listed["event_type"] == RECEIVED
    assert listed["subscription"] == soc_hook["id"]
    assert (listed["status"], listed["last_error_code"]) == ("failed", "webhook.refused_410")
    assert listed["payload"]["letter_id"] == copy.pk
    assert listed["payload"]["subject"] == copy.subject
    [attempt] = listed["attempts"]
    assert (attempt["http_status"], attempt["succeeded"], attempt["permanent"]) == (
        410,
        False,
        True,
    )
    assert attempt["error_code"] == "webhook.refused_410"

    receiver.answers["/soc"] = 204
    redriven = soc_system.post(listed["redrive_url"])

    assert redriven.status_code == 200, redriven.json()
    assert redriven.json()["status"] == "queued"
    assert redriven.json()["event_id"] == str(event.event_id)
    event.refresh_from_db()
    assert event.status == WebhookDeliveryStatus.QUEUED
    assert AuditEvent.objects.filter(action="exchange.webhook.redriven", agency=soc).exists()
    again = soc_system.post(listed["redrive_url"])
    assert again.status_code == 409
    assert again.json()["code"] == "webhook.not_redrivable"
    assert webhook_delivery_attempt(delivery_id=event.pk) == "delivered"
    attempts = soc_system.get(soc_hook["deliveries_url"]).json()["results"][0]["attempts"]
    assert [a["http_status"] for a in attempts] == [410, 204]


def test_etda_cannot_see_or_touch_socs_webhooks(
    etda_system,
    soc_system,
    soc_hook,
    alice_sends,
    etda,
    soc,
    receiver,  # noqa: F811
):
    receiver.answers["/soc"] = 410
    arrive(etda, soc, alice_sends)
    [event] = WebhookDelivery.objects.all()
    webhook_delivery_attempt(delivery_id=event.pk)
    hook = f"/api/v1/webhooks/{soc_hook['id']}"

    responses = [
        etda_system.get(hook),
        etda_system.get(f"{hook}/deliveries"),
        etda_system.delete(hook),
        etda_system.post(f"/api/v1/webhooks/deliveries/{event.event_id}/redrive"),
    ]

    for response in responses:
        assert response.status_code == 404
        assert response.json()["code"] == "webhook.not_found"
    assert etda_system.get("/api/v1/webhooks").json()["results"] == []
    assert WebhookSubscription.objects.get(public_id=soc_hook["id"]).is_active
    event.refresh_from_db()
    assert event.status == WebhookDeliveryStatus.FAILED
    assert not AuditEvent.objects.filter(
        action__in=["exchange.webhook.unsubscribed", "exchange.webhook.redriven"]
    ).exists()


def test_unknown_ids_are_404(soc_system, soc):
    for path in (
        f"/api/v1/webhooks/{uuid.uuid4()}",
        f"/api/v1/webhooks/{uuid.uuid4()}/deliveries",
        "/api/v1/webhooks/ไม่ใช่รหัส",
    ):
        response = soc_system.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] in ("webhook.not_found", "api.not_found")
    redrive = soc_system.post(f"/api/v1/webhooks/deliveries/{uuid.uuid4()}/redrive")
    assert redrive.status_code == 404


def test_no_key_no_webhooks(anonymous, soc):
    assert anonymous.get("/api/v1/webhooks").status_code == 401
    assert subscribe(anonymous, "https://esaraban.soc.go.th/hooks").status_code == 401
