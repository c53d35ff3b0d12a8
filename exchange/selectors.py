"""Reads of the outbox, the pull queue and what arrived, each scoped to one agency."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet

from agencies.models import Agency, DeliveryMode
from letters.models import Letter

from .envelope.types import MessageType
from .models import Delivery, DeliveryStatus, InboundEnvelope

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
