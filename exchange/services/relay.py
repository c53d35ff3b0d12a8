"""Relaying: a peer hub pushes a letter here for an agency whose own system pulls its queue.

This hub holds no signing key for a pull-mode agency, so it cannot answer with that agency's
receipt. Instead it verifies the envelope like any other, keeps the bytes and the attachments
(filed as the agency's copy), parks the very same signed envelope in the agency's pull queue
and answers 202 ("relayed"). When the agency's system acknowledges the item with its signed
receipt, that receipt is forwarded, unchanged, to the sender through the outbox; the sender's
hub checks it like a receipt returned over HTTP (services/acknowledgements.py).
"""

from __future__ import annotations

from agencies.models import Agency, DeliveryMode
from exchange.envelope import MessageType, VerifiedEnvelope
from exchange.mapping import envelope_urgency
from exchange.models import Delivery, InboundEnvelope
from letters.models import Letter

from .outbox import ACKNOWLEDGEMENT_TIME_TO_LIVE, TIME_TO_LIVE, delivery_enqueue

SYSTEM_ACTOR = "system:relay"


def relays_to(recipient: Agency) -> bool:
    """Whether envelopes for this agency are parked for its own system instead of answered."""
    return recipient.delivery_mode == DeliveryMode.PULL


def relay_park(
    *, verified: VerifiedEnvelope, data: bytes, letter: Letter, sender: Agency, recipient: Agency
) -> Delivery:
    """Queue the sender's signed envelope, byte for byte, for the recipient's pull; in the
    caller's transaction. The message id stays the sender's, so the receipt names it.

    ``letter`` is what the envelope is about on this hub: the agency's copy of a letter, or
    the agency's own letter that an acknowledgement answers.
    """
    header = verified.envelope.header
    if header.message_type == MessageType.LETTER:
        urgency = envelope_urgency(verified.envelope)
        time_to_live = TIME_TO_LIVE.get(urgency, TIME_TO_LIVE["001"])
    else:
        time_to_live = ACKNOWLEDGEMENT_TIME_TO_LIVE
    return delivery_enqueue(
        message_type=header.message_type.value,
        sender=sender,
        recipient=recipient,
        letter_id=letter.pk,
        envelope=data,
        message_id=header.message_id,
        time_to_live=time_to_live,
        actor=SYSTEM_ACTOR,
    )


def is_relayed(delivery: Delivery) -> bool:
    """A relayed item is about a letter the recipient holds (its copy, or its own letter that
    an acknowledgement answers), never about one its sender wrote here."""
    return delivery.letter.agency_id == delivery.recipient_id


def relay_receipt_forward(
    *, delivery: Delivery, receipt: bytes, verified: VerifiedEnvelope
) -> Delivery:
    """Send the recipient system's receipt back to the sender, in the caller's transaction.

    The inbound record keeps it too, so the sender posting the same bytes again now gets the
    recipient's receipt (200) instead of another 202.
    """
    InboundEnvelope.objects.filter(
        sender=delivery.sender, message_id=delivery.message_id, receipt=b""
    ).update(receipt=receipt)
    return delivery_enqueue(
        message_type=MessageType.RECEIPT.value,
        sender=delivery.recipient,
        recipient=delivery.sender,
        letter_id=delivery.letter_id,
        envelope=receipt,
        message_id=verified.envelope.header.message_id,
        time_to_live=ACKNOWLEDGEMENT_TIME_TO_LIVE,
        actor=SYSTEM_ACTOR,
    )
