"""Submit an envelope that an agency's own e-saraban system signed itself.

Agencies that run their own system sign their letters with their own key; the hub checks the
envelope as strictly as one from a peer (the signer must be the submitting agency), keeps a
record of the letter as sent by it, and sends the very same bytes through the outbox. The same
path carries such a system's acknowledgements (registration, rejection, wrong recipient) of a
letter it pulled from its queue (services/relay.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO

from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency
from audit.services import Actor, audit_chain_lock, audit_record
from exchange.directory import DatabaseDirectory
from exchange.envelope import MessageType, VerifiedEnvelope, attachments_verify, envelope_verify
from exchange.envelope.errors import DuplicateMessage
from exchange.errors import (
    MessageTypeNotAccepted,
    NotTheSigner,
    SubmittedTwice,
    UnknownAcknowledgedMessage,
)
from exchange.mapping import copy_values, envelope_urgency
from exchange.models import Delivery, InboundEnvelope
from exchange.policy import verification_policy
from letters.models import Letter
from letters.services.incoming import submitted_letter_file

from .inbound import envelope_files
from .outbox import ACKNOWLEDGEMENT_TIME_TO_LIVE, TIME_TO_LIVE, delivery_enqueue

# What an agency's own system may hand over. Receipts go through the pull queue's
# acknowledgement; withdrawals and disputes of self-signed letters are not supported yet.
SUBMITTABLE = (
    MessageType.LETTER,
    MessageType.REGISTRATION,
    MessageType.REJECTION,
    MessageType.WRONG_RECIPIENT,
)


def envelope_submit(
    *,
    agency: Agency,
    data: bytes,
    attachments: Mapping[str, IO[bytes]] | None = None,
    actor: Actor,
) -> Delivery:
    """Verify an envelope the agency signed and queue it, byte for byte; idempotent by bytes.

    The same bytes again return the first delivery; other bytes under a message id already
    queued are refused (409), as is a second copy of one letter to the same recipient.
    """
    streams = attachments or {}
    verified = envelope_verify(
        data,
        directory=DatabaseDirectory(outgoing=True),
        now=timezone.now(),
        policy=verification_policy(),
    )
    header = verified.envelope.header
    if header.sender.agency_key != agency.key:
        raise NotTheSigner(details={"sender": header.sender.agency_key})
    if header.message_type not in SUBMITTABLE:
        raise MessageTypeNotAccepted(details={"message_type": header.message_type.value})
    attachments_verify(verified.envelope.manifest, streams)
    recipient = Agency.objects.get(key=header.recipient.agency_key, is_active=True)
    # Two attempts: a concurrent submission of another copy of the same letter may create the
    # shared letter record first; the second attempt then finds it.
    for _attempt in range(2):
        existing = _already_submitted(agency, verified)
        if existing is not None:
            return existing
        try:
            with transaction.atomic(durable=True):
                audit_chain_lock()
                return _queue(agency, recipient, verified, data, streams, actor)
        except IntegrityError:
            pass
    existing = _already_submitted(agency, verified)
    if existing is not None:
        return existing
    raise SubmittedTwice(details={"message_id": header.message_id, "recipient": recipient.key})


def _already_submitted(agency: Agency, verified: VerifiedEnvelope) -> Delivery | None:
    message_id = verified.envelope.header.message_id
    existing = Delivery.objects.filter(message_id=message_id).first()
    if existing is None:
        return None
    if existing.sender_id == agency.pk and existing.envelope_sha256 == verified.envelope_sha256:
        return existing
    raise DuplicateMessage(details={"message_id": message_id})


def _queue(
    agency: Agency,
    recipient: Agency,
    verified: VerifiedEnvelope,
    data: bytes,
    streams: Mapping[str, IO[bytes]],
    actor: Actor,
) -> Delivery:
    header = verified.envelope.header
    if header.message_type == MessageType.LETTER:
        letter = _sent_letter(agency, verified, streams, actor)
        urgency = envelope_urgency(verified.envelope)
        time_to_live = TIME_TO_LIVE.get(urgency, TIME_TO_LIVE["001"])
    else:
        letter = _acknowledged_copy(agency, recipient, verified)
        time_to_live = ACKNOWLEDGEMENT_TIME_TO_LIVE
    delivery = delivery_enqueue(
        message_type=header.message_type.value,
        sender=agency,
        recipient=recipient,
        letter_id=letter.pk,
        envelope=data,
        message_id=header.message_id,
        time_to_live=time_to_live,
        actor=actor,
    )
    audit_record(
        action="exchange.envelope.submitted",
        actor=actor,
        agency=agency,
        target=delivery,
        after={
            "message_id": header.message_id,
            "message_type": header.message_type.value,
            "to": recipient.key,
            "sha256": verified.envelope_sha256,
        },
    )
    return delivery


def _sent_letter(
    agency: Agency, verified: VerifiedEnvelope, streams: Mapping[str, IO[bytes]], actor: Actor
) -> Letter:
    """The agency's record of the letter: one per conversation, however many recipients."""
    envelope = verified.envelope
    token = f"conversation:{envelope.header.conversation_id}"
    existing = Letter.objects.filter(agency=agency, client_token=token).first()
    if existing is not None:
        return existing
    recipient = Agency.objects.get(key=envelope.header.recipient.agency_key)
    # A secret letter the agency's own system encrypted: the hub keeps only its clear facts.
    values, parts = copy_values(envelope, holder=recipient)
    number = envelope.encrypted_letter.number if envelope.encrypted_letter else None
    if number is None:
        assert envelope.letter is not None  # the verifier matched content to type
        number = envelope.letter.number
    return submitted_letter_file(
        agency=agency,
        values=values,
        number_text=number.text,
        running_number=number.running,
        parts=parts,
        files=envelope_files(verified, streams),
        client_token=token,
        actor=actor,
    )


def _acknowledged_copy(agency: Agency, recipient: Agency, verified: VerifiedEnvelope) -> Letter:
    """The letter the agency acknowledges, one that reached it through here: its copy, or
    the sender's letter when it was parked from here straight into the agency's queue."""
    ack = verified.envelope.acknowledgement
    assert ack is not None  # the verifier matched content to type
    inbound = InboundEnvelope.objects.filter(
        sender=recipient,
        recipient=agency,
        message_id=ack.acknowledged_message_id,
        envelope_sha256=ack.acknowledged_envelope_sha256,
        letter__isnull=False,
    ).first()
    if inbound is not None and inbound.letter is not None:
        return inbound.letter
    # A letter sent from this hub (by a hosted agency's clerk, or submitted by another agency's
    # system) is parked in the agency's pull queue (pull_park) without passing the inbound
    # path, so no inbound record names it: without this, the pulling system could never
    # register, reject or return such a letter. The acknowledgement is then about the sender's
    # own letter, as for one relayed from a peer (relay_park).
    parked = (
        Delivery.objects.select_related("letter")
        .filter(
            sender=recipient,
            recipient=agency,
            message_type=MessageType.LETTER.value,
            message_id=ack.acknowledged_message_id,
            envelope_sha256=ack.acknowledged_envelope_sha256,
        )
        .first()
    )
    if parked is None:
        raise UnknownAcknowledgedMessage(details={"message_id": ack.acknowledged_message_id})
    return parked.letter
