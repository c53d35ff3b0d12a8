"""Reads of the outbox, scoped to the sending agency."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet

from letters.models import Letter

from .models import Delivery, DeliveryStatus

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
