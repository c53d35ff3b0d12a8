"""Webhook operations: subscribe, emit, deliver, redrive, sweep.

An event is queued (``webhook_emit``) in the transaction of the change it reports, so it exists
exactly when the change committed; a worker is kicked only after commit. Delivery mirrors the
outbox (exchange/services/outbox.py): a guarded UPDATE claims the row with a lease, every POST
is recorded before and after, transient failures wait in ``next_attempt_at`` with the outbox's
back-off, and the sweeper re-kicks what is due or whose lease ran out. A redelivered task finds
nothing to claim and does nothing.
"""

from __future__ import annotations

import datetime
import json
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from agencies.models import Agency
from agencies.pki.keystore import SealedDataUnreadable, encrypted_under, seal, unseal
from audit.services import Actor, actor_label_for, audit_chain_lock, audit_record

from .addresses import public_address_check
from .errors import (
    WebhookEventsInvalid,
    WebhookNotRedrivable,
    WebhookSecretUnreadable,
    WebhookUrlHasCredentials,
    WebhookUrlInvalid,
    WebhookUrlNotHttps,
    WebhookUrlNotPublic,
)
from .models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
    WebhookSubscription,
)
from .signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, webhook_signature

SYSTEM_ACTOR = "system:webhooks"
CONNECT_TIMEOUT_SECONDS = 5.0
# A receiver should answer at once and do its work later; ten seconds is generous for that.
READ_TIMEOUT_SECONDS = 10.0
# Only this much of a response is read and kept: the body does not matter for delivery, and a
# receiver must not be able to make a worker read (or the database store) megabytes.
EXCERPT_BYTES = 2000
SECRET_PREFIX = "whsec_"  # noqa: S105 (a label that makes leaked secrets easy to spot)
_SECRET_BINDING = b"saraban-hub/webhook-secret/v1"


@dataclass(frozen=True)
class NewWebhookSubscription:
    """A subscription just made, with its secret in clear: shown once, never stored so."""

    subscription: WebhookSubscription
    secret: str


def _ttl() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.HUB_WEBHOOK_TTL_SECONDS)


def secret_associated_data(*, agency_key: str, public_id: uuid.UUID | str) -> bytes:
    """Bind a stored secret to its subscription: a blob copied into another row fails to open."""
    return b"|".join([_SECRET_BINDING, agency_key.encode("utf-8"), str(public_id).encode("ascii")])


def webhook_secret(subscription: WebhookSubscription) -> str:
    """Decrypt the subscription's signing secret, or raise ``WebhookSecretUnreadable``."""
    try:
        plaintext = unseal(
            subscription.secret_encrypted,
            associated_data=secret_associated_data(
                agency_key=subscription.agency.key, public_id=subscription.public_id
            ),
        )
    except SealedDataUnreadable as exc:
        raise WebhookSecretUnreadable(details={"reason": exc.reason}) from exc
    return plaintext.decode("utf-8")


def _validated_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (reading it checks it: a port past 65535 raises)
    except ValueError as exc:
        # An unclosed IPv6 bracket, a port out of range: not a usable URL (and not a crash).
        raise WebhookUrlInvalid(details={"url": url}) from exc
    if parts.scheme != "https" and not (settings.HUB_WEBHOOK_ALLOW_HTTP and parts.scheme == "http"):
        raise WebhookUrlNotHttps(details={"scheme": parts.scheme})
    # Credentials in a URL end up in logs and in the admin; the signature authenticates us.
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlHasCredentials()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise WebhookUrlInvalid(details={"url": url}) from exc
    if parts.fragment:
        raise WebhookUrlInvalid(details={"url": url, "reason": "fragment"})
    public_address_check(url)
    return url


def _validated_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))  # de-duplicated, in the caller's order
    unknown = [event for event in chosen if event not in WebhookEvent.values]
    if not chosen or unknown:
        raise WebhookEventsInvalid(details={"unknown": unknown, "known": WebhookEvent.values})
    return chosen


def webhook_subscribe(
    *, agency: Agency, url: str, events: Iterable[str], actor: Actor
) -> NewWebhookSubscription:
    """Subscribe a URL of the agency's system to events; return the secret, this once only."""
    url = _validated_url(url)
    chosen = _validated_events(events)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    public_id = uuid.uuid4()
    with transaction.atomic(durable=True):
        audit_chain_lock()
        subscription = WebhookSubscription.objects.create(
            public_id=public_id,
            agency=agency,
            url=url,
            events=chosen,
            secret_encrypted=seal(
                secret.encode("utf-8"),
                associated_data=secret_associated_data(agency_key=agency.key, public_id=public_id),
            ),
            created_by=actor_label_for(actor),
        )
        audit_record(
            action="exchange.webhook.subscribed",
            actor=actor,
            agency=agency,
            target=subscription,
            # Never the secret: the audit trail is read by auditors, who must not sign as us.
            after={"subscription": str(public_id), "url": url, "events": chosen},
        )
    return NewWebhookSubscription(subscription=subscription, secret=secret)


def webhook_unsubscribe(*, subscription: WebhookSubscription, actor: Actor) -> WebhookSubscription:
    """Revoke a subscription and give up its queued events; revoking again changes nothing."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        audit_chain_lock()
        locked = (
            WebhookSubscription.objects.select_for_update()
            .select_related("agency")
            .get(pk=subscription.pk)
        )
        if not locked.is_active:
            return locked
        locked.is_active = False
        locked.revoked_at = now
        locked.save(update_fields=["is_active", "revoked_at"])
        # An event already being sent finishes; the attempt checks the subscription otherwise.
        dropped = WebhookDelivery.objects.filter(
            subscription=locked, status=WebhookDeliveryStatus.QUEUED
        ).update(
            status=WebhookDeliveryStatus.FAILED,
            last_error_code="webhook.subscription_revoked",
            lease_expires_at=None,
        )
        audit_record(
            action="exchange.webhook.unsubscribed",
            actor=actor,
            agency=locked.agency,
            target=locked,
            before={"is_active": True},
            after={"is_active": False, "queued_events_dropped": dropped},
        )
    return locked


def webhook_emit(
    *, agency: Agency, event: WebhookEvent, payload: Mapping[str, Any]
) -> list[WebhookDelivery]:
    """Queue an event for each of the agency's active subscriptions to it, in the caller's
    transaction (the change it reports); kick a worker for each after commit.

    No audit row of its own: the change that caused the event is audited in the same
    transaction, and each delivery's outcome is kept as attempts.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("webhook_emit must run inside the transaction of the change it reports.")
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(agency=agency, is_active=True).only(
            "pk", "events"
        )
        # In Python: SQLite cannot query inside JSON lists, and an agency has few subscriptions.
        if event.value in subscription.events
    ]
    now = timezone.now()
    deliveries = []
    for subscription in subscriptions:
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event_type=event.value,
            payload=dict(payload),
            next_attempt_at=now,
            expires_at=now + _ttl(),
            created_at=now,
        )
        kick_after_commit(delivery.pk)
        deliveries.append(delivery)
    return deliveries


def kick_after_commit(delivery_id: int) -> None:
    """Nothing leaves the process before commit: a worker must find the row it is kicked for."""
    from exchange.tasks import webhook_deliver

    transaction.on_commit(lambda: webhook_deliver.delay(delivery_id))


def webhook_body(delivery: WebhookDelivery) -> bytes:
    """Serialise an event the same way on every attempt (the signature covers these bytes)."""
    subscription = delivery.subscription
    document = {
        "id": str(delivery.event_id),
        "type": delivery.event_type,
        "created_at": delivery.created_at.isoformat(),
        "agency": subscription.agency.key,
        "data": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _claim(delivery_id: int, now: datetime.datetime) -> bool:
    """Take the delivery if it is due, or its previous holder's lease ran out."""
    # Imported here: the outbox reports its own changes through this package (a cycle).
    from exchange.services.outbox import delivery_lease

    due = Q(status=WebhookDeliveryStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=WebhookDeliveryStatus.SENDING, lease_expires_at__lte=now
    )
    return (
        WebhookDelivery.objects.filter(due, pk=delivery_id).update(
            status=WebhookDeliveryStatus.SENDING, lease_expires_at=now + delivery_lease()
        )
        == 1
    )


@dataclass(frozen=True)
class _Outcome:
    error_code: str = ""
    permanent: bool = False
    http_status: int | None = None
    excerpt: str = ""

    @property
    def succeeded(self) -> bool:
        return not self.error_code


def _post(url: str, body: bytes, headers: dict[str, str]) -> _Outcome:
    timeout = httpx.Timeout(READ_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
    try:
        public_address_check(url)  # again: where a name points can change after subscribing
    except WebhookUrlNotPublic as error:
        return _Outcome(error_code=error.code, excerpt=str(error.details))
    try:
        # No redirects: a 3xx could hand the event (and its signature) to a URL nobody chose.
        with httpx.stream(
            "POST",
            url,
            content=body,
            headers=headers,
            timeout=timeout,
            follow_redirects=False,
            verify=settings.HUB_PUSH_VERIFY_TLS,
        ) as response:
            excerpt = _excerpt(response)
    except httpx.TimeoutException:
        return _Outcome(error_code="webhook.timeout")
    except httpx.InvalidURL as exc:
        # Validated when subscribing; a URL httpx still cannot use will not improve with time.
        return _Outcome(error_code="webhook.url_invalid", permanent=True, excerpt=str(exc))
    except httpx.TransportError as exc:
        return _Outcome(error_code="webhook.unreachable", excerpt=str(exc)[:EXCERPT_BYTES])
    status = response.status_code
    if 200 <= status < 300:
        return _Outcome(http_status=status, excerpt=excerpt)
    # 408 and 429 say "not now"; any other 4xx says the receiver will never take this request.
    if 400 <= status < 500 and status not in (408, 429):
        return _Outcome(
            error_code=f"webhook.refused_{status}",
            permanent=True,
            http_status=status,
            excerpt=excerpt,
        )
    return _Outcome(error_code=f"webhook.http_{status}", http_status=status, excerpt=excerpt)


def _excerpt(response: httpx.Response) -> str:
    # Raw bytes, never decompressed: a small gzip answer could otherwise inflate to megabytes
    # in one chunk (and "Accept-Encoding: identity" asks for none anyway).
    data = b""
    for chunk in response.iter_raw():
        data += chunk
        if len(data) >= EXCERPT_BYTES:
            break
    return data[:EXCERPT_BYTES].decode("utf-8", errors="replace")


def webhook_delivery_attempt(*, delivery_id: int) -> str:
    """POST one event to its subscription; return what happened, in a word (for task logs)."""
    from exchange.services.outbox import backoff  # a cycle, as in _claim

    now = timezone.now()
    if not _claim(delivery_id, now):
        return "not-due"
    delivery = WebhookDelivery.objects.select_related("subscription__agency").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active:
        return _give_up(delivery, error_code="webhook.subscription_revoked")
    if now >= delivery.expires_at:
        return _give_up(delivery, error_code="webhook.expired")
    body = webhook_body(delivery)
    attempt = WebhookAttempt.objects.create(delivery=delivery)
    started = time.monotonic()
    try:
        secret = webhook_secret(subscription)
    except WebhookSecretUnreadable as error:
        # A master key being rotated: worth trying again once every process has the new one.
        outcome = _Outcome(error_code=error.code, excerpt=str(error.details))
    else:
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "SarabanExchangeHub-Webhooks/1",
            "Accept-Encoding": "identity",
            EVENT_HEADER: delivery.event_type,
            DELIVERY_HEADER: str(delivery.event_id),
            SIGNATURE_HEADER: webhook_signature(secret, body, timestamp=timestamp),
        }
        outcome = _post(subscription.url, body, headers)
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.succeeded = outcome.succeeded
    attempt.http_status = outcome.http_status
    attempt.error_code = outcome.error_code
    attempt.permanent = outcome.permanent
    attempt.response_excerpt = outcome.excerpt
    attempt.save()
    if outcome.succeeded:
        return _delivered(delivery)
    if outcome.permanent:
        return _give_up(delivery, error_code=outcome.error_code, attempted=True)
    retry_at = timezone.now() + backoff(delivery.attempt_count + 1)
    if retry_at >= delivery.expires_at:
        return _give_up(delivery, error_code="webhook.expired", attempted=True)
    return _retry_later(delivery, error_code=outcome.error_code, retry_at=retry_at)


def _delivered(delivery: WebhookDelivery) -> str:
    now = timezone.now()
    moved = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDeliveryStatus.SENDING
    ).update(
        status=WebhookDeliveryStatus.DELIVERED,
        attempt_count=F("attempt_count") + 1,
        delivered_at=now,
        lease_expires_at=None,
        last_error_code="",
    )
    return "delivered" if moved else "superseded"


def _retry_later(delivery: WebhookDelivery, *, error_code: str, retry_at: datetime.datetime) -> str:
    moved = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDeliveryStatus.SENDING
    ).update(
        status=WebhookDeliveryStatus.QUEUED,
        attempt_count=F("attempt_count") + 1,
        next_attempt_at=retry_at,
        lease_expires_at=None,
        last_error_code=error_code,
    )
    return "retry" if moved else "superseded"


def _give_up(delivery: WebhookDelivery, *, error_code: str, attempted: bool = False) -> str:
    """Stop trying; audited, because the agency's system missed an event it asked for."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        moved = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDeliveryStatus.SENDING
        ).update(
            status=WebhookDeliveryStatus.FAILED,
            attempt_count=F("attempt_count") + (1 if attempted else 0),
            lease_expires_at=None,
            last_error_code=error_code,
        )
        if moved:
            audit_record(
                action="exchange.webhook.failed",
                actor=SYSTEM_ACTOR,
                agency=delivery.subscription.agency,
                target=delivery,
                before={"status": WebhookDeliveryStatus.SENDING},
                after={
                    "status": WebhookDeliveryStatus.FAILED,
                    "error": error_code,
                    "event": str(delivery.event_id),
                },
            )
    return "failed" if moved else "superseded"


def webhooks_sweep(*, limit: int = 200) -> int:
    """Re-kick webhook deliveries that are due or whose lease expired; return how many.

    SKIP LOCKED lets several sweepers (or a sweeper and a busy worker) run without waiting on
    each other; a delivery kicked twice is claimed once.
    """
    now = timezone.now()
    due = Q(status=WebhookDeliveryStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=WebhookDeliveryStatus.SENDING, lease_expires_at__lte=now
    )
    with transaction.atomic(durable=True):
        audit_chain_lock()
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        for delivery_id in ids:
            kick_after_commit(delivery_id)
    return len(ids)


def webhook_redrive(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Send a failed event again, same event id (the receiver de-duplicates), for a fresh TTL."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        audit_chain_lock()
        locked = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription__agency")
            .get(pk=delivery.pk)
        )
        if locked.status != WebhookDeliveryStatus.FAILED or not locked.subscription.is_active:
            raise WebhookNotRedrivable(
                details={
                    "status": locked.status,
                    "subscription_active": locked.subscription.is_active,
                }
            )
        WebhookDelivery.objects.filter(pk=locked.pk).update(
            status=WebhookDeliveryStatus.QUEUED,
            next_attempt_at=now,
            expires_at=now + _ttl(),
            lease_expires_at=None,
        )
        audit_record(
            action="exchange.webhook.redriven",
            actor=actor,
            agency=locked.subscription.agency,
            target=locked,
            before={"status": WebhookDeliveryStatus.FAILED, "error": locked.last_error_code},
            after={"status": WebhookDeliveryStatus.QUEUED, "event": str(locked.event_id)},
        )
        kick_after_commit(locked.pk)
    locked.refresh_from_db()
    return locked


def webhook_secrets_reencrypt(*, old_master_key: bytes, new_master_key: bytes, actor: Actor) -> int:
    """Re-encrypt every webhook secret under a new master key, all or nothing (the companion
    of ``signing_keys_reencrypt`` in docs/pki.md's rotation). Secrets already under the new
    key are skipped, so it can be run again; return how many were re-encrypted."""
    changed: list[int] = []
    with transaction.atomic(durable=True):
        audit_chain_lock()
        rows = (
            WebhookSubscription.objects.select_for_update().select_related("agency").order_by("pk")
        )
        for row in rows:
            if encrypted_under(row.secret_encrypted, master_key=new_master_key):
                continue
            binding = secret_associated_data(agency_key=row.agency.key, public_id=row.public_id)
            try:
                plaintext = unseal(
                    row.secret_encrypted, associated_data=binding, master_key=old_master_key
                )
            except SealedDataUnreadable as exc:
                raise WebhookSecretUnreadable(
                    details={"subscription": str(row.public_id), "reason": exc.reason}
                ) from exc
            row.secret_encrypted = seal(
                plaintext, associated_data=binding, master_key=new_master_key
            )
            row.save(update_fields=["secret_encrypted"])
            changed.append(row.pk)
        if changed:
            audit_record(
                action="exchange.webhook.secrets_reencrypted",
                actor=actor,
                after={"subscriptions": changed},
            )
    return len(changed)
