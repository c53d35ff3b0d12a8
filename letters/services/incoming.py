"""File a verified incoming letter into the recipient agency's inbox (its own copy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from agencies.models import Agency
from audit.services import Actor, audit_chain_lock, audit_record
from letters.errors import AttachmentInvalid, LetterInvalid
from letters.models import Attachment, AttachmentRole, Direction, Letter, LetterStatus, Secrecy

from .attachments import attachment_store
from .letters import LetterFields, LetterParts, replace_parts


@dataclass(frozen=True)
class IncomingFile:
    role: AttachmentRole
    name: str
    media_type: str
    stream: IO[bytes]
    expected_sha256: str
    description: str = ""
    # A secret letter's file, stored exactly as received: AES-256-GCM ciphertext.
    sealed: bool = False


def incoming_letter_file(
    *,
    agency: Agency,
    sender_agency: Agency,
    values: LetterFields,
    number_text: str,
    running_number: int | None,
    parts: LetterParts,
    files: Sequence[IncomingFile],
    actor: Actor,
) -> Letter:
    """Create the recipient's copy of a letter, in the caller's transaction.

    The values come from a verified envelope: they are stored as the sender wrote them (the
    number as printed, codes as given), not re-derived from our directory.
    """
    letter = Letter(
        agency=agency,
        sender_agency=sender_agency,
        direction=Direction.INCOMING,
        status=LetterStatus.RECEIVED,
        number_text=number_text,
        running_number=running_number,
    )
    return _file(letter, values, parts, files, action="letters.letter.received", actor=actor)


def submitted_letter_file(
    *,
    agency: Agency,
    values: LetterFields,
    number_text: str,
    running_number: int | None,
    parts: LetterParts,
    files: Sequence[IncomingFile],
    client_token: str,
    actor: Actor,
) -> Letter:
    """Record a letter that the agency's own system numbered and signed, as sent by it.

    Its number comes from that system's register, not ours: it is kept as printed and no
    dispatch register line is made here.
    """
    letter = Letter(
        agency=agency,
        sender_agency=agency,
        direction=Direction.OUTGOING,
        status=LetterStatus.SENT,
        number_text=number_text,
        running_number=running_number,
        client_token=client_token,
    )
    return _file(letter, values, parts, files, action="letters.letter.submitted", actor=actor)


def _file(
    letter: Letter,
    values: LetterFields,
    parts: LetterParts,
    files: Sequence[IncomingFile],
    *,
    action: str,
    actor: Actor,
) -> Letter:
    if not connection.in_atomic_block:
        raise RuntimeError("File letters from envelopes inside the receiving transaction.")
    agency, sender_agency, number_text = letter.agency, letter.sender_agency, letter.number_text
    assert sender_agency is not None
    for name, value in asdict(values).items():
        if value is not None:
            setattr(letter, name, value)
    try:
        # Fields are validated here; the table's check constraints (urgency and secrecy codes,
        # a positive running number) are not asked of the database one query each: the
        # envelope schema already admits only values that satisfy them, and the database
        # still enforces them on insert.
        letter.full_clean(
            exclude=["agency", "sender_agency", "created_by"], validate_constraints=False
        )
    except ValidationError as exc:
        raise LetterInvalid(details={"fields": exc.message_dict}) from exc
    letter.save()
    replace_parts(letter, parts)
    for position, incoming in enumerate(files):
        attachment = Attachment(
            letter=letter,
            role=incoming.role,
            name=incoming.name,
            media_type=incoming.media_type,
            description=incoming.description,
            position=position,
            sealed=incoming.sealed,
        )
        attachment_store(attachment, incoming.stream, sealed=incoming.sealed)
        if attachment.sha256 != incoming.expected_sha256:
            # Verified once already; a difference now means the stream changed under us.
            attachment.file.delete(save=False)
            raise AttachmentInvalid(details={"name": incoming.name})
        attachment.save()
    audit_record(
        action=action,
        actor=actor,
        agency=agency,
        target=letter,
        after={
            "from": sender_agency.key,
            "number": number_text,
            "subject": letter.subject,
            "attachments": len(files),
        },
    )
    return letter


def secret_letter_read_record(*, letter: Letter, actor: Actor, part: str) -> None:
    """Audit a read of a secret letter's content (ลับ, ลับมาก): its details, envelope or a file.

    Every view and download of a secret letter is logged (ระเบียบว่าด้วยการรักษาความลับของ
    ทางราชการ), whoever reads it; reads of other letters are not audited one by one.
    """
    if letter.secrecy == Secrecy.NONE:
        return
    with transaction.atomic(durable=True):
        audit_chain_lock()
        audit_record(
            action="letters.letter.secret_read",
            actor=actor,
            agency=letter.agency,
            target=letter,
            after={"part": part, "secrecy": letter.secrecy},
        )
