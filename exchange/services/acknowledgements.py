"""The acknowledgement ladder: receipt → registration | rejection | wrong recipient.

Recipient side: registering (ลงรับ), rejecting or marking a letter as sent to the wrong agency
happen in one transaction with queuing the signed acknowledgement back to the sender.
Sender side: each verified acknowledgement moves the letter's delivery to its recipient on.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from agencies.pki.keystore import signing_material_for
from audit.services import Actor, audit_chain_lock, audit_record
from config.errors import HubError
from exchange.directory import DatabaseDirectory
from exchange.envelope import (
    AcknowledgementData,
    Envelope,
    Header,
    MessageType,
    VerifiedEnvelope,
    envelope_sign,
    envelope_verify,
)
from exchange.errors import (
    AcknowledgementOutOfOrder,
    MessageTypeNotAccepted,
    NoInboundRecord,
    ReceiptMismatch,
    UnknownAcknowledgedMessage,
)
from exchange.mapping import party_for
from exchange.models import Delivery, DeliveryStatus, InboundEnvelope
from exchange.policy import verification_policy
from exchange.webhooks.events import webhook_delivery_status_changed, webhook_letter_withdrawn
from letters.models import Letter, LetterStatus, RegisterEntry
from letters.services.letters import (
    lock_letter,
    refuse_locked_incoming,
    register_locked_incoming,
    withdraw_locked_incoming,
)

from .outbox import ACKNOWLEDGEMENT_TIME_TO_LIVE, SYSTEM_ACTOR, delivery_enqueue

# Which delivery states each acknowledgement may follow, and where it leads. A registration
# may overtake a receipt whose HTTP answer was lost: the recipient registering proves delivery.
_LADDER = {
    MessageType.REGISTRATION: DeliveryStatus.REGISTERED,
    MessageType.REJECTION: DeliveryStatus.REJECTED,
    MessageType.WRONG_RECIPIENT: DeliveryStatus.WRONG_RECIPIENT,
}
_MAY_FOLLOW = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.DELIVERED)


def receipt_check(*, delivery: Delivery, receipt: bytes) -> VerifiedEnvelope:
    """Verify that a receipt is the recipient's signed proof for exactly the bytes we sent."""
    verified = envelope_verify(
        receipt,
        directory=DatabaseDirectory(served_keys=frozenset({delivery.sender.key})),
        now=timezone.now(),
        policy=verification_policy(),
    )
    receipt_match(delivery=delivery, verified=verified)
    return verified


def receipt_match(*, delivery: Delivery, verified: VerifiedEnvelope) -> None:
    """Refuse a verified receipt that is not for exactly this delivery's bytes and recipient."""
    ack = verified.envelope.acknowledgement
    header = verified.envelope.header
    if (
        header.message_type != MessageType.RECEIPT
        or ack is None
        or ack.acknowledged_message_id != str(delivery.message_id)
        or ack.acknowledged_envelope_sha256 != delivery.envelope_sha256
        or header.sender.agency_key != delivery.recipient.key
    ):
        raise ReceiptMismatch(details={"message_id": str(delivery.message_id)})


def receipt_accept(*, delivery: Delivery, receipt: bytes) -> str:
    """Check the recipient's signed receipt for a delivery and mark it delivered.

    A receipt that does not verify, or acknowledges other bytes than we sent, is no proof of
    delivery: the attempt counts as a permanent failure.
    """
    try:
        verified = receipt_check(delivery=delivery, receipt=receipt)
    except HubError as error:
        return _receipt_refused(delivery, error.code)
    return "delivered" if mark_delivered(delivery, receipt, verified) else "superseded"


def mark_delivered(delivery: Delivery, receipt: bytes, verified: VerifiedEnvelope) -> bool:
    """Record a verified receipt in a transaction of its own."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        return mark_delivered_in_transaction(delivery, receipt, verified)


def mark_delivered_in_transaction(
    delivery: Delivery, receipt: bytes, verified: VerifiedEnvelope
) -> bool:
    """Record a verified receipt, in the caller's transaction (guarded: only a delivery still
    in play moves; a registration that overtook the receipt already proved delivery)."""
    now = timezone.now()
    moved = Delivery.objects.filter(
        pk=delivery.pk, status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
    ).update(
        status=DeliveryStatus.DELIVERED,
        receipt=receipt,
        delivered_at=now,
        attempt_count=delivery.attempt_count + 1,
        lease_expires_at=None,
        last_error_code="",
        updated_at=now,
    )
    if moved:
        audit_record(
            action="exchange.delivery.delivered",
            actor=SYSTEM_ACTOR,
            agency=delivery.sender,
            target=delivery,
            before={"status": delivery.status},
            after={
                "status": DeliveryStatus.DELIVERED,
                "receipt": verified.envelope.header.message_id,
            },
        )
        webhook_delivery_status_changed(delivery=delivery, status=DeliveryStatus.DELIVERED)
    return bool(moved)


def relayed_receipt_apply(
    *, verified: VerifiedEnvelope, receipt: bytes, sender: Agency, recipient: Agency
) -> Letter:
    """A receipt that arrives on its own: the recipient's hub relayed our letter to the
    recipient's own system (pull mode) and forwards the receipt that system signed.

    Runs in the caller's transaction; the receipt must be for exactly the bytes we sent.
    """
    ack = verified.envelope.acknowledgement
    assert ack is not None  # the verifier matched content to type
    delivery = (
        Delivery.objects.select_for_update()
        .select_related("sender", "recipient")
        .filter(
            message_id=ack.acknowledged_message_id,
            message_type=MessageType.LETTER.value,
            sender=recipient,
            recipient=sender,
        )
        .first()
    )
    if delivery is None:
        raise UnknownAcknowledgedMessage(details={"message_id": ack.acknowledged_message_id})
    receipt_match(delivery=delivery, verified=verified)
    mark_delivered_in_transaction(delivery, receipt, verified)
    return delivery.letter


def _receipt_refused(delivery: Delivery, code: str) -> str:
    from .outbox import delivery_finish

    return delivery_finish(delivery, DeliveryStatus.FAILED, error_code=code)


def acknowledgement_apply(
    *, verified: VerifiedEnvelope, sender: Agency, recipient: Agency, now: datetime.datetime
) -> Letter:
    """Apply a verified acknowledgement to what it names, in the caller's transaction; return
    the letter it is about.

    From a recipient (registration, rejection, wrong recipient): our delivery of the letter.
    From a sender (withdrawal, receive-number dispute): our copy of the letter it sent us.
    """
    message_type = verified.envelope.header.message_type
    if message_type in _LADDER:
        return _delivery_acknowledged(verified=verified, sender=sender, recipient=recipient).letter
    if message_type in (MessageType.WITHDRAWAL, MessageType.RECEIVE_NUMBER_DISPUTE):
        return _copy_acknowledged(verified=verified, sender=sender, recipient=recipient)
    raise MessageTypeNotAccepted(details={"message_type": message_type.value})


def _copy_acknowledged(*, verified: VerifiedEnvelope, sender: Agency, recipient: Agency) -> Letter:
    header = verified.envelope.header
    ack = verified.envelope.acknowledgement
    assert ack is not None  # the verifier matched content to type
    inbound = InboundEnvelope.objects.filter(
        sender=sender,
        recipient=recipient,
        message_id=ack.acknowledged_message_id,
        envelope_sha256=ack.acknowledged_envelope_sha256,
        letter__isnull=False,
    ).first()
    if inbound is None or inbound.letter is None:
        raise UnknownAcknowledgedMessage(details={"message_id": ack.acknowledged_message_id})
    letter = lock_letter(inbound.letter)
    if header.message_type == MessageType.WITHDRAWAL:
        if letter.status != LetterStatus.WITHDRAWN:  # a repeated withdrawal changes nothing
            webhook_letter_withdrawn(letter=letter, reason=ack.reason)
        withdraw_locked_incoming(letter=letter, reason=ack.reason, actor=SYSTEM_ACTOR)
        return letter
    audit_record(
        action="letters.letter.receive_number_disputed",
        actor=SYSTEM_ACTOR,
        agency=recipient,
        target=letter,
        after={"disputed_number": ack.disputed_number, "reason": ack.reason},
    )
    return letter


def _delivery_acknowledged(
    *, verified: VerifiedEnvelope, sender: Agency, recipient: Agency
) -> Delivery:
    header = verified.envelope.header
    ack = verified.envelope.acknowledgement
    target = _LADDER.get(header.message_type)
    if ack is None or target is None:
        raise MessageTypeNotAccepted(details={"message_type": header.message_type.value})
    delivery = (
        Delivery.objects.select_for_update()
        .filter(
            message_id=ack.acknowledged_message_id,
            message_type=MessageType.LETTER.value,
            sender=recipient,
            recipient=sender,
            envelope_sha256=ack.acknowledged_envelope_sha256,
        )
        .first()
    )
    if delivery is None:
        raise UnknownAcknowledgedMessage(details={"message_id": ack.acknowledged_message_id})
    if delivery.status not in _MAY_FOLLOW:
        raise AcknowledgementOutOfOrder(details={"status": delivery.status})
    before = delivery.status
    delivery.status = target
    if target == DeliveryStatus.REGISTERED:
        delivery.receive_number = ack.receive_number
        delivery.registered_at = ack.at
    else:
        delivery.reason = ack.reason
    delivery.lease_expires_at = None
    delivery.save()
    audit_record(
        action=f"exchange.delivery.{target}",
        actor=SYSTEM_ACTOR,
        agency=recipient,
        target=delivery,
        before={"status": before},
        after={
            "status": target,
            "receive_number": ack.receive_number,
            "reason": ack.reason,
            "acknowledgement": header.message_id,
        },
    )
    webhook_delivery_status_changed(delivery=delivery)
    return delivery


def _queue_acknowledgement(
    *,
    sender: Agency,
    recipient: Agency,
    letter_id: int,
    message_type: MessageType,
    acknowledged_message_id: str,
    acknowledged_envelope_sha256: str,
    actor: Actor,
    **details: Any,
) -> Delivery:
    """Sign one acknowledgement as ``sender`` and queue it to ``recipient``, in the caller's
    transaction; ``details`` are the AcknowledgementData fields of its type (reason, …)."""
    now = timezone.now()
    material = signing_material_for(sender)
    message_id = str(uuid.uuid4())
    envelope = Envelope(
        header=Header(
            message_id=message_id,
            message_type=message_type,
            created_at=now,
            sender=party_for(sender),
            recipient=party_for(recipient),
            conversation_id=acknowledged_message_id,
            in_reply_to=acknowledged_message_id,
        ),
        acknowledgement=AcknowledgementData(
            acknowledged_message_id=acknowledged_message_id,
            acknowledged_envelope_sha256=acknowledged_envelope_sha256,
            at=now,
            **details,
        ),
    )
    return delivery_enqueue(
        message_type=message_type.value,
        sender=sender,
        recipient=recipient,
        letter_id=letter_id,
        envelope=envelope_sign(
            envelope, key=material.private_key, certificate=material.certificate
        ),
        message_id=message_id,
        time_to_live=ACKNOWLEDGEMENT_TIME_TO_LIVE,
        actor=actor,
    )


def _acknowledgement_queue(
    *, letter: Letter, message_type: MessageType, actor: Actor, **details: Any
) -> Delivery:
    """Acknowledge an incoming letter to its sender (registration, rejection, wrong recipient)."""
    inbound = InboundEnvelope.objects.filter(letter=letter).first()
    if inbound is None:
        raise NoInboundRecord(details={"letter": letter.pk})
    return _queue_acknowledgement(
        sender=letter.agency,
        recipient=letter.sender_agency,
        letter_id=letter.pk,
        message_type=message_type,
        acknowledged_message_id=str(inbound.message_id),
        acknowledged_envelope_sha256=inbound.envelope_sha256,
        actor=actor,
        **details,
    )


def incoming_letter_register(
    *, letter: Letter, actor: Actor, idempotency_key: str | None = None
) -> RegisterEntry:
    """ลงรับ: allocate the receive number and send the signed registration back, together."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        locked = lock_letter(letter)
        already = locked.status == LetterStatus.REGISTERED
        entry = register_locked_incoming(
            letter=locked, actor=actor, idempotency_key=idempotency_key
        )
        if not already and InboundEnvelope.objects.filter(letter=locked).exists():
            _acknowledgement_queue(
                letter=locked,
                message_type=MessageType.REGISTRATION,
                actor=actor,
                receive_number=str(entry.number),
                receive_year=entry.year,
            )
    return entry


def incoming_letter_refuse(
    *, letter: Letter, status: LetterStatus, reason: str, actor: Actor
) -> Letter:
    """Reject (ปฏิเสธ) or mark as sent to the wrong agency, and tell the sender, together."""
    message_type = (
        MessageType.REJECTION if status == LetterStatus.REJECTED else MessageType.WRONG_RECIPIENT
    )
    with transaction.atomic(durable=True):
        audit_chain_lock()
        locked = refuse_locked_incoming(
            letter=lock_letter(letter), status=status, reason=reason, actor=actor
        )
        _acknowledgement_queue(letter=locked, message_type=message_type, actor=actor, reason=reason)
    return locked


# From where a sender may withdraw a copy: the recipient refused it, or it never got through.
WITHDRAWABLE = (
    DeliveryStatus.REJECTED,
    DeliveryStatus.WRONG_RECIPIENT,
    DeliveryStatus.FAILED,
    DeliveryStatus.EXPIRED,
)


def _sender_message(
    *, delivery: Delivery, message_type: MessageType, reason: str, actor: Actor
) -> Delivery:
    """Tell the recipient of our letter copy we withdraw it, or dispute its receive number."""
    disputed = delivery.receive_number if message_type == MessageType.RECEIVE_NUMBER_DISPUTE else ""
    return _queue_acknowledgement(
        sender=delivery.sender,
        recipient=delivery.recipient,
        letter_id=delivery.letter_id,
        message_type=message_type,
        acknowledged_message_id=str(delivery.message_id),
        acknowledged_envelope_sha256=delivery.envelope_sha256,
        actor=actor,
        reason=reason,
        disputed_number=disputed,
    )


def delivery_withdraw(*, delivery: Delivery, reason: str, actor: Actor) -> Delivery:
    """ถอนเพื่อส่งใหม่: withdraw one recipient's copy and tell the recipient, together."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        locked = (
            Delivery.objects.select_for_update()
            .select_related("sender", "recipient")
            .get(pk=delivery.pk)
        )
        if locked.message_type != MessageType.LETTER.value or locked.status not in WITHDRAWABLE:
            raise AcknowledgementOutOfOrder(details={"status": locked.status})
        before = locked.status
        locked.status = DeliveryStatus.WITHDRAWN
        locked.reason = reason
        locked.save(update_fields=["status", "reason", "updated_at"])
        audit_record(
            action="exchange.delivery.withdrawn",
            actor=actor,
            agency=locked.sender,
            target=locked,
            before={"status": before},
            after={"status": locked.status, "reason": reason},
        )
        webhook_delivery_status_changed(delivery=locked)
        _sender_message(
            delivery=locked, message_type=MessageType.WITHDRAWAL, reason=reason, actor=actor
        )
    return locked


def receive_number_dispute(*, delivery: Delivery, reason: str, actor: Actor) -> Delivery:
    """แจ้งเลขรับผิด: tell the recipient the receive number it reported looks wrong."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        locked = (
            Delivery.objects.select_for_update()
            .select_related("sender", "recipient")
            .get(pk=delivery.pk)
        )
        if locked.status != DeliveryStatus.REGISTERED:
            raise AcknowledgementOutOfOrder(details={"status": locked.status})
        audit_record(
            action="exchange.delivery.receive_number_disputed",
            actor=actor,
            agency=locked.sender,
            target=locked,
            after={"receive_number": locked.receive_number, "reason": reason},
        )
        return _sender_message(
            delivery=locked,
            message_type=MessageType.RECEIVE_NUMBER_DISPUTE,
            reason=reason,
            actor=actor,
        )
