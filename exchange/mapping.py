"""Translate between the hub's models and envelope data (exchange.envelope.types)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Iterator, Sequence

from agencies.models import Agency
from agencies.selectors import active_agency_ids
from exchange.envelope import (
    DistributionEntry,
    EncryptedLetterData,
    Envelope,
    Header,
    LetterData,
    LetterNumberData,
    ManifestEntry,
    MessageType,
    Party,
    ReferenceData,
)
from letters.letter_number import parse_letter_number
from letters.models import Attachment, Letter, RecipientRole, Secrecy
from letters.models.sealed import SECRET_PLACEHOLDER_SUBJECT
from letters.services.letters import (
    AgencyRef,
    LetterFields,
    LetterParts,
    RecipientInput,
    ReferenceInput,
)


def party_for(agency: Agency) -> Party:
    return Party(
        agency_key=agency.key,
        name_th=agency.name_th,
        ecms_ministry_code=agency.ecms_ministry_code,
        ecms_department_code=agency.ecms_department_code,
    )


def manifest_id(attachment: Attachment) -> str:
    return f"att-{attachment.pk}"


def manifest_for(letter: Letter) -> tuple[ManifestEntry, ...]:
    return tuple(
        ManifestEntry(
            attachment_id=manifest_id(attachment),
            role=attachment.role,
            name=attachment.name,
            media_type=attachment.media_type,
            size=attachment.size,
            sha256=attachment.sha256,
            description=attachment.description,
        )
        for attachment in letter.attachments.all()
    )


def letter_data(letter: Letter, *, reference_subjects: Sequence[str] | None = None) -> LetterData:
    """The letter part of an envelope. A sealed secret letter passes its opened copy and its
    references' subjects from the box (the rows hold none)."""
    references = list(letter.references.all())
    subjects = [r.subject for r in references] if reference_subjects is None else reference_subjects
    number = letter.number
    if number is None or letter.letter_date is None:
        raise ValueError("Only a numbered, dated letter goes into an envelope.")
    return LetterData(
        kind=letter.kind,
        number=LetterNumberData(
            ministry_code=number.ministry_code,
            sub_agency_code=number.sub_agency_code,
            unit_number=number.unit_number,
            series=number.series.value,
            series_mark=letter.series_mark,
            running=number.running,
            year=letter.number_year,
            text=letter.number_display(),
        ),
        date=letter.letter_date,
        subject=letter.subject,
        urgency=letter.urgency,
        secrecy=letter.secrecy,
        urgent_deadline=letter.urgent_deadline,
        salutation=letter.salutation,
        addressee=letter.addressee,
        references=tuple(
            ReferenceData(number_text=r.number_text, date=r.date, subject=subject)
            for r, subject in zip(references, subjects, strict=False)
        ),
        body=letter.body,
        closing=letter.closing,
        signer_name=letter.signer_name,
        signer_position=letter.signer_position,
        owning_unit=letter.owning_unit,
        phone=letter.phone,
        email=letter.email,
        distribution=tuple(
            DistributionEntry(
                party=party_for(recipient.agency),
                role=recipient.role,
                addressee=recipient.addressee,
            )
            for recipient in letter.recipients.select_related("agency")
        ),
    )


def letter_envelopes(
    *,
    letter: Letter,
    recipients: Sequence[Agency],
    conversation_id: str,
    created_at: datetime.datetime,
) -> Iterator[tuple[str, Envelope]]:
    """Yield (message id, envelope) of each recipient's copy of a numbered outgoing letter.

    The letter part (with its distribution list and manifest) is read from the database once
    and shared by every copy: only the header names the recipient.
    """
    sender = party_for(letter.agency)
    data = letter_data(letter)
    manifest = manifest_for(letter)
    for recipient in recipients:
        message_id = str(uuid.uuid4())
        yield (
            message_id,
            Envelope(
                header=Header(
                    message_id=message_id,
                    message_type=MessageType.LETTER,
                    created_at=created_at,
                    sender=sender,
                    recipient=party_for(recipient),
                    conversation_id=conversation_id,
                ),
                letter=data,
                manifest=manifest,
            ),
        )


def letter_envelope(
    *,
    letter: Letter,
    recipient: Agency,
    message_id: str,
    conversation_id: str,
    created_at: datetime.datetime,
) -> Envelope:
    """The envelope of one recipient's copy of a numbered outgoing letter."""
    return Envelope(
        header=Header(
            message_id=message_id,
            message_type=MessageType.LETTER,
            created_at=created_at,
            sender=party_for(letter.agency),
            recipient=party_for(recipient),
            conversation_id=conversation_id,
        ),
        letter=letter_data(letter),
        manifest=manifest_for(letter),
    )


def incoming_values(data: LetterData) -> tuple[LetterFields, LetterParts]:
    """What the recipient's copy of a letter holds, from the verified letter data."""
    try:
        parsed = parse_letter_number(data.number.text) if data.number.text else None
    except ValueError:
        parsed = None
    # Primary keys only: a circular's copy names a thousand agencies (see AgencyRef).
    known = active_agency_ids(keys=[entry.party.agency_key for entry in data.distribution])
    values = LetterFields(
        subject=data.subject,
        kind=data.kind,
        series=parsed.series.value if parsed else data.number.series,
        ministry_code=data.number.ministry_code,
        sub_agency_code=data.number.sub_agency_code,
        unit_number=data.number.unit_number,
        letter_date=data.date,
        salutation=data.salutation,
        addressee=data.addressee,
        body=data.body,
        closing=data.closing,
        signer_name=data.signer_name,
        signer_position=data.signer_position,
        owning_unit=data.owning_unit,
        phone=data.phone,
        email=data.email,
        urgency=data.urgency,
        secrecy=data.secrecy,
        urgent_deadline=data.urgent_deadline,
    )
    parts = LetterParts(
        # Agencies our directory does not know stay in the signed envelope, not in the copy.
        recipients=[
            RecipientInput(
                agency=AgencyRef(pk=known[entry.party.agency_key], is_active=True),
                role=RecipientRole.CC if entry.role == "cc" else RecipientRole.TO,
                addressee=entry.addressee,
            )
            for entry in data.distribution
            if entry.party.agency_key in known
        ],
        references=[
            ReferenceInput(number_text=r.number_text, date=r.date, subject=r.subject)
            for r in data.references
        ],
    )
    return values, parts


def secret_copy_values(
    encrypted: EncryptedLetterData, *, holder: Agency
) -> tuple[LetterFields, LetterParts]:
    """What the row of a secret letter's copy holds: only the facts the envelope shows in the
    clear (number, date, urgency, secrecy, deadline); no subject, body, names or files' names.
    """
    values = LetterFields(
        subject=SECRET_PLACEHOLDER_SUBJECT,
        series=encrypted.number.series,
        ministry_code=encrypted.number.ministry_code,
        sub_agency_code=encrypted.number.sub_agency_code,
        unit_number=encrypted.number.unit_number,
        letter_date=encrypted.date,
        salutation="",
        closing="",
        urgency=encrypted.urgency,
        secrecy=encrypted.secrecy,
        urgent_deadline=encrypted.urgent_deadline,
    )
    return values, LetterParts(recipients=[RecipientInput(agency=holder)], references=[])


def copy_values(envelope: Envelope, *, holder: Agency) -> tuple[LetterFields, LetterParts]:
    """The row values of a letter envelope's copy: the letter's, or a secret letter's clear
    facts only."""
    if envelope.encrypted_letter is not None:
        return secret_copy_values(envelope.encrypted_letter, holder=holder)
    if envelope.letter is None:
        raise ValueError("Not a letter envelope.")
    return incoming_values(envelope.letter)


def envelope_urgency(envelope: Envelope) -> str:
    """The urgency of a letter envelope (in the clear for secret letters too), or ""."""
    if envelope.encrypted_letter is not None:
        return envelope.encrypted_letter.urgency
    return envelope.letter.urgency if envelope.letter is not None else ""


def envelope_is_secret(envelope: Envelope) -> bool:
    return envelope.encrypted_letter is not None and envelope.encrypted_letter.secrecy in (
        Secrecy.CONFIDENTIAL,
        Secrecy.SECRET,
    )


def manifest_pairs(
    manifest: Iterable[ManifestEntry], attachments: Iterable[Attachment]
) -> dict[str, Attachment]:
    """Name stored files by an envelope's manifest ids, matched by digest in order (two
    identical files are interchangeable)."""
    unused = list(attachments)
    pairs: dict[str, Attachment] = {}
    for entry in manifest:
        match = next(a for a in unused if a.sha256 == entry.sha256)
        unused.remove(match)
        pairs[entry.attachment_id] = match
    return pairs
