"""The pull queue: an agency's own system fetches what is addressed to it, then acknowledges.

At-least-once, like the national e-CMS pull/dequeue: a fetched item stays leased to the
fetcher until its signed receipt comes back; if none does before the lease runs out, the
item is offered again, so the receiving system must de-duplicate by message id.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency
from audit.services import Actor, audit_record
from exchange.errors import UnknownAcknowledgedMessage
from exchange.models import Delivery, DeliveryStatus

from .acknowledgements import mark_delivered_in_transaction, receipt_check
from .outbox import delivery_lease
from .relay import is_relayed, relay_receipt_forward


def pull_fetch(*, agency: Agency, limit: int = 10, actor: Actor) -> list[Delivery]:
    """Lease the agency's next items, oldest first; a repeat call skips what is leased."""
    now = timezone.now()
    waiting = Q(status=DeliveryStatus.QUEUED) | Q(
        status=DeliveryStatus.SENDING, lease_expires_at__lte=now
    )
    with transaction.atomic(durable=True):
        items = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(waiting, recipient=agency, expires_at__gt=now)
            .order_by("created_at", "id")[:limit]
        )
        for item in items:
            item.status = DeliveryStatus.SENDING
            item.lease_expires_at = now + delivery_lease()
            item.save(update_fields=["status", "lease_expires_at", "updated_at"])
        if items:
            audit_record(
                action="exchange.pull.fetched",
                actor=actor,
                agency=agency,
                after={"message_ids": [str(item.message_id) for item in items]},
            )
    return items


def pull_acknowledge(*, agency: Agency, message_id: str, receipt: bytes, actor: Actor) -> Delivery:
    """Dequeue an item with the agency's signed receipt for its exact bytes.

    For an item relayed from a peer hub the receipt goes on to the sender, in the same
    transaction as the dequeue: acknowledged here means on its way back there.
    """
    delivery = (
        Delivery.objects.select_related("sender", "recipient", "letter")
        .filter(recipient=agency, message_id=message_id)
        .first()
    )
    if delivery is None:
        raise UnknownAcknowledgedMessage(details={"message_id": message_id})
    verified = receipt_check(delivery=delivery, receipt=receipt)
    with transaction.atomic(durable=True):
        if mark_delivered_in_transaction(delivery, receipt, verified):
            audit_record(
                action="exchange.pull.acknowledged",
                actor=actor,
                agency=agency,
                target=delivery,
                after={"message_id": message_id},
            )
            if is_relayed(delivery):
                relay_receipt_forward(delivery=delivery, receipt=receipt, verified=verified)
    delivery.refresh_from_db()
    return delivery
