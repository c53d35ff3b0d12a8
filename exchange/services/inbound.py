"""Receive an envelope (steps 6 and 7 of the verification pipeline) and answer with a receipt.

Used by the inbound HTTP endpoint and, in-process, by the hosted transport: a letter between
two agencies hosted here goes through exactly the same checks as one from a peer hub.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency
from agencies.pki.keystore import signing_material_for
from audit.services import audit_chain_lock, audit_record
from exchange.directory import DatabaseDirectory
from exchange.envelope import (
    AcknowledgementData,
    Envelope,
    Header,
    MessageType,
    VerifiedEnvelope,
    attachments_verify,
    envelope_sign,
    envelope_verify,
)
from exchange.envelope.errors import DuplicateMessage
from exchange.errors import MessageTypeNotAccepted
from exchange.mapping import copy_values, party_for
from exchange.models import InboundEnvelope
from exchange.policy import verification_policy
from exchange.webhooks.events import webhook_letter_received
from letters.models import AttachmentRole, Letter
from letters.services.incoming import IncomingFile, incoming_letter_file

from .acknowledgements import acknowledgement_apply, relayed_receipt_apply
from .relay import relay_park, relays_to

SYSTEM_ACTOR = "system:exchange"


@dataclass(frozen=True)
class ReceiveResult:
    receipt: bytes  # empty when relayed: the recipient's own system will sign it
    inbound: InboundEnvelope
    replayed: bool
    relayed: bool = False


def _receipt(verified: VerifiedEnvelope, data: bytes, *, now: datetime.datetime) -> bytes:
    """Sign ``receipt`` (ตอบรับ) for the exact bytes received, as the receiving agency."""
    header = verified.envelope.header
    recipient = Agency.objects.get(key=header.recipient.agency_key)
    material = signing_material_for(recipient)
    receipt = Envelope(
        header=Header(
            message_id=str(uuid.uuid4()),
            message_type=MessageType.RECEIPT,
            created_at=now,
            sender=party_for(recipient),
            recipient=header.sender,
            conversation_id=header.conversation_id,
            in_reply_to=header.message_id,
        ),
        acknowledgement=AcknowledgementData(
            acknowledged_message_id=header.message_id,
            acknowledged_envelope_sha256=hashlib.sha256(data).hexdigest(),
            at=now,
        ),
    )
    return envelope_sign(receipt, key=material.private_key, certificate=material.certificate)


def _evidence(verified: VerifiedEnvelope, *, now: datetime.datetime) -> dict[str, object]:
    from exchange.envelope.verification import fingerprint

    return {
        "certificate_sha256": fingerprint(verified.certificate),
        "certificate_subject": verified.certificate.subject.rfc4514_string(),
        "signature_shape": verified.shape,
        "signing_time": verified.signing_time.isoformat() if verified.signing_time else None,
        "verified_at": now.isoformat(),
        "checks": list(verified.checks),
        # A secret letter's copy holds only ciphertext: opened on demand (secret_letters.py).
        "encrypted": verified.envelope.encrypted_letter is not None,
    }


def envelope_files(
    verified: VerifiedEnvelope, streams: Mapping[str, IO[bytes]]
) -> list[IncomingFile]:
    """The manifest's files, each from its stream (already checked against its digest)."""
    files = []
    sealed = verified.envelope.encrypted_letter is not None
    for entry in verified.envelope.manifest:
        stream = streams[entry.attachment_id]
        stream.seek(0)
        files.append(
            IncomingFile(
                role=AttachmentRole(entry.role),
                name=entry.name,
                media_type=entry.media_type,
                stream=stream,
                expected_sha256=entry.sha256,
                description=entry.description,
                # A secret letter's files are kept exactly as they arrived: ciphertext.
                sealed=sealed,
            )
        )
    return files


def _file_letter(
    verified: VerifiedEnvelope,
    *,
    sender: Agency,
    recipient: Agency,
    streams: Mapping[str, IO[bytes]],
) -> Letter:
    envelope = verified.envelope
    values, parts = copy_values(envelope, holder=recipient)
    number = envelope.encrypted_letter.number if envelope.encrypted_letter else None
    if number is None:
        assert envelope.letter is not None  # checked by the verifier (type matches content)
        number = envelope.letter.number
    return incoming_letter_file(
        agency=recipient,
        sender_agency=sender,
        values=values,
        number_text=number.text,
        running_number=number.running,
        parts=parts,
        files=envelope_files(verified, streams),
        actor=SYSTEM_ACTOR,
    )


def _replay(data: bytes) -> InboundEnvelope | None:
    return (
        InboundEnvelope.objects.filter(envelope_sha256=hashlib.sha256(data).hexdigest())
        .exclude(receipt=b"")
        .first()
    )


def envelope_receive(
    *,
    data: bytes,
    attachments: Mapping[str, IO[bytes]] | None = None,
    served_keys: frozenset[str] | None = None,
    now: datetime.datetime | None = None,
) -> ReceiveResult:
    """Verify, de-duplicate, store and file an envelope; return the signed receipt.

    The same bytes again get the very same receipt bytes, for as long as the record is kept,
    without re-verifying (they were verified when first received). A different envelope under
    a message id already received from that sender is refused and leaves a security event.
    A letter for a pull-mode agency is relayed (services/relay.py): no receipt yet.
    """
    now = now or timezone.now()
    streams = attachments or {}
    replayed = _replay(data)
    if replayed is not None:
        return ReceiveResult(receipt=bytes(replayed.receipt), inbound=replayed, replayed=True)

    verified = envelope_verify(
        data,
        directory=DatabaseDirectory(served_keys=served_keys),
        now=now,
        policy=verification_policy(),
    )
    header = verified.envelope.header
    attachments_verify(verified.envelope.manifest, streams)
    sender = Agency.objects.get(key=header.sender.agency_key)
    recipient = Agency.objects.get(key=header.recipient.agency_key)
    relayed = relays_to(recipient)
    if relayed and header.message_type == MessageType.RECEIPT:
        # A pull-mode agency's letters are answered with receipts over HTTP (it submits them
        # here and we push them); a receipt of its own to relay would have nothing to match.
        raise MessageTypeNotAccepted(
            details={"message_type": header.message_type.value, "relay": "no receipts"}
        )
    try:
        with transaction.atomic(durable=True):
            audit_chain_lock()
            inbound = InboundEnvelope.objects.create(
                sender=sender,
                recipient=recipient,
                message_id=header.message_id,
                message_type=header.message_type.value,
                envelope=data,
                envelope_sha256=verified.envelope_sha256,
                receipt=b"",
                evidence=_evidence(verified, now=now),
                received_at=now,
            )
            filed = None
            if header.message_type == MessageType.LETTER:
                filed = _file_letter(verified, sender=sender, recipient=recipient, streams=streams)
                webhook_letter_received(letter=filed)
                about = filed
            elif header.message_type == MessageType.RECEIPT:
                about = relayed_receipt_apply(
                    verified=verified, receipt=data, sender=sender, recipient=recipient
                )
            else:
                about = acknowledgement_apply(
                    verified=verified, sender=sender, recipient=recipient, now=now
                )
            if relayed:
                relay_park(
                    verified=verified, data=data, letter=about, sender=sender, recipient=recipient
                )
            else:
                inbound.receipt = _receipt(verified, data, now=now)
            inbound.letter = filed
            inbound.save(update_fields=["receipt", "letter"])
            audit_record(
                action=f"exchange.envelope.received_{header.message_type.value.replace('-', '_')}",
                actor=SYSTEM_ACTOR,
                agency=recipient,
                target=inbound,
                after={
                    "message_id": header.message_id,
                    "from": sender.key,
                    "relayed": relayed,
                    **inbound.evidence,
                },
            )
    except IntegrityError:
        # The same message id from the same sender is already stored (or being stored by a
        # concurrent request that committed first).
        original = InboundEnvelope.objects.filter(
            sender=sender, message_id=header.message_id
        ).first()
        if original is None:
            raise
        if original.envelope_sha256 == verified.envelope_sha256:
            receipt = bytes(original.receipt)
            return ReceiveResult(
                receipt=receipt, inbound=original, replayed=True, relayed=not receipt
            )
        with transaction.atomic(durable=True):
            audit_chain_lock()
            audit_record(
                action="exchange.security.message_id_reused",
                actor=SYSTEM_ACTOR,
                agency=recipient,
                target=original,
                after={
                    "message_id": header.message_id,
                    "from": sender.key,
                    "sha256": verified.envelope_sha256,
                },
            )
        raise DuplicateMessage(details={"message_id": header.message_id}) from None
    return ReceiveResult(
        receipt=bytes(inbound.receipt), inbound=inbound, replayed=False, relayed=relayed
    )
