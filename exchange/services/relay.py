"""Relaying: a peer hub pushes a letter here for an agency whose own system pulls its queue.

This hub holds no signing key for a pull-mode agency, so it cannot answer with that agency's
receipt. Instead it verifies the envelope like any other, keeps the bytes and the attachments
(filed as the agency's copy), parks the very same signed envelope in the agency's pull queue
and answers 202 ("relayed"). When the agency's system acknowledges the item with its signed
receipt, that receipt is forwarded, unchanged, to the sender through the outbox; the sender's
hub checks it like a receipt returned over HTTP (services/acknowledgements.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from agencies.models import Agency, DeliveryMode
from exchange.envelope import ManifestEntry, MessageType, VerifiedEnvelope
from exchange.models import Delivery, InboundEnvelope
from letters.models import Attachment, Letter

from .outbox import ACKNOWLEDGEMENT_TIME_TO_LIVE, TIME_TO_LIVE, delivery_enqueue

SYSTEM_ACTOR = "system:relay"


def relays_to(recipient: Agency) -> bool:
    """Whether envelopes for this agency are parked for its own system instead of answered."""
    return recipient.delivery_mode == DeliveryMode.PULL


def relay_park(
    *, verified: VerifiedEnvelope, data: bytes, letter: Letter, sender: Agency, recipient: Agency
) -> Delivery:
    """Queue the sender's signed envelope, byte for byte, for the recipient's pull; in the
    caller's transaction. The message id stays the sender's, so the receipt names it."""
    header = verified.envelope.header
    letter_data = verified.envelope.letter
    assert letter_data is not None  # only letters are relayed (envelope_receive checks)
    return delivery_enqueue(
        message_type=MessageType.LETTER.value,
        sender=sender,
        recipient=recipient,
        letter_id=letter.pk,
        envelope=data,
        message_id=header.message_id,
        time_to_live=TIME_TO_LIVE.get(letter_data.urgency, TIME_TO_LIVE["001"]),
        actor=SYSTEM_ACTOR,
    )


def is_relayed(delivery: Delivery) -> bool:
    """A relayed item carries the recipient's own copy, not a letter its sender wrote here."""
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


def manifest_pairs(
    manifest: Iterable[ManifestEntry], attachments: Iterable[Attachment]
) -> dict[str, Attachment]:
    """Name a relayed copy's stored files by the sender's manifest ids (matched by digest,
    in order: two identical files are interchangeable)."""
    unused = list(attachments)
    pairs: dict[str, Attachment] = {}
    for entry in manifest:
        match = next(a for a in unused if a.sha256 == entry.sha256)
        unused.remove(match)
        pairs[entry.attachment_id] = match
    return pairs
