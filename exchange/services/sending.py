"""Send a letter: number it if needed, sign one envelope per recipient, queue them, together."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from agencies.pki.keystore import signing_material_for
from audit.services import Actor, audit_record
from exchange.envelope import envelope_sign
from exchange.errors import NotSendable
from exchange.mapping import letter_envelope
from exchange.models import Delivery, DeliveryStatus
from letters.models import Direction, Letter, LetterStatus
from letters.services.letters import lock_letter, number_locked_letter

from .outbox import TIME_TO_LIVE, delivery_enqueue


def letter_send(*, letter: Letter, actor: Actor) -> list[Delivery]:
    """Send an outgoing letter to every recipient (to and cc); idempotent per letter.

    Numbering, signing and queuing commit together: a letter is never "sent but not in the
    dispatch register", and never half-queued. Workers are kicked only after the commit.
    """
    with transaction.atomic(durable=True):
        locked = lock_letter(letter)
        if locked.status == LetterStatus.SENT:
            return list(Delivery.objects.filter(letter=locked, message_type="letter"))
        recipients = [r.agency for r in locked.recipients.select_related("agency")]
        if (
            locked.direction != Direction.OUTGOING
            or locked.status not in (LetterStatus.DRAFT, LetterStatus.NUMBERED)
            or not recipients
        ):
            raise NotSendable(details={"status": locked.status, "recipients": len(recipients)})
        number_locked_letter(letter=locked, actor=actor)
        locked.refresh_from_db()
        material = signing_material_for(locked.agency)
        conversation_id = str(uuid.uuid4())
        now = timezone.now()
        deliveries = []
        for recipient in recipients:
            message_id = str(uuid.uuid4())
            envelope = letter_envelope(
                letter=locked,
                recipient=recipient,
                message_id=message_id,
                conversation_id=conversation_id,
                created_at=now,
            )
            deliveries.append(
                delivery_enqueue(
                    message_type="letter",
                    sender=locked.agency,
                    recipient=recipient,
                    letter_id=locked.pk,
                    envelope=envelope_sign(
                        envelope, key=material.private_key, certificate=material.certificate
                    ),
                    message_id=message_id,
                    time_to_live=TIME_TO_LIVE[locked.urgency],
                    actor=actor,
                )
            )
        locked.status = LetterStatus.SENT
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            action="letters.letter.sent",
            actor=actor,
            agency=locked.agency,
            target=locked,
            before={"status": LetterStatus.NUMBERED},
            after={"status": LetterStatus.SENT, "recipients": [r.key for r in recipients]},
        )
    return deliveries


def letter_resend(*, delivery: Delivery, actor: Actor) -> Delivery:
    """Send a withdrawn copy again to the same recipient: a new envelope and message id.

    Idempotent per withdrawn copy: a repeat returns the copy the first call queued.
    """
    with transaction.atomic(durable=True):
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.message_type != "letter" or locked.status != DeliveryStatus.WITHDRAWN:
            raise NotSendable(details={"status": locked.status})
        # The same "send again" posted twice: the twin waited on this row lock and now finds
        # the copy the first one queued; it returns that copy instead of queuing a third.
        newer = (
            Delivery.objects.filter(
                letter_id=locked.letter_id,
                recipient_id=locked.recipient_id,
                message_type="letter",
                created_at__gt=locked.created_at,
            )
            .order_by("created_at", "id")
            .first()
        )
        if newer is not None:
            return newer
        letter = lock_letter(locked.letter)
        material = signing_material_for(letter.agency)
        message_id = str(uuid.uuid4())
        envelope = letter_envelope(
            letter=letter,
            recipient=locked.recipient,
            message_id=message_id,
            conversation_id=str(uuid.uuid4()),
            created_at=timezone.now(),
        )
        resent = delivery_enqueue(
            message_type="letter",
            sender=letter.agency,
            recipient=locked.recipient,
            letter_id=letter.pk,
            envelope=envelope_sign(
                envelope, key=material.private_key, certificate=material.certificate
            ),
            message_id=message_id,
            time_to_live=TIME_TO_LIVE[letter.urgency],
            actor=actor,
        )
        audit_record(
            action="letters.letter.resent",
            actor=actor,
            agency=letter.agency,
            target=letter,
            after={"to": locked.recipient.key, "replaces": str(locked.message_id)},
        )
    return resent
