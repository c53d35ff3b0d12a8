"""Send a letter: number it if needed, sign one envelope per recipient, queue them, together.

A secret letter (ลับ, ลับมาก) is encrypted to each recipient's encryption certificate before it
is signed (docs/security.md, "Secret letters"); its files travel as the ciphertext made for
that envelope (``SealedDeliveryFile``).
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from agencies.pki.keystore import SigningMaterial, signing_material_for
from agencies.pki.selectors import agency_encryption_certificate
from audit.services import Actor, audit_chain_lock, audit_record
from exchange.envelope import (
    Header,
    LetterData,
    MessageType,
    RecipientKey,
    SecretFile,
    envelope_sign,
    envelopes_sign,
    letter_encrypt,
)
from exchange.errors import NotSendable
from exchange.mapping import letter_data, letter_envelope, letter_envelopes, manifest_id, party_for
from exchange.models import Delivery, DeliveryStatus, SealedDeliveryFile
from letters.models import Attachment, Direction, Letter, LetterStatus
from letters.selectors import letter_is_secret
from letters.services.letters import lock_letter, number_locked_letter
from letters.services.sealed import letter_holds_sealed, sealed_letter_view

from .outbox import TIME_TO_LIVE, delivery_enqueue


@dataclass(frozen=True)
class _SecretContent:
    """A secret letter's plaintext for the envelopes, opened once per send."""

    letter: LetterData
    files: tuple[SecretFile, ...]


def _secret_content(letter: Letter) -> _SecretContent:
    """Open the letter's own sealed copy (with the agency's key, in memory for this send)."""
    if letter_holds_sealed(letter):
        view = sealed_letter_view(letter)
        shown, subjects = view.letter, view.reference_subjects
        files = [
            (attachment, facts.name, facts.media_type, facts.description, data)
            for attachment, facts, data in view.files
        ]
    else:
        # A secret letter written before its agency's copy was sealed keeps its rows in the
        # clear; it still travels encrypted.
        shown, subjects = letter, None
        files = [
            (
                attachment,
                attachment.name,
                attachment.media_type,
                attachment.description,
                _read_file(attachment),
            )
            for attachment in letter.attachments.order_by("position", "pk")
        ]
    return _SecretContent(
        letter=letter_data(shown, reference_subjects=subjects),
        files=tuple(
            SecretFile(
                attachment_id=manifest_id(attachment),
                role=attachment.role,
                name=name,
                media_type=media_type,
                data=data,
                description=description,
            )
            for attachment, name, media_type, description, data in files
        ),
    )


def _read_file(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as stream:
        data: bytes = stream.read()
    return data


def _signed_copy(
    *,
    letter: Letter,
    recipient: Agency,
    message_id: str,
    conversation_id: str,
    created_at: datetime.datetime,
    material: SigningMaterial,
    secret: _SecretContent | None,
) -> tuple[bytes, dict[str, bytes]]:
    """Sign one recipient's envelope; a secret letter is encrypted to that recipient first.

    Return the envelope and, for a secret letter, the ciphertext of each file by manifest id
    (empty otherwise: the letter's own attachments travel).
    """
    if secret is None:
        envelope = letter_envelope(
            letter=letter,
            recipient=recipient,
            message_id=message_id,
            conversation_id=conversation_id,
            created_at=created_at,
        )
        return envelope_sign(
            envelope, key=material.private_key, certificate=material.certificate
        ), {}
    # Refuses (pki.no_encryption_certificate) before anything is written: the caller's
    # transaction rolls back the number too, so nothing is "sent" that cannot be read.
    certificate = agency_encryption_certificate(agency=recipient, now=created_at)
    encrypted = letter_encrypt(
        header=Header(
            message_id=message_id,
            message_type=MessageType.LETTER,
            created_at=created_at,
            sender=party_for(letter.agency),
            recipient=party_for(recipient),
            conversation_id=conversation_id,
        ),
        letter=secret.letter,
        files=secret.files,
        # One wrap: the recipient agency. The sender keeps its own copy, sealed to its own
        # certificate (letters/services/sealed.py), and never reads the envelope back.
        recipients=[RecipientKey(agency_key=recipient.key, certificate=certificate)],
    )
    signed = envelope_sign(
        encrypted.envelope, key=material.private_key, certificate=material.certificate
    )
    return signed, encrypted.files


def _enqueue_copy(
    letter: Letter, recipient: Agency, *, envelope: bytes, message_id: str, actor: Actor
) -> Delivery:
    """Queue one recipient's signed copy, its time to live following the letter's urgency."""
    return delivery_enqueue(
        message_type="letter",
        sender=letter.agency,
        recipient=recipient,
        letter_id=letter.pk,
        envelope=envelope,
        message_id=message_id,
        time_to_live=TIME_TO_LIVE[letter.urgency],
        actor=actor,
    )


def _store_sealed_files(delivery: Delivery, files: dict[str, bytes]) -> None:
    for attachment_id, data in files.items():
        SealedDeliveryFile.objects.create(
            delivery=delivery,
            attachment_id=attachment_id,
            file=ContentFile(data, name=f"{uuid.uuid4().hex}.bin"),
            name=f"{attachment_id}.bin",
            media_type="application/octet-stream",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )


def _send_plain(
    letter: Letter,
    recipients: list[Agency],
    conversation_id: str,
    now: datetime.datetime,
    material: SigningMaterial,
    actor: Actor,
) -> list[Delivery]:
    """One envelope per recipient, built from one letter tree and signed in one pass (a
    circular to a thousand agencies shares everything but the header)."""
    envelopes = list(
        letter_envelopes(
            letter=letter, recipients=recipients, conversation_id=conversation_id, created_at=now
        )
    )
    signed = envelopes_sign(
        (envelope for _message_id, envelope in envelopes),
        key=material.private_key,
        certificate=material.certificate,
    )
    return [
        _enqueue_copy(letter, recipient, envelope=envelope, message_id=message_id, actor=actor)
        for recipient, (message_id, _envelope), envelope in zip(
            recipients, envelopes, signed, strict=True
        )
    ]


def _send_secret(
    letter: Letter,
    recipients: list[Agency],
    conversation_id: str,
    now: datetime.datetime,
    material: SigningMaterial,
    actor: Actor,
) -> list[Delivery]:
    """A secret letter: each recipient's copy is encrypted to that recipient, then signed."""
    deliveries = []
    secret = _secret_content(letter)
    for recipient in recipients:
        message_id = str(uuid.uuid4())
        signed, sealed = _signed_copy(
            letter=letter,
            recipient=recipient,
            message_id=message_id,
            conversation_id=conversation_id,
            created_at=now,
            material=material,
            secret=secret,
        )
        delivery = _enqueue_copy(
            letter, recipient, envelope=signed, message_id=message_id, actor=actor
        )
        _store_sealed_files(delivery, sealed)
        deliveries.append(delivery)
    return deliveries


def letter_send(*, letter: Letter, actor: Actor) -> list[Delivery]:
    """Send an outgoing letter to every recipient (to and cc); idempotent per letter.

    Numbering, signing and queuing commit together: a letter is never "sent but not in the
    dispatch register", and never half-queued. Workers are kicked only after the commit.
    """
    with transaction.atomic(durable=True):
        audit_chain_lock()
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
        # Numbers the locked instance in place (and saves it): no need to read it back.
        number_locked_letter(letter=locked, actor=actor)
        material = signing_material_for(locked.agency)
        conversation_id = str(uuid.uuid4())
        now = timezone.now()
        if letter_is_secret(locked):
            deliveries = _send_secret(locked, recipients, conversation_id, now, material, actor)
        else:
            deliveries = _send_plain(locked, recipients, conversation_id, now, material, actor)
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
        audit_chain_lock()
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
        signed, sealed = _signed_copy(
            letter=letter,
            recipient=locked.recipient,
            message_id=message_id,
            conversation_id=str(uuid.uuid4()),
            created_at=timezone.now(),
            material=material,
            secret=_secret_content(letter) if letter_is_secret(letter) else None,
        )
        resent = _enqueue_copy(
            letter, locked.recipient, envelope=signed, message_id=message_id, actor=actor
        )
        _store_sealed_files(resent, sealed)
        audit_record(
            action="letters.letter.resent",
            actor=actor,
            agency=letter.agency,
            target=letter,
            after={"to": locked.recipient.key, "replaces": str(locked.message_id)},
        )
    return resent
