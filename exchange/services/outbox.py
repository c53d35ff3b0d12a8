"""The outbox: queue signed envelopes, try them, back off, give up, redrive.

Every state change is a guarded UPDATE (status and lease in the WHERE clause) whose row count
says whether this worker won; a redelivered Celery task therefore becomes a no-op. Long
back-off lives in ``next_attempt_at``, never in a Celery countdown, and the sweeper re-kicks
anything due or whose lease expired, so an emptied Redis or a killed worker loses nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import random
import time
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency, DeliveryMode
from audit.services import Actor, audit_chain_lock, audit_record
from exchange.errors import NotRedrivable
from exchange.models import Delivery, DeliveryAttempt, DeliveryStatus
from exchange.transports import TransportError, transport_for
from exchange.webhooks.events import webhook_delivery_status_changed

SYSTEM_ACTOR = "system:outbox"

# Give up on a recipient after this long, by urgency (ชั้นความเร็ว): the most urgent letters
# must reach a clerk who can still act on them, or the sender must hear that they did not.
TIME_TO_LIVE = {
    "004": datetime.timedelta(hours=4),  # ด่วนที่สุด
    "003": datetime.timedelta(hours=24),  # ด่วนมาก
    "002": datetime.timedelta(days=3),  # ด่วน
    "001": datetime.timedelta(days=7),  # ปกติ
}
ACKNOWLEDGEMENT_TIME_TO_LIVE = datetime.timedelta(days=7)
BACKOFF_BASE_SECONDS = 5.0
EXCERPT_CHARS = 2000
# Circuit breaker: after this many transient failures in a row towards one recipient, stop
# calling it for a while (HUB_BREAKER_COOLDOWN_SECONDS); its other deliveries wait in the
# database instead of each waiting for a timeout.
BREAKER_FAILURES = 5


def delivery_lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.HUB_DELIVERY_LEASE_SECONDS)


def _breaker_cooldown() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.HUB_BREAKER_COOLDOWN_SECONDS)


def backoff(attempt: int) -> datetime.timedelta:
    """Exponential back-off with "equal jitter": half fixed, half random, capped (an hour)."""
    cap = float(settings.HUB_BACKOFF_CAP_SECONDS)
    ceiling = min(cap, BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0))
    return datetime.timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def delivery_enqueue(
    *,
    message_type: str,
    sender: Agency,
    recipient: Agency,
    letter_id: int,
    envelope: bytes,
    message_id: str,
    time_to_live: datetime.timedelta,
    actor: Actor,
) -> Delivery:
    """Queue one signed envelope, in the caller's transaction; kick a worker after commit."""
    now = timezone.now()
    delivery = Delivery.objects.create(
        message_id=uuid.UUID(message_id),
        message_type=message_type,
        sender=sender,
        recipient=recipient,
        letter_id=letter_id,
        envelope=envelope,
        envelope_sha256=hashlib.sha256(envelope).hexdigest(),
        next_attempt_at=now,
        expires_at=now + time_to_live,
    )
    audit_record(
        action="exchange.delivery.queued",
        actor=actor,
        agency=sender,
        target=delivery,
        after={"message_type": message_type, "to": recipient.key, "message_id": message_id},
    )
    kick_after_commit(delivery.pk)
    return delivery


def kick_after_commit(delivery_id: int) -> None:
    """Nothing leaves the process before commit: a worker must find the row it is kicked for."""
    from exchange.tasks import deliver

    transaction.on_commit(lambda: deliver.delay(delivery_id))


def _claim(delivery_id: int, now: datetime.datetime) -> bool:
    """Take the delivery if it is due, or its previous holder's lease ran out."""
    due = Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_expires_at__lte=now
    )
    return (
        Delivery.objects.filter(due, pk=delivery_id).update(
            status=DeliveryStatus.SENDING, lease_expires_at=now + delivery_lease(), updated_at=now
        )
        == 1
    )


def delivery_attempt(*, delivery_id: int) -> str:
    """Try to hand one envelope over; return what happened, in a word (for task logs)."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return "not-due"
    delivery = Delivery.objects.select_related("sender", "recipient", "letter").get(pk=delivery_id)
    if now >= delivery.expires_at:
        return delivery_finish(delivery, DeliveryStatus.EXPIRED, error_code="exchange.expired")
    if delivery.recipient.delivery_mode == DeliveryMode.PULL:
        # The recipient's own system fetches it (services/pull.py); nothing to push. Parked
        # until it expires, so the sender is told if it is never fetched.
        from .pull import pull_park

        return pull_park(delivery)
    open_until = breaker_open_until(delivery.recipient, now=now)
    if open_until is not None:
        return _postpone(delivery, until=open_until)
    transport = transport_for(delivery.recipient)
    attempt = DeliveryAttempt.objects.create(delivery=delivery, transport=transport.name)
    started = time.monotonic()
    try:
        outcome = transport.deliver(delivery)
    except TransportError as error:
        return _failed(delivery, attempt, error, started)
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.succeeded = True
    attempt.http_status = outcome.http_status
    attempt.save(update_fields=["duration_ms", "succeeded", "http_status"])
    if outcome.relayed:
        return _await_relayed_receipt(delivery)
    from .acknowledgements import receipt_accept

    return receipt_accept(delivery=delivery, receipt=outcome.receipt)


def breaker_open_until(recipient: Agency, *, now: datetime.datetime) -> datetime.datetime | None:
    """Return until when calls to this recipient are paused, or None when they may go ahead."""
    recent = list(
        DeliveryAttempt.objects.filter(delivery__recipient=recipient, succeeded__isnull=False)
        .order_by("-started_at", "-id")
        .values_list("succeeded", "permanent", "started_at")[:BREAKER_FAILURES]
    )
    if len(recent) < BREAKER_FAILURES or any(ok or permanent for ok, permanent, _ in recent):
        return None
    until = recent[0][2] + _breaker_cooldown()
    return until if until > now else None


def _postpone(
    delivery: Delivery, *, until: datetime.datetime, outcome: str = "breaker-open"
) -> str:
    """Put a claimed delivery back, untouched, until later (breaker closed, or expiry)."""
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.QUEUED,
        next_attempt_at=until,
        lease_expires_at=None,
        updated_at=timezone.now(),
    )
    return outcome


def _await_relayed_receipt(delivery: Delivery) -> str:
    """The recipient's hub holds the envelope for the recipient's own system: stop pushing and
    wait for the receipt that system signs (it arrives as an envelope of its own). Never
    acknowledged before the time-to-live runs out, the delivery expires and the sender is told.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        audit_chain_lock()
        moved = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.QUEUED,
            attempt_count=delivery.attempt_count + 1,
            next_attempt_at=delivery.expires_at,
            lease_expires_at=None,
            last_error_code="",
            updated_at=now,
        )
        if moved:
            audit_record(
                action="exchange.delivery.relayed",
                actor=SYSTEM_ACTOR,
                agency=delivery.sender,
                target=delivery,
                after={
                    "to": delivery.recipient.key,
                    "awaiting_receipt_until": str(delivery.expires_at),
                },
            )
    return "relayed"


def _failed(
    delivery: Delivery, attempt: DeliveryAttempt, error: TransportError, started: float
) -> str:
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.succeeded = False
    attempt.http_status = error.http_status
    attempt.error_code = error.code
    attempt.permanent = error.permanent
    attempt.response_excerpt = error.excerpt[:EXCERPT_CHARS]
    attempt.save()
    if error.permanent:
        return delivery_finish(delivery, DeliveryStatus.FAILED, error_code=error.code)
    now = timezone.now()
    retry_at = now + backoff(delivery.attempt_count + 1)
    if retry_at >= delivery.expires_at:
        return delivery_finish(delivery, DeliveryStatus.EXPIRED, error_code=error.code)
    with transaction.atomic(durable=True):
        audit_chain_lock()
        moved = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.QUEUED,
            attempt_count=delivery.attempt_count + 1,
            next_attempt_at=retry_at,
            lease_expires_at=None,
            last_error_code=error.code,
            updated_at=now,
        )
        if moved:
            audit_record(
                action="exchange.delivery.retry_scheduled",
                actor=SYSTEM_ACTOR,
                agency=delivery.sender,
                target=delivery,
                after={"error": error.code, "retry_at": retry_at.isoformat()},
            )
    return "retry"


def delivery_finish(delivery: Delivery, status: DeliveryStatus, *, error_code: str) -> str:
    """Stop trying: the sender sees failed or expired with the reason."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        moved = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
            status=status,
            attempt_count=delivery.attempt_count + 1,
            lease_expires_at=None,
            last_error_code=error_code,
            updated_at=timezone.now(),
        )
        if moved:
            audit_record(
                action=f"exchange.delivery.{status}",
                actor=SYSTEM_ACTOR,
                agency=delivery.sender,
                target=delivery,
                before={"status": DeliveryStatus.SENDING},
                after={"status": status, "error": error_code},
            )
            webhook_delivery_status_changed(delivery=delivery, status=status, error_code=error_code)
    return str(status)


def deliveries_sweep(*, limit: int = 200) -> int:
    """Re-kick deliveries that are due or whose lease expired; return how many.

    SKIP LOCKED lets several sweepers (or a sweeper and a busy worker) run without waiting on
    each other; a delivery kicked twice is claimed once.
    """
    now = timezone.now()
    due = Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_expires_at__lte=now
    )
    with transaction.atomic(durable=True):
        audit_chain_lock()
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        for delivery_id in ids:
            kick_after_commit(delivery_id)
    return len(ids)


def delivery_redrive(*, delivery: Delivery, actor: Actor, reason: str = "") -> Delivery:
    """Try a failed or expired delivery again, same envelope and message id, for another TTL."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        audit_chain_lock()
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status not in (DeliveryStatus.FAILED, DeliveryStatus.EXPIRED):
            raise NotRedrivable(details={"status": locked.status})
        before = locked.status
        ttl = locked.expires_at - locked.created_at
        Delivery.objects.filter(pk=locked.pk).update(
            status=DeliveryStatus.QUEUED,
            next_attempt_at=now,
            expires_at=now + ttl,
            lease_expires_at=None,
            updated_at=now,
        )
        audit_record(
            action="exchange.delivery.redriven",
            actor=actor,
            agency=locked.sender,
            target=locked,
            before={"status": before},
            after={"status": DeliveryStatus.QUEUED, **({"reason": reason} if reason else {})},
        )
        kick_after_commit(locked.pk)
    locked.refresh_from_db()
    return locked
