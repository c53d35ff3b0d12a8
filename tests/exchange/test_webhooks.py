"""Webhooks: ETDA's and SOC's own e-saraban systems hear about letters by signed HTTP POST.

Alice (ETDA) sends to Bob (SOC), both hosted here. SOC's system subscribes to its incoming
letters, ETDA's to the status of what it sent. A real HTTP server on 127.0.0.1 plays both
systems and records every request; the task bodies (``delivery_attempt``,
``webhook_delivery_attempt``) are called directly, and one test runs them in a real worker.
"""

from __future__ import annotations

import datetime
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import AgencyRole, AgencySigningKey, DeliveryMode
from agencies.pki.errors import NoSigningKey
from audit.models import AuditEvent
from exchange.models import Delivery, DeliveryStatus, InboundEnvelope
from exchange.services.acknowledgements import (
    delivery_withdraw,
    incoming_letter_refuse,
    incoming_letter_register,
)
from exchange.services.outbox import delivery_attempt
from exchange.services.sending import letter_send
from exchange.tasks import sweep
from exchange.webhooks.errors import (
    WebhookEventsInvalid,
    WebhookNotFound,
    WebhookNotRedrivable,
    WebhookSecretUnreadable,
    WebhookUrlHasCredentials,
    WebhookUrlNotHttps,
)
from exchange.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
    WebhookSubscription,
)
from exchange.webhooks.selectors import (
    webhook_deliveries,
    webhook_delivery_get,
    webhook_subscription_get,
    webhook_subscriptions,
)
from exchange.webhooks.services import (
    webhook_delivery_attempt,
    webhook_emit,
    webhook_redrive,
    webhook_secret,
    webhook_secrets_reencrypt,
    webhook_subscribe,
    webhook_unsubscribe,
    webhooks_sweep,
)
from exchange.webhooks.signing import webhook_signature, webhook_verify_signature
from letters.models import Letter, LetterStatus
from letters.models.sealed import SECRET_PLACEHOLDER_SUBJECT
from tests.conftest import celery_worker, database_url_for_subprocesses, make_user

from .test_delivery_flow import deliver_all, draft_to
from .test_delivery_worker import wait_for

SUBJECT = "ขอเชิญประชุมคณะกรรมการพัฒนารัฐบาลดิจิทัล ครั้งที่ ๑/๒๕๗๐"
SECRET_SUBJECT = "แผนการตรวจสอบระบบสารสนเทศของหน่วยงานความมั่นคง"
RECEIVED = WebhookEvent.LETTER_RECEIVED.value
STATUS_CHANGED = WebhookEvent.DELIVERY_STATUS_CHANGED.value
WITHDRAWN = WebhookEvent.LETTER_WITHDRAWN.value


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document


@dataclass
class Receiver:
    """Agency systems on 127.0.0.1: records every POST and answers what the test says."""

    url: str
    requests: list[Request] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)  # path → status (default 204)

    def at(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    requests: list[Request] = []
    answers: dict[str, int] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            requests.append(Request(self.path, dict(self.headers.items()), body))
            status = answers.get(self.path, 204)
            reply = b"" if status == 204 else f'{{"status": {status}}}'.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = str(server.server_address[0]), int(server.server_address[1])
    try:
        yield Receiver(url=f"http://{host}:{port}", requests=requests, answers=answers)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def alice(hosted, etda):
    return make_user("alice", (etda, AgencyRole.CLERK))


@pytest.fixture
def bob(hosted, soc):
    return make_user("bob", (soc, AgencyRole.CLERK))


@pytest.fixture
def soc_system(bob, soc, receiver):
    """SOC's e-saraban system, told of every letter that arrives or is withdrawn."""
    return webhook_subscribe(
        agency=soc, url=f"{receiver.url}/soc", events=[RECEIVED, WITHDRAWN], actor=bob
    )


@pytest.fixture
def etda_system(alice, etda, receiver):
    """ETDA's e-saraban system, told of each step of what ETDA sent."""
    return webhook_subscribe(
        agency=etda, url=f"{receiver.url}/etda", events=[STATUS_CHANGED], actor=alice
    )


def deliver_webhooks() -> list[str]:
    due = WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.QUEUED)
    return [webhook_delivery_attempt(delivery_id=pk) for pk in due.values_list("pk", flat=True)]


def send_and_deliver(alice, etda, soc, **fields) -> tuple[Delivery, Letter]:
    [delivery] = letter_send(letter=draft_to(etda, soc, alice, **fields), actor=alice)
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    copy = InboundEnvelope.objects.get(message_id=delivery.message_id).letter
    assert copy is not None
    return delivery, copy


def statuses(receiver: Receiver, path: str = "/etda") -> list[str]:
    return [request.document["data"]["status"] for request in receiver.at(path)]


def test_soc_hears_of_the_letter_and_etda_of_each_step_with_the_receive_number(
    alice, bob, etda, soc, receiver, soc_system, etda_system
):
    delivery, copy = send_and_deliver(alice, etda, soc, subject=SUBJECT)
    assert deliver_webhooks() == ["delivered", "delivered"]
    entry = incoming_letter_register(letter=copy, actor=bob)
    registration = Delivery.objects.get(message_type="registration")
    assert delivery_attempt(delivery_id=registration.pk) == "delivered"
    assert deliver_webhooks() == ["delivered"]

    [arrival] = receiver.at("/soc")
    assert arrival.headers["X-Saraban-Event"] == RECEIVED
    assert arrival.headers["Content-Type"] == "application/json; charset=utf-8"
    document = arrival.document
    assert document["id"] == arrival.headers["X-Saraban-Delivery"]
    assert (document["type"], document["agency"]) == (RECEIVED, "soc")
    assert document["data"] == {
        "letter_id": copy.pk,
        "sender": {"key": "etda", "name_th": "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"},
        "number": copy.number_display(),
        "subject": SUBJECT,
        "urgency": "004",
        "secrecy": "001",
        "received_at": copy.created_at.isoformat(),
    }
    assert copy.number_display().startswith("ดศ")
    assert SUBJECT.encode() in arrival.body  # UTF-8 Thai, not \u escapes

    assert statuses(receiver) == ["delivered", "registered"]
    delivered, registered = (request.document["data"] for request in receiver.at("/etda"))
    assert delivered["letter_id"] == registered["letter_id"] == delivery.letter_id
    assert delivered["recipient"] == {"key": "soc", "name_th": "สำนักเลขาธิการคณะรัฐมนตรี"}
    assert delivered["receive_number"] is None
    assert registered["receive_number"] == str(entry.number)
    delivery.refresh_from_db()
    assert registered["receive_number"] == delivery.receive_number
    assert registered["message_id"] == str(delivery.message_id)

    stored = WebhookDelivery.objects.get(event_id=arrival.headers["X-Saraban-Delivery"])
    assert (stored.status, stored.attempt_count) == (WebhookDeliveryStatus.DELIVERED, 1)
    assert stored.delivered_at is not None
    [attempt] = stored.attempts.all()
    assert (attempt.http_status, attempt.succeeded, attempt.permanent) == (204, True, False)


def test_the_signature_verifies_with_the_secret_only_and_only_while_fresh(
    alice, etda, soc, receiver, soc_system, etda_system
):
    send_and_deliver(alice, etda, soc)
    deliver_webhooks()
    [arrival] = receiver.at("/soc")
    header = arrival.headers["X-Saraban-Signature"]
    signed_at = int(re.fullmatch(r"t=(\d+),v1=[0-9a-f]{64}", header).group(1))

    assert abs(signed_at - time.time()) < 60
    assert webhook_verify_signature(soc_system.secret, header, arrival.body)
    assert not webhook_verify_signature(etda_system.secret, header, arrival.body)
    assert not webhook_verify_signature(soc_system.secret, header, arrival.body + b" ")
    stale = signed_at + 301
    assert not webhook_verify_signature(soc_system.secret, header, arrival.body, now=stale)
    assert webhook_verify_signature(
        soc_system.secret, header, arrival.body, now=signed_at + 301, tolerance=600
    )
    # A captured body re-signed with a fresh timestamp needs the secret.
    forged = f"t={signed_at + 1},v1={header.split('v1=')[1]}"
    assert not webhook_verify_signature(soc_system.secret, forged, arrival.body)
    assert not webhook_verify_signature(soc_system.secret, "t=๑๒๓,v1=ab", arrival.body)
    assert not webhook_verify_signature(soc_system.secret, "", arrival.body)


def test_the_python_example_in_the_docs_verifies_like_the_hub(soc_system) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    [example] = re.findall(r"```python\n(import hashlib.*?)```", text, flags=re.S)
    namespace: dict[str, Any] = {}
    exec(example, namespace)  # noqa: S102 (our own documentation)
    verify = namespace["verify"]
    body = json.dumps({"type": RECEIVED, "data": {"subject": SUBJECT}}, ensure_ascii=False).encode()
    now = int(time.time())

    assert verify(
        soc_system.secret, webhook_signature(soc_system.secret, body, timestamp=now), body
    )
    assert not verify(
        "whsec_other", webhook_signature(soc_system.secret, body, timestamp=now), body
    )
    stale = webhook_signature(soc_system.secret, body, timestamp=now - 600)
    assert not verify(soc_system.secret, stale, body)


def test_a_500_is_retried_later_with_the_same_event_id(alice, etda, soc, receiver, soc_system):
    receiver.answers["/soc"] = 500
    send_and_deliver(alice, etda, soc)
    [event] = WebhookDelivery.objects.filter(subscription=soc_system.subscription)

    assert webhook_delivery_attempt(delivery_id=event.pk) == "retry"

    event.refresh_from_db()
    assert event.status == WebhookDeliveryStatus.QUEUED
    assert event.next_attempt_at > timezone.now()
    assert (event.attempt_count, event.last_error_code) == (1, "webhook.http_500")
    [attempt] = WebhookAttempt.objects.filter(delivery=event)
    assert (attempt.http_status, attempt.succeeded, attempt.permanent) == (500, False, False)
    assert attempt.error_code == "webhook.http_500"
    assert attempt.response_excerpt == '{"status": 500}'
    assert attempt.duration_ms is not None
    assert webhook_delivery_attempt(delivery_id=event.pk) == "not-due"  # back-off in the DB

    receiver.answers["/soc"] = 200
    WebhookDelivery.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())
    assert webhook_delivery_attempt(delivery_id=event.pk) == "delivered"
    first, second = receiver.at("/soc")
    assert first.headers["X-Saraban-Delivery"] == second.headers["X-Saraban-Delivery"]
    assert first.body == second.body  # the same bytes; only the signature's timestamp differs
    event.refresh_from_db()
    assert (event.status, event.attempt_count) == (WebhookDeliveryStatus.DELIVERED, 2)


def test_a_410_fails_at_once_is_audited_and_can_be_redriven(
    alice, bob, etda, soc, receiver, soc_system
):
    receiver.answers["/soc"] = 410
    send_and_deliver(alice, etda, soc)
    [event] = WebhookDelivery.objects.filter(subscription=soc_system.subscription)

    assert webhook_delivery_attempt(delivery_id=event.pk) == "failed"

    event.refresh_from_db()
    assert (event.status, event.last_error_code) == ("failed", "webhook.refused_410")
    [attempt] = event.attempts.all()
    assert (attempt.http_status, attempt.permanent) == (410, True)
    audit = AuditEvent.objects.get(action="exchange.webhook.failed")
    assert (audit.agency, audit.after["error"]) == (soc, "webhook.refused_410")

    receiver.answers["/soc"] = 204
    redriven = webhook_redrive(delivery=event, actor=bob)
    assert (redriven.status, redriven.event_id) == (WebhookDeliveryStatus.QUEUED, event.event_id)
    assert redriven.expires_at > event.expires_at
    assert AuditEvent.objects.filter(action="exchange.webhook.redriven", actor_user=bob).exists()
    with pytest.raises(WebhookNotRedrivable):
        webhook_redrive(delivery=event, actor=bob)
    assert webhook_delivery_attempt(delivery_id=event.pk) == "delivered"
    assert len({r.headers["X-Saraban-Delivery"] for r in receiver.at("/soc")}) == 1


def test_an_event_is_given_up_after_its_time_to_live(alice, etda, soc, receiver, soc_system):
    receiver.answers["/soc"] = 503
    send_and_deliver(alice, etda, soc)
    [event] = WebhookDelivery.objects.filter(subscription=soc_system.subscription)
    # The next back-off would land past the time-to-live: stop now instead.
    WebhookDelivery.objects.filter(pk=event.pk).update(
        expires_at=timezone.now() + datetime.timedelta(seconds=1)
    )

    assert webhook_delivery_attempt(delivery_id=event.pk) == "failed"

    event.refresh_from_db()
    assert (event.status, event.last_error_code) == ("failed", "webhook.expired")
    assert event.attempts.get().http_status == 503


def test_an_unreachable_receiver_is_a_transient_failure(alice, etda, soc, bob):
    hook = webhook_subscribe(
        agency=soc, url="http://127.0.0.1:9/hook", events=[RECEIVED], actor=bob
    )
    send_and_deliver(alice, etda, soc)
    [event] = WebhookDelivery.objects.filter(subscription=hook.subscription)

    assert webhook_delivery_attempt(delivery_id=event.pk) == "retry"
    assert event.attempts.get().error_code == "webhook.unreachable"


def test_a_rolled_back_withdrawal_emits_nothing(
    alice, bob, etda, soc, receiver, soc_system, etda_system
):
    delivery, copy = send_and_deliver(alice, etda, soc)
    incoming_letter_refuse(
        letter=copy, status=LetterStatus.REJECTED, reason="ไม่มีสิ่งที่ส่งมาด้วย", actor=bob
    )
    deliver_all()
    deliver_webhooks()
    assert statuses(receiver) == ["delivered", "rejected"]
    assert receiver.at("/etda")[1].document["data"]["reason"] == "ไม่มีสิ่งที่ส่งมาด้วย"
    before = WebhookDelivery.objects.count()
    # ETDA's signing key is switched off: the withdrawal notice cannot be signed, so the
    # whole withdrawal rolls back, and with it the event already queued in that transaction.
    AgencySigningKey.objects.filter(agency=etda).update(is_active=False)
    delivery.refresh_from_db()

    with pytest.raises(NoSigningKey):
        delivery_withdraw(delivery=delivery, reason="ส่งใหม่พร้อมสิ่งที่ส่งมาด้วย", actor=alice)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.REJECTED
    assert WebhookDelivery.objects.count() == before


def test_a_withdrawal_tells_both_sides(alice, bob, etda, soc, receiver, soc_system, etda_system):
    delivery, copy = send_and_deliver(alice, etda, soc)
    incoming_letter_refuse(
        letter=copy, status=LetterStatus.WRONG_RECIPIENT, reason="ส่งผิดส่วนราชการ", actor=bob
    )
    deliver_all()
    delivery.refresh_from_db()
    delivery_withdraw(delivery=delivery, reason="ส่งใหม่ถึงส่วนราชการที่ถูกต้อง", actor=alice)
    deliver_all()  # the withdrawal notice reaches SOC
    deliver_webhooks()

    assert statuses(receiver) == ["delivered", "wrong_recipient", "withdrawn"]
    assert receiver.at("/etda")[2].document["data"]["reason"] == "ส่งใหม่ถึงส่วนราชการที่ถูกต้อง"
    assert [r.headers["X-Saraban-Event"] for r in receiver.at("/soc")] == [RECEIVED, WITHDRAWN]
    withdrawn = receiver.at("/soc")[1].document["data"]
    assert (withdrawn["letter_id"], withdrawn["reason"]) == (copy.pk, "ส่งใหม่ถึงส่วนราชการที่ถูกต้อง")
    assert withdrawn["sender"]["key"] == "etda"


def test_a_failed_push_is_reported_to_the_sender(alice, etda, soc, receiver, etda_system):
    soc.delivery_mode = DeliveryMode.PUSH
    soc.endpoint_url = f"{receiver.url}/soc-inbound"
    soc.save()
    receiver.answers["/soc-inbound"] = 410
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)

    assert delivery_attempt(delivery_id=delivery.pk) == "failed"
    deliver_webhooks()

    [failed] = (request.document["data"] for request in receiver.at("/etda"))
    assert (failed["status"], failed["error_code"]) == ("failed", "exchange.push_refused_410")
    # The outbox's own acknowledgements are not ETDA's letters: nothing else was reported.
    assert WebhookDelivery.objects.count() == 1


def test_a_secret_letters_subject_stays_out_of_the_payload(alice, etda, soc, receiver, soc_system):
    _, copy = send_and_deliver(alice, etda, soc, subject=SECRET_SUBJECT, secrecy="002")
    deliver_webhooks()

    [arrival] = receiver.at("/soc")
    data = arrival.document["data"]
    assert (data["letter_id"], data["secrecy"]) == (copy.pk, "002")
    assert "subject" not in data
    assert SECRET_SUBJECT.encode() not in arrival.body
    # The copy's row holds no subject either: it is inside the encrypted envelope only.
    assert copy.subject == SECRET_PLACEHOLDER_SUBJECT


def test_the_secret_is_shown_once_and_stored_only_encrypted(bob, soc, receiver):
    created = webhook_subscribe(agency=soc, url=f"{receiver.url}/soc", events=[RECEIVED], actor=bob)
    subscription = created.subscription

    assert created.secret.startswith("whsec_") and len(created.secret) > 40
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_encrypted FROM exchange_webhooksubscription WHERE id = %s",
            [subscription.pk],
        )
        [raw] = cursor.fetchone()
    assert created.secret.encode() not in bytes(raw)
    assert created.secret[6:].encode() not in bytes(raw)
    assert webhook_secret(WebhookSubscription.objects.get(pk=subscription.pk)) == created.secret
    audit = AuditEvent.objects.get(action="exchange.webhook.subscribed")
    assert created.secret not in json.dumps(audit.after, ensure_ascii=False)
    assert audit.after["url"] == f"{receiver.url}/soc"
    # The blob is bound to its subscription: copied into another row it does not open.
    other = webhook_subscribe(agency=soc, url=f"{receiver.url}/x", events=[RECEIVED], actor=bob)
    WebhookSubscription.objects.filter(pk=other.subscription.pk).update(secret_encrypted=raw)
    with pytest.raises(WebhookSecretUnreadable):
        webhook_secret(WebhookSubscription.objects.get(pk=other.subscription.pk))


def test_secrets_follow_a_master_key_rotation(bob, soc, receiver, settings):
    import base64
    import os

    created = webhook_subscribe(agency=soc, url=f"{receiver.url}/soc", events=[RECEIVED], actor=bob)
    old = base64.b64decode(settings.HUB_KEY_ENCRYPTION_KEY)
    new = os.urandom(32)

    assert webhook_secrets_reencrypt(old_master_key=old, new_master_key=new, actor="system") == 1
    assert webhook_secrets_reencrypt(old_master_key=old, new_master_key=new, actor="system") == 0

    settings.HUB_KEY_ENCRYPTION_KEY = base64.b64encode(new).decode()
    assert webhook_secret(WebhookSubscription.objects.get()) == created.secret


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://esaraban.soc.go.th/hook", WebhookUrlNotHttps),
        ("ftp://esaraban.soc.go.th/hook", WebhookUrlNotHttps),
        ("https://admin:รหัสผ่าน@esaraban.soc.go.th/hook", WebhookUrlHasCredentials),
        ("https://admin@esaraban.soc.go.th/hook", WebhookUrlHasCredentials),
    ],
)
def test_production_takes_https_urls_without_credentials(bob, soc, settings, url, error):
    settings.HUB_WEBHOOK_ALLOW_HTTP = False

    with pytest.raises(error):
        webhook_subscribe(agency=soc, url=url, events=[RECEIVED], actor=bob)

    assert not WebhookSubscription.objects.exists()
    created = webhook_subscribe(
        agency=soc, url="https://esaraban.soc.go.th/hook", events=[RECEIVED], actor=bob
    )
    assert created.subscription.url == "https://esaraban.soc.go.th/hook"


@pytest.mark.parametrize("events", [[], ["letter.deleted"], [RECEIVED, "registered"]])
def test_only_known_events_can_be_subscribed(bob, soc, events):
    with pytest.raises(WebhookEventsInvalid):
        webhook_subscribe(
            agency=soc, url="https://esaraban.soc.go.th/hook", events=events, actor=bob
        )


def test_unsubscribing_drops_queued_events_and_stops_new_ones(
    alice, bob, etda, soc, receiver, soc_system
):
    send_and_deliver(alice, etda, soc)
    [queued] = WebhookDelivery.objects.all()

    webhook_unsubscribe(subscription=soc_system.subscription, actor=bob)
    webhook_unsubscribe(subscription=soc_system.subscription, actor=bob)  # no change, no audit

    queued.refresh_from_db()
    assert (queued.status, queued.last_error_code) == ("failed", "webhook.subscription_revoked")
    subscription = WebhookSubscription.objects.get(pk=soc_system.subscription.pk)
    assert (subscription.is_active, subscription.revoked_at is not None) == (False, True)
    assert AuditEvent.objects.filter(action="exchange.webhook.unsubscribed").count() == 1
    with pytest.raises(WebhookNotRedrivable):
        webhook_redrive(delivery=queued, actor=bob)
    send_and_deliver(alice, etda, soc, subject="หนังสือฉบับที่ ๒")
    assert WebhookDelivery.objects.count() == 1
    assert receiver.requests == []


def test_an_event_caught_mid_flight_by_a_revocation_is_not_sent(
    alice, bob, etda, soc, receiver, soc_system
):
    send_and_deliver(alice, etda, soc)
    [event] = WebhookDelivery.objects.all()
    # A worker died holding it; meanwhile SOC revoked the subscription.
    WebhookDelivery.objects.filter(pk=event.pk).update(
        status=WebhookDeliveryStatus.SENDING,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    webhook_unsubscribe(subscription=soc_system.subscription, actor=bob)

    assert webhook_delivery_attempt(delivery_id=event.pk) == "failed"
    assert receiver.requests == []
    event.refresh_from_db()
    assert (event.last_error_code, event.attempt_count) == ("webhook.subscription_revoked", 0)


def test_the_sweeper_finds_due_and_lease_expired_events(alice, etda, soc, receiver, soc_system):
    send_and_deliver(alice, etda, soc)
    [event] = WebhookDelivery.objects.all()
    assert webhooks_sweep() == 1
    WebhookDelivery.objects.filter(pk=event.pk).update(
        status=WebhookDeliveryStatus.SENDING,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert sweep() == "kicked 0, webhooks 1"  # a worker died holding it: the lease ran out

    assert webhook_delivery_attempt(delivery_id=event.pk) == "delivered"
    assert webhook_delivery_attempt(delivery_id=event.pk) == "not-due"  # a second kick
    assert webhooks_sweep() == 0
    assert len(receiver.requests) == 1


def test_an_event_exists_only_if_its_change_committed(soc, soc_system):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        webhook_emit(agency=soc, event=WebhookEvent.LETTER_RECEIVED, payload={"letter_id": 1})
        1 / 0  # noqa: B018 (the change fails after its event was queued)

    assert not WebhookDelivery.objects.exists()


def test_etda_cannot_see_or_touch_socs_webhooks(alice, etda, soc, receiver, soc_system):
    send_and_deliver(alice, etda, soc)
    deliver_webhooks()
    [event] = WebhookDelivery.objects.all()
    public_id = soc_system.subscription.public_id

    assert list(webhook_subscriptions(agency=etda)) == []
    with pytest.raises(WebhookNotFound):
        webhook_subscription_get(agency=etda, public_id=public_id)
    with pytest.raises(WebhookNotFound):
        webhook_delivery_get(agency=etda, event_id=event.event_id)
    with pytest.raises(WebhookNotFound):
        webhook_subscription_get(agency=soc, public_id="ไม่ใช่รหัส")
    assert list(webhook_deliveries(agency=etda, subscription=soc_system.subscription)) == []

    mine = webhook_subscription_get(agency=soc, public_id=str(public_id))
    [listed] = webhook_deliveries(agency=soc, subscription=mine)
    assert [a.http_status for a in listed.attempts.all()] == [204]
    assert webhook_delivery_get(agency=soc, event_id=event.event_id) == event


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_posts_the_events_after_commit(hosted_committed, etda, soc, receiver):
    alice = make_user("alice", (etda, AgencyRole.CLERK))
    bob = make_user("bob", (soc, AgencyRole.CLERK))
    webhook_subscribe(agency=soc, url=f"{receiver.url}/soc", events=[RECEIVED], actor=bob)
    webhook_subscribe(agency=etda, url=f"{receiver.url}/etda", events=[STATUS_CHANGED], actor=alice)
    letter = draft_to(etda, soc, alice, subject=SUBJECT)

    with celery_worker(DATABASE_URL=database_url_for_subprocesses()) as worker:
        letter_send(letter=letter, actor=alice)  # kicks the worker on commit
        wait_for(lambda: len(receiver.requests) == 2)
        assert worker.poll() is None

    assert receiver.at("/soc")[0].document["data"]["subject"] == SUBJECT
    assert statuses(receiver) == ["delivered"]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost:8443/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.1.10/hooks",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://[::1]/hooks",
        "https://[fd00::1]/hooks",
        "https://0.0.0.0/hooks",
    ],
)
def test_a_subscription_to_the_hubs_own_network_is_refused(etda, settings, url):
    from exchange.webhooks.errors import WebhookUrlNotPublic

    settings.HUB_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(WebhookUrlNotPublic):
        webhook_subscribe(agency=etda, url=url, events=["letter.received"], actor="system:test")


def test_a_public_address_is_accepted_when_private_ones_are_refused(etda, settings):
    settings.HUB_WEBHOOK_ALLOW_PRIVATE = False
    created = webhook_subscribe(
        agency=etda, url="https://8.8.8.8/hooks", events=["letter.received"], actor="system:test"
    )
    assert created.subscription.url == "https://8.8.8.8/hooks"
