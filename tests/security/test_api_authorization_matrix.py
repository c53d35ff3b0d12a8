"""Every API route, generated from the URL configuration, against every kind of caller.

A route without a rule in RULES fails the test: a new endpoint must say who may call it. The
callers: ETDA's system (the owner of every object named in the path), SOC's system (another
agency: anything of ETDA's is simply not found), ETDA's revoked key and no key at all (both
401). Every method each view answers is tried; bodies are empty, so an owner may get a 400
for a missing field, but never a 401, 403, 404 or 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from agencies.models import AgencyRole, DeliveryMode
from agencies.services import apikey_create, apikey_revoke
from exchange.models import Delivery
from exchange.services.outbox import delivery_attempt
from exchange.services.sending import letter_send
from exchange.transports import attachments_by_manifest_id
from exchange.webhooks.models import WebhookDelivery
from exchange.webhooks.services import webhook_subscribe
from letters.models import Direction, Letter
from tests.conftest import make_user
from tests.exchange.test_delivery_flow import draft_to

# Who may call: "public" (no key needed), "key" (an agency's system; objects of other
# agencies are 404). What fills the path: the name of a World attribute per URL parameter.
RULES: dict[str, tuple[str, dict[str, str]]] = {
    "exchange-inbound": ("public", {}),  # authenticated by the envelope's signature
    "api-schema": ("public", {}),
    "api-docs": ("public", {}),
    "api-agency-list": ("key", {}),
    "api-agency-detail": ("key", {"key": "agency_key"}),  # the directory is shared
    "api-key-list": ("key", {}),
    "api-key-detail": ("key", {"prefix": "key_prefix"}),
    "api-key-revoke": ("key", {"prefix": "key_prefix"}),
    "api-caller": ("key", {}),
    "api-codes-urgency": ("key", {}),
    "api-codes-secrecy": ("key", {}),
    "api-codes-media-types": ("key", {}),
    "api-time": ("key", {}),
    "api-inbox-list": ("key", {}),
    "api-inbox-detail": ("key", {"letter_id": "incoming_id"}),
    "api-inbox-envelope": ("key", {"letter_id": "incoming_id"}),
    "api-inbox-attachment": (
        "key",
        {"letter_id": "incoming_id", "attachment_id": "incoming_attachment_id"},
    ),
    "api-inbox-register": ("key", {"letter_id": "incoming_id"}),
    "api-inbox-reject": ("key", {"letter_id": "incoming_id"}),
    "api-inbox-wrong-recipient": ("key", {"letter_id": "incoming_id"}),
    "api-register": ("key", {"register": "register_kind"}),
    "api-letter-create": ("key", {}),
    "api-letter-detail": ("key", {"letter_id": "outgoing_id"}),
    "api-letter-attachments": ("key", {"letter_id": "outgoing_id"}),
    "api-letter-attachment": (
        "key",
        {"letter_id": "outgoing_id", "attachment_id": "outgoing_attachment_id"},
    ),
    "api-letter-number": ("key", {"letter_id": "outgoing_id"}),
    "api-letter-send": ("key", {"letter_id": "outgoing_id"}),
    "api-letter-deliveries": ("key", {"letter_id": "outgoing_id"}),
    "api-outbox": ("key", {}),
    "api-pull-fetch": ("key", {}),
    "api-pull-envelope": ("key", {"message_id": "pull_message_id"}),
    "api-pull-attachment": (
        "key",
        {"message_id": "pull_message_id", "manifest_id": "pull_manifest_id"},
    ),
    "api-pull-ack": ("key", {"message_id": "pull_message_id"}),
    "api-webhook-list": ("key", {}),
    "api-webhook-detail": ("key", {"public_id": "webhook_id"}),
    "api-webhook-deliveries": ("key", {"public_id": "webhook_id"}),
    "api-webhook-redrive": ("key", {"event_id": "webhook_event_id"}),
    "api-delivery-detail": ("key", {"delivery_id": "delivery_id"}),
    "api-delivery-redrive": ("key", {"delivery_id": "delivery_id"}),
    "api-delivery-withdraw": ("key", {"delivery_id": "delivery_id"}),
    "api-delivery-resend": ("key", {"delivery_id": "delivery_id"}),
    "api-delivery-dispute": ("key", {"delivery_id": "delivery_id"}),
    "api-envelope-submit": ("key", {}),
}
# Routes whose path names something every agency may read (the shared directory).
SHARED = {"api-agency-detail", "api-register"}


def api_routes() -> Iterator[tuple[str, str, URLPattern]]:
    def walk(patterns, prefix: str = "") -> Iterator[tuple[str, str, URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif (prefix + str(pattern.pattern)).startswith("api/"):
                yield prefix + str(pattern.pattern), str(pattern.name), pattern

    yield from walk(get_resolver().url_patterns)


def methods_of(pattern: URLPattern) -> list[str]:
    view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
    if view is None:
        return ["post"]  # the plain inbound view answers POST only
    return [m for m in ("get", "post", "patch", "put", "delete") if hasattr(view, m)]


@dataclass
class World:
    agency_key: str
    key_prefix: str
    incoming_id: int
    incoming_attachment_id: int
    outgoing_id: int
    outgoing_attachment_id: int
    delivery_id: int
    pull_message_id: str
    pull_manifest_id: str
    webhook_id: str
    webhook_event_id: str
    register_kind: str = "receive"
    etda_subject: str = ""


def _client(key: str | None) -> APIClient:
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def world(request, etda, soc, settings):
    request.getfixturevalue("hosted")
    settings.HUB_API_RATE = "100000/min"
    alice = make_user("alice", (etda, AgencyRole.CLERK))
    bob = make_user("bob", (soc, AgencyRole.CLERK))
    hook = webhook_subscribe(
        agency=etda,
        url="https://hooks.etda.example/saraban",
        events=["delivery.status_changed"],
        actor=alice,
    )
    subject = "หนังสือของ สพธอ. ที่ สลค. ต้องไม่เห็น ๑๒๓"
    outgoing = draft_to(etda, soc, alice, subject=subject)
    [delivery] = letter_send(letter=outgoing, actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    [to_etda] = letter_send(letter=draft_to(soc, etda, bob), actor=bob)
    delivery_attempt(delivery_id=to_etda.pk)
    incoming = Letter.objects.get(agency=etda, direction=Direction.INCOMING)
    etda.delivery_mode = DeliveryMode.PULL
    etda.save()
    [parked] = letter_send(letter=draft_to(soc, etda, bob, subject="รอระบบ สพธอ. ดึง"), actor=bob)
    delivery_attempt(delivery_id=parked.pk)
    parked = Delivery.objects.get(pk=parked.pk)
    event = WebhookDelivery.objects.filter(subscription=hook.subscription).first()
    assert event is not None
    # A draft only ETDA knows: nothing SOC is answered may mention it.
    draft_to(etda, soc, alice, subject="ร่างภายในของ สพธอ. ที่ยังไม่ได้ส่ง")
    keys = {
        "etda": apikey_create(agency=etda, name="ระบบ สพธอ.", actor=alice),
        "spare": apikey_create(agency=etda, name="ระบบสำรอง สพธอ.", actor=alice),
        "soc": apikey_create(agency=soc, name="ระบบ สลค.", actor=bob),
        "revoked": apikey_create(agency=etda, name="กุญแจที่ถูกเพิกถอน", actor=alice),
    }
    apikey_revoke(api_key=keys["revoked"].api_key, actor=alice)
    return (
        World(
            agency_key="etda",
            key_prefix=keys["spare"].api_key.prefix,  # revoking it must not lock ETDA out
            incoming_id=incoming.pk,
            incoming_attachment_id=incoming.attachments.get().pk,
            outgoing_id=outgoing.pk,
            outgoing_attachment_id=outgoing.attachments.get().pk,
            delivery_id=delivery.pk,
            pull_message_id=str(parked.message_id),
            pull_manifest_id=next(iter(attachments_by_manifest_id(parked))),
            webhook_id=str(hook.subscription.public_id),
            webhook_event_id=str(event.event_id),
            etda_subject="ร่างภายในของ สพธอ. ที่ยังไม่ได้ส่ง",
        ),
        {name: created.plaintext for name, created in keys.items()},
    )


def test_every_api_route_has_a_rule():
    missing = sorted({name for _route, name, _p in api_routes()} - set(RULES))
    assert not missing, f"API routes without an authorization rule: {missing}"


def _call(client: APIClient, method: str, url: str):
    if method in ("post", "patch", "put"):
        return getattr(client, method)(url, {}, format="json")
    return getattr(client, method)(url)


def test_the_matrix(world):
    from django.urls import reverse

    facts, keys = world
    checked = 0
    problems: list[str] = []
    for _route, name, pattern in api_routes():
        access, params = RULES[name]
        url = reverse(name, kwargs={p: getattr(facts, attr) for p, attr in params.items()})
        for method in methods_of(pattern):
            owner = _call(_client(keys["etda"]), method, url)
            if owner.status_code in (401, 403, 404) or owner.status_code >= 500:
                problems.append(f"{method.upper()} {url}: ETDA's own key got {owner.status_code}")
            if access == "public":
                continue
            for caller in (None, "revoked"):
                answer = _call(_client(keys.get(caller) if caller else None), method, url)
                if answer.status_code != 401:
                    problems.append(
                        f"{method.upper()} {url}: {caller or 'no'} key got {answer.status_code}"
                    )
            other = _call(_client(keys["soc"]), method, url)
            if params and name not in SHARED:
                if other.status_code != 404:
                    problems.append(f"{method.upper()} {url}: SOC's key got {other.status_code}")
            elif other.status_code >= 500 or facts.etda_subject.encode() in other.content:
                problems.append(f"{method.upper()} {url}: SOC's key saw ETDA's letter")
            checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 40
