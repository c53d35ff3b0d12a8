"""The pull queue: an agency's own system fetches what is addressed to it, then acknowledges.

At-least-once, like the national e-CMS pull/dequeue: a fetched item stays leased to the
fetcher until its signed receipt comes back; if none does before the lease runs out, the
item is offered again, so the receiving system must de-duplicate by message id.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency, DeliveryMode
from audit.services import Actor, audit_chain_lock, audit_record
from config.errors import HubError
from exchange.directory import DatabaseDirectory
from exchange.envelope import ACKNOWLEDGEMENT_TYPES, MessageType, envelope_verify
from exchange.errors import NotPullMode, UnknownAcknowledgedMessage
from exchange.models import Delivery, DeliveryStatus
from exchange.policy import verification_policy

from .acknowledgements import (
    acknowledgement_apply,
    mark_delivered_in_transaction,
    receipt_check,
)
from .outbox import delivery_finish, delivery_lease
from .relay import is_relayed, relay_receipt_forward

_APPLIED_ON_PARKING = frozenset(t.value for t in ACKNOWLEDGEMENT_TYPES if t != MessageType.RECEIPT)


def pull_park(delivery: Delivery) -> str:
    """Park a claimed delivery for its pull-mode recipient until it is fetched or expires.

    The recipient is served by this hub, so an acknowledgement for it (a registration of a
    letter its system sent, a withdrawal of a copy it holds) also moves the recipient's records
    here at once, as the inbound endpoint would: its system then reads the same state through
    the API as from its queue. Done in the parking transaction, on the first claim only.
    """
    # Relayed items were applied when they arrived; only what this hub signed is applied here.
    apply = (
        delivery.attempt_count == 0
        and delivery.message_type in _APPLIED_ON_PARKING
        and not is_relayed(delivery)
    )
    try:
        with transaction.atomic(durable=True):
            audit_chain_lock()
            moved = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
                status=DeliveryStatus.QUEUED,
                attempt_count=max(delivery.attempt_count, 1),
                next_attempt_at=delivery.expires_at,
                lease_expires_at=None,
                updated_at=timezone.now(),
            )
            if moved and apply:
                verified = envelope_verify(
                    bytes(delivery.envelope),
                    directory=DatabaseDirectory(served_keys=frozenset({delivery.recipient.key})),
                    now=timezone.now(),
                    policy=verification_policy(),
                )
                acknowledgement_apply(
                    verified=verified,
                    sender=delivery.sender,
                    recipient=delivery.recipient,
                    now=timezone.now(),
                )
    except HubError as error:
        # Refused as the inbound endpoint would refuse it: nothing to fetch, the sender is told.
        return delivery_finish(delivery, DeliveryStatus.FAILED, error_code=error.code)
    return "awaiting-pull"


def pull_fetch(*, agency: Agency, limit: int = 10, actor: Actor) -> list[Delivery]:
    """Lease the agency's next items, oldest first; a repeat call skips what is leased.

    Only for a pull-mode agency: anyone else's queued deliveries belong to the outbox, and
    leasing them here would hold back their in-process or pushed delivery.
    """
    if agency.delivery_mode != DeliveryMode.PULL:
        raise NotPullMode(details={"delivery_mode": agency.delivery_mode})
    now = timezone.now()
    waiting = Q(status=DeliveryStatus.QUEUED) | Q(
        status=DeliveryStatus.SENDING, lease_expires_at__lte=now
    )
    with transaction.atomic(durable=True):
        audit_chain_lock()
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
    if agency.delivery_mode != DeliveryMode.PULL:
        # The outbox delivers this agency's items itself; a receipt here would cut it short.
        raise NotPullMode(details={"delivery_mode": agency.delivery_mode})
    delivery = (
        Delivery.objects.select_related("sender", "recipient", "letter")
        .filter(recipient=agency, message_id=message_id)
        .first()
    )
    if delivery is None:
        raise UnknownAcknowledgedMessage(details={"message_id": message_id})
    verified = receipt_check(delivery=delivery, receipt=receipt)
    with transaction.atomic(durable=True):
        audit_chain_lock()
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
