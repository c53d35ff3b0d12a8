"""Reads of the outbox, the pull queue and what arrived, each scoped to one agency."""

from __future__ import annotations

import datetime
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from agencies.models import Agency, DeliveryMode
from audit.models import AuditEvent
from letters.models import Letter
from letters.selectors import outbox_letters

from .envelope import MessageType
from .models import BreakGlassAccess, Delivery, DeliveryStatus, InboundEnvelope

# States in which nothing more will happen without a person (or a redrive).
FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.REGISTERED,
        DeliveryStatus.REJECTED,
        DeliveryStatus.WRONG_RECIPIENT,
        DeliveryStatus.FAILED,
        DeliveryStatus.EXPIRED,
        DeliveryStatus.WITHDRAWN,
    }
)
FAILURE_STATUSES = frozenset({DeliveryStatus.FAILED, DeliveryStatus.EXPIRED})


@dataclass(frozen=True)
class SendingProgress:
    """How far a letter (a circular to hundreds of agencies, say) has got."""

    total: int
    done: int
    failed: int
    by_status: dict[str, int]

    @property
    def complete(self) -> bool:
        return self.done == self.total


def letter_deliveries(*, letter: Letter) -> QuerySet[Delivery]:
    """Return the per-recipient deliveries of an outgoing letter, recipient by recipient."""
    return (
        Delivery.objects.filter(letter=letter, message_type="letter", sender=letter.agency)
        .select_related("recipient")
        .order_by("recipient__name_th")
    )


def letter_sending_progress(*, letter: Letter) -> SendingProgress:
    """Count the letter's deliveries by state in one query; cheap enough to poll."""
    counts = Counter(letter_deliveries(letter=letter).values_list("status", flat=True))
    return SendingProgress(
        total=sum(counts.values()),
        done=sum(n for status, n in counts.items() if status in FINAL_STATUSES),
        failed=sum(n for status, n in counts.items() if status in FAILURE_STATUSES),
        by_status=dict(counts),
    )


def inbound_envelope_of_letter(*, letter: Letter) -> InboundEnvelope | None:
    """Return the envelope an incoming letter arrived in (bytes and verification evidence).

    None for a copy that did not come through the exchange (none does today, but a letter
    typed in from paper would not have one).
    """
    return InboundEnvelope.objects.filter(letter=letter, recipient=letter.agency).first()


def acknowledgements_of_letter(*, letter: Letter) -> QuerySet[Delivery]:
    """Return what the letter's holder sent back about it (registration, rejection, …), oldest
    first: the signed notices on their way to the sender, with their delivery state."""
    return (
        Delivery.objects.filter(letter=letter, sender=letter.agency)
        .exclude(message_type=MessageType.LETTER.value)
        .order_by("created_at", "id")
    )


def pull_item(*, agency: Agency, message_id: uuid.UUID | str) -> Delivery | None:
    """Return an item of a pull-mode agency's queue by message id (fetched or not, acknowledged
    or not); another agency's item, or any item for an agency not in pull mode, is not found."""
    if agency.delivery_mode != DeliveryMode.PULL:
        return None
    try:
        wanted = uuid.UUID(str(message_id))
    except ValueError:
        return None
    return (
        Delivery.objects.filter(recipient=agency, message_id=wanted)
        .select_related("sender", "recipient", "letter")
        .first()
    )


def delivery_of_agency(*, agency: Agency, delivery_id: int) -> Delivery | None:
    """Return a delivery the agency sent (a letter copy or an acknowledgement).

    A delivery another agency sent, including one addressed to this agency, is not found.
    """
    return (
        Delivery.objects.filter(sender=agency, pk=delivery_id)
        .select_related("sender", "recipient", "letter")
        .prefetch_related("attempts")
        .first()
    )


def outbox_with_deliveries(*, agency: Agency) -> QuerySet[Letter]:
    """Return the agency's outgoing letters, each with its letter copies as ``copies``.

    Two queries per page whatever the number of recipients: the letters, then their copies.
    """
    copies = (
        Delivery.objects.filter(sender=agency, message_type=MessageType.LETTER.value)
        .select_related("recipient")
        .order_by("created_at", "id")
    )
    return outbox_letters(agency=agency).prefetch_related(
        Prefetch("deliveries", queryset=copies, to_attr="copies")
    )


def letter_deliveries_with_attempts(*, letter: Letter) -> QuerySet[Delivery]:
    """Return the letter's copies, one per recipient (a resent one after its withdrawn one),
    each with its attempts."""
    return (
        Delivery.objects.filter(
            letter=letter, message_type=MessageType.LETTER.value, sender=letter.agency
        )
        .select_related("recipient", "letter")
        .prefetch_related("attempts")
        .order_by("recipient__name_th", "created_at", "id")
    )


@dataclass(frozen=True)
class AcknowledgementRecord:
    """One step of the acknowledgement ladder of a delivery, as the hub recorded it."""

    message_type: str  # receipt, registration, rejection, wrong-recipient, withdrawal, …
    # "recipient": the recipient acknowledged; "sender": the sending agency told the recipient.
    sent_by: str
    recorded_at: datetime.datetime
    # The acknowledgement's own message id where the record names it (received ones).
    message_id: str | None
    receive_number: str
    reason: str


_ACKNOWLEDGEMENT_ACTIONS = {
    "exchange.delivery.delivered": (MessageType.RECEIPT, "recipient"),
    "exchange.delivery.registered": (MessageType.REGISTRATION, "recipient"),
    "exchange.delivery.rejected": (MessageType.REJECTION, "recipient"),
    "exchange.delivery.wrong_recipient": (MessageType.WRONG_RECIPIENT, "recipient"),
    "exchange.delivery.withdrawn": (MessageType.WITHDRAWAL, "sender"),
    "exchange.delivery.receive_number_disputed": (MessageType.RECEIVE_NUMBER_DISPUTE, "sender"),
}


def delivery_acknowledgements(
    *, deliveries: Iterable[Delivery]
) -> dict[int, list[AcknowledgementRecord]]:
    """Return each delivery's acknowledgements, oldest first, in one query for all of them.

    Only rows recorded for the sending agency count: the sender's trail of its own delivery.
    """
    senders = {delivery.pk: delivery.sender_id for delivery in deliveries}
    found: dict[int, list[AcknowledgementRecord]] = defaultdict(list)
    if not senders:
        return found
    events = AuditEvent.objects.filter(
        target_type=Delivery._meta.label_lower,
        target_id__in=[str(pk) for pk in senders],
        action__in=list(_ACKNOWLEDGEMENT_ACTIONS),
    ).order_by("sequence")
    for event in events:
        delivery_id = int(event.target_id)
        if event.agency_id != senders[delivery_id]:
            continue
        message_type, sent_by = _ACKNOWLEDGEMENT_ACTIONS[event.action]
        after = event.after or {}
        message_id = after.get("receipt") or after.get("acknowledgement") or None
        found[delivery_id].append(
            AcknowledgementRecord(
                message_type=message_type.value,
                sent_by=sent_by,
                recorded_at=event.occurred_at,
                message_id=str(message_id) if message_id else None,
                receive_number=str(after.get("receive_number") or ""),
                reason=str(after.get("reason") or ""),
            )
        )
    return found


def break_glass_accesses_of_agency(*, agency: Agency) -> QuerySet[BreakGlassAccess]:
    """Return every break-glass opening of the agency's secret letters, newest first: what the
    agency is shown so that no administrator's access goes unnoticed."""
    return (
        BreakGlassAccess.objects.filter(agency=agency)
        .select_related("letter", "opened_by")
        .order_by("-opened_at", "-id")
    )


def break_glass_accesses_of_letter(*, letter: Letter) -> QuerySet[BreakGlassAccess]:
    """Return the break-glass openings of one letter of its holder, newest first."""
    return break_glass_accesses_of_agency(agency=letter.agency).filter(letter=letter)
