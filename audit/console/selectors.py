"""Reads behind the console pages: filtered events, a letter's timeline, delivery health."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from agencies.models import Agency, AgencyCertificate, TrustAnchor
from audit.models import AuditEvent
from exchange.models import Delivery, DeliveryAttempt, DeliveryStatus, InboundEnvelope
from exchange.services.outbox import breaker_open_until
from letters.models import Letter

EXPIRY_WARNING = datetime.timedelta(days=30)
PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
GIVEN_UP = (DeliveryStatus.FAILED, DeliveryStatus.EXPIRED)


@dataclass(frozen=True)
class EventFilter:
    agency: Agency | None = None
    actor: str = ""
    action: str = ""
    letter_id: int | None = None
    day_from: datetime.date | None = None
    day_to: datetime.date | None = None  # included


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def letter_targets(letter: Letter) -> Q:
    """Events about the letter, any of its deliveries and the envelopes that brought it."""
    deliveries = [
        str(pk) for pk in Delivery.objects.filter(letter=letter).values_list("pk", flat=True)
    ]
    inbound = [
        str(pk) for pk in InboundEnvelope.objects.filter(letter=letter).values_list("pk", flat=True)
    ]
    return (
        Q(target_type="letters.letter", target_id=str(letter.pk))
        | Q(target_type="exchange.delivery", target_id__in=deliveries)
        | Q(target_type="exchange.inboundenvelope", target_id__in=inbound)
    )


def console_events(where: EventFilter) -> QuerySet[AuditEvent]:
    """Audit events, newest first, narrowed by the console's filters."""
    events = AuditEvent.objects.select_related("agency", "actor_user").order_by("-sequence")
    if where.agency is not None:
        events = events.filter(agency=where.agency)
    if where.actor:
        events = events.filter(actor_label__icontains=where.actor)
    if where.action:
        events = events.filter(action__startswith=where.action)
    if where.letter_id is not None:
        letter = Letter.objects.filter(pk=where.letter_id).first()
        events = events.filter(letter_targets(letter)) if letter else events.none()
    if where.day_from is not None:
        events = events.filter(occurred_at__gte=_midnight(where.day_from))
    if where.day_to is not None:
        events = events.filter(occurred_at__lt=_midnight(where.day_to + datetime.timedelta(days=1)))
    return events


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    kind: str  # "audit", "attempt", "envelope"
    title: str
    detail: str


def letter_timeline(letter: Letter) -> list[TimelineEntry]:
    """Everything this hub knows about a letter, oldest first: audit events, delivery
    attempts, and the envelopes that arrived about it (both sides known here)."""
    entries = [
        TimelineEntry(
            event.occurred_at,
            "audit",
            event.action,
            f"{event.actor_label} · #{event.sequence} · {event.after or ''}",
        )
        for event in AuditEvent.objects.filter(letter_targets(letter)).order_by("sequence")
    ]
    deliveries = list(Delivery.objects.filter(letter=letter).select_related("recipient"))
    for attempt in DeliveryAttempt.objects.filter(delivery__in=deliveries).select_related(
        "delivery__recipient"
    ):
        outcome = "ok" if attempt.succeeded else attempt.error_code or "…"
        entries.append(
            TimelineEntry(
                attempt.started_at,
                "attempt",
                f"{attempt.transport} → {attempt.delivery.recipient.key}",
                f"{attempt.delivery.message_type} · HTTP {attempt.http_status or '-'} · "
                f"{outcome} · {attempt.duration_ms or 0} ms",
            )
        )
    acknowledged = [str(d.message_id) for d in deliveries]
    arrived = InboundEnvelope.objects.filter(Q(letter=letter)).select_related("sender")
    for record in arrived:
        entries.append(
            TimelineEntry(
                record.received_at,
                "envelope",
                f"{record.message_type} from {record.sender.key}",
                f"{record.message_id} · sha256 {record.envelope_sha256[:16]}…",
            )
        )
    for event in AuditEvent.objects.filter(
        target_type="exchange.delivery",
        target_id__in=[str(d.pk) for d in deliveries],
        after__has_key="acknowledgement",
    ):
        message_id = (event.after or {}).get("acknowledgement")
        if not message_id:
            continue
        answer = (
            InboundEnvelope.objects.filter(message_id=message_id).select_related("sender").first()
        )
        if answer is not None and str(answer.message_id) not in acknowledged:
            entries.append(
                TimelineEntry(
                    answer.received_at,
                    "envelope",
                    f"{answer.message_type} from {answer.sender.key}",
                    f"{answer.message_id} · sha256 {answer.envelope_sha256[:16]}…",
                )
            )
    return sorted(entries, key=lambda entry: entry.at)


@dataclass(frozen=True)
class RecipientHealth:
    agency: Agency
    pending: int
    failed: int
    last_error: str
    breaker_open_until: datetime.datetime | None


@dataclass(frozen=True)
class DeliveryHealth:
    due: int
    failing: int  # queued for a retry after an error
    failed: int
    expired: int
    oldest_due: datetime.datetime | None
    recipients: list[RecipientHealth]


def delivery_health(now: datetime.datetime | None = None) -> DeliveryHealth:
    now = now or timezone.now()
    counts = Delivery.objects.aggregate(
        due=Count("id", filter=Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)),
        failing=Count("id", filter=Q(status=DeliveryStatus.QUEUED) & ~Q(last_error_code="")),
        failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
        expired=Count("id", filter=Q(status=DeliveryStatus.EXPIRED)),
        oldest_due=Min(
            "next_attempt_at", filter=Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        ),
    )
    troubled = (
        Delivery.objects.filter(
            Q(status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.FAILED))
            | Q(status=DeliveryStatus.EXPIRED)
        )
        .values("recipient")
        .annotate(
            pending=Count(
                "id", filter=Q(status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING))
            ),
            failed=Count(
                "id", filter=Q(status__in=(DeliveryStatus.FAILED, DeliveryStatus.EXPIRED))
            ),
            last=Max("updated_at"),
        )
        .order_by("-failed", "-pending")[:50]
    )
    agencies = Agency.objects.in_bulk([row["recipient"] for row in troubled])
    recipients = []
    for row in troubled:
        agency = agencies[row["recipient"]]
        last_error = (
            Delivery.objects.filter(recipient=agency)
            .exclude(last_error_code="")
            .order_by("-updated_at")
            .values_list("last_error_code", flat=True)
            .first()
        )
        recipients.append(
            RecipientHealth(
                agency=agency,
                pending=row["pending"],
                failed=row["failed"],
                last_error=last_error or "",
                breaker_open_until=breaker_open_until(agency, now=now),
            )
        )
    return DeliveryHealth(
        due=counts["due"],
        failing=counts["failing"],
        failed=counts["failed"],
        expired=counts["expired"],
        oldest_due=counts["oldest_due"],
        recipients=recipients,
    )


def stuck_deliveries() -> QuerySet[Delivery]:
    """Failed and expired deliveries, newest first: what an operator may redrive."""
    return (
        Delivery.objects.filter(status__in=(DeliveryStatus.FAILED, DeliveryStatus.EXPIRED))
        .select_related("sender", "recipient")
        .order_by("-updated_at")
    )


@dataclass(frozen=True)
class ExpiringCertificate:
    owner: str
    subject: str
    fingerprint: str
    not_after: datetime.datetime
    expired: bool


def expiring_certificates(now: datetime.datetime | None = None) -> list[ExpiringCertificate]:
    """Active agency certificates and trust anchors that expire within 30 days (or have)."""
    now = now or timezone.now()
    horizon = now + EXPIRY_WARNING
    found: list[ExpiringCertificate] = []
    for certificate in AgencyCertificate.objects.filter(
        is_active=True, not_after__lte=horizon
    ).select_related("agency"):
        found.append(
            ExpiringCertificate(
                owner=f"{certificate.agency.name_th} "
                f"({certificate.agency.key}, {certificate.purpose})",
                subject=certificate.subject,
                fingerprint=certificate.fingerprint_sha256,
                not_after=certificate.not_after,
                expired=certificate.not_after <= now,
            )
        )
    for anchor in TrustAnchor.objects.filter(is_active=True, not_after__lte=horizon):
        found.append(
            ExpiringCertificate(
                owner=f"trust anchor: {anchor.name}",
                subject=anchor.subject,
                fingerprint=anchor.fingerprint_sha256,
                not_after=anchor.not_after,
                expired=anchor.not_after <= now,
            )
        )
    return sorted(found, key=lambda item: item.not_after)


def csv_row(e: AuditEvent) -> list[Any]:
    """One event as a row of the console's CSV export (columns: views.CSV_HEADER)."""
    return [
        e.sequence,
        e.occurred_at.isoformat(),
        e.actor_label,
        e.agency.key if e.agency else "",
        e.action,
        e.target_type,
        e.target_id,
        e.request_id,
        e.ip or "",
        e.hash,
    ]
