"""Drafting, numbering (ออกเลข) and registering (ลงรับ) letters."""

from __future__ import annotations

import copy
import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone

from agencies.models import Agency
from audit.services import Actor, audit_chain_lock, audit_record
from letters.errors import (
    LetterInvalid,
    LetterNotEditable,
    LetterNotNumberable,
    LetterNotRegistrable,
    TopSecretRefused,
)
from letters.letter_number import (
    SECRET_CIRCULAR_MARK,
    LetterNumber,
    Series,
    render_letter_number,
)
from letters.models import (
    Direction,
    Letter,
    LetterKind,
    LetterRecipient,
    LetterReference,
    LetterStatus,
    RecipientRole,
    RegisterEntry,
    RegisterKind,
    RegisterSeries,
    SealedContent,
    Secrecy,
    Urgency,
)
from letters.sealing import SealedPayload
from letters.selectors import letter_is_secret

from .attachments import (
    AttachmentUpload,
    StoredUploads,
    attachment_save,
    attachments_discard,
    attachments_store,
)
from .registers import RegisterColumns, register_number_allocate
from .sealed import (
    SECRET_CONTENT_FIELDS,
    attachments_seal,
    attachments_unseal,
    content_restore,
    content_take,
    letter_holds_sealed,
    seal_locked,
    sealed_read,
    sealing_certificate,
)


@dataclass(frozen=True)
class LetterFields:
    """The editable fields of a letter, in the order they appear on the page."""

    subject: str
    kind: str = LetterKind.EXTERNAL
    series: str = Series.NORMAL
    ministry_code: str = ""  # empty: the agency's ministry letter code
    sub_agency_code: str | None = None  # None: the agency's own
    unit_number: str | None = None  # None: the agency's own
    letter_date: datetime.date | None = None
    salutation: str = "เรียน"
    addressee: str = ""
    body: str = ""
    closing: str = "ขอแสดงความนับถือ"
    signer_name: str = ""
    signer_position: str = ""
    owning_unit: str = ""
    phone: str = ""
    email: str = ""
    urgency: str = Urgency.NORMAL
    secrecy: str = Secrecy.NONE
    urgent_deadline: datetime.datetime | None = None


@dataclass(frozen=True)
class AgencyRef:
    """An agency by primary key: all that a recipient row needs of it, without loading it.

    Filing an incoming circular names a thousand agencies per copy; loading each as a model
    instance cost more than writing the rows that point at them.
    """

    pk: int
    is_active: bool


@dataclass(frozen=True)
class RecipientInput:
    agency: Agency | AgencyRef
    role: str = RecipientRole.TO
    addressee: str = ""


@dataclass(frozen=True)
class ReferenceInput:
    number_text: str
    date: datetime.date | None = None
    subject: str = ""


@dataclass(frozen=True)
class LetterParts:
    recipients: Sequence[RecipientInput] = field(default_factory=tuple)
    references: Sequence[ReferenceInput] = field(default_factory=tuple)


def _snapshot(letter: Letter) -> dict[str, str]:
    secret = letter_is_secret(letter)
    return {
        f.name: "[ลับ]"
        if secret and f.name in SECRET_CONTENT_FIELDS
        else str(getattr(letter, f.name) or "")
        for f in fields(LetterFields)
    }


def _apply_fields(letter: Letter, values: LetterFields) -> None:
    if values.secrecy == Secrecy.TOP_SECRET:
        raise TopSecretRefused()
    agency = letter.agency
    for name, value in asdict(values).items():
        setattr(letter, name, value)
    letter.ministry_code = values.ministry_code or agency.ministry_letter_code
    if values.sub_agency_code is None:
        letter.sub_agency_code = agency.sub_agency_code
    if values.unit_number is None:
        letter.unit_number = agency.unit_number
    try:
        letter.full_clean(exclude=["agency", "sender_agency", "created_by"])
    except ValidationError as exc:
        raise LetterInvalid(details={"fields": exc.message_dict}) from exc
    _check_number_parts(letter)


def _check_number_parts(letter: Letter) -> None:
    """Refuse number parts that could never be printed, now rather than at ออกเลข time."""
    try:
        LetterNumber(
            ministry_code=letter.ministry_code,
            sub_agency_code=letter.sub_agency_code,
            # A draft may still lack its owner number; ออกเลข insists on it later.
            unit_number=letter.unit_number or "0",
            series=Series(letter.series),
            series_mark=letter.series_mark,
            running=1,
        )
    except ValueError as exc:
        raise LetterInvalid(details={"number": str(exc)}) from exc


def replace_parts(letter: Letter, parts: LetterParts) -> None:
    agencies = [recipient.agency.pk for recipient in parts.recipients]
    if len(set(agencies)) != len(agencies):
        raise LetterInvalid(details={"recipients": "An agency is listed more than once."})
    if any(not recipient.agency.is_active for recipient in parts.recipients):
        raise LetterInvalid(details={"recipients": "An inactive agency cannot receive letters."})
    letter.recipients.all().delete()
    letter.references.all().delete()
    _insert_recipients(letter, parts.recipients)
    LetterReference.objects.bulk_create(
        LetterReference(
            letter=letter,
            number_text=reference.number_text,
            date=reference.date,
            subject=reference.subject,
            position=index,
        )
        for index, reference in enumerate(parts.references)
    )


_RECIPIENT_COLUMNS = ("letter", "agency", "role", "addressee", "position")


def _insert_recipients(letter: Letter, recipients: Sequence[RecipientInput]) -> None:
    """Write the recipient rows with a few multi-row INSERTs.

    ``bulk_create`` runs every value of every row through the field machinery, about 25 µs a
    row; each copy of an incoming circular carries the whole distribution list, so a circular
    to a thousand agencies wrote a million rows that way, the largest single cost of delivering
    it. The values are plain integers and strings, bound as parameters.
    """
    rows = [
        (letter.pk, recipient.agency.pk, str(recipient.role), recipient.addressee, index)
        for index, recipient in enumerate(recipients)
    ]
    if not rows:
        return
    meta = LetterRecipient._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_recipient_column(name)) for name in _RECIPIENT_COLUMNS)
    row_placeholder = "(" + ", ".join(["%s"] * len(_RECIPIENT_COLUMNS)) + ")"
    # SQLite binds at most max_query_params values per statement; PostgreSQL has no such cap.
    limit = connection.features.max_query_params
    batch = min(500, limit // len(_RECIPIENT_COLUMNS)) if limit else 500
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([row_placeholder] * len(chunk)),
                [value for row in chunk for value in row],
            )


def _recipient_column(name: str) -> str:
    field = LetterRecipient._meta.get_field(name)
    assert isinstance(field, Field) and field.column  # a concrete column, not a relation
    return field.column


def letter_create_draft(
    *,
    agency: Agency,
    actor: Actor,
    values: LetterFields,
    parts: LetterParts | None = None,
    client_token: str | None = None,
    attachments: Sequence[AttachmentUpload] = (),
) -> Letter:
    """Create an outgoing draft in the agency's outbox, with its files when given.

    A repeated ``client_token`` (the same form posted twice) returns the first draft. The
    fields are checked before any file is stored, and the files are streamed into storage
    before the transaction (no lock is held during an upload); the draft and all its files
    then commit together, or nothing is kept.
    """
    if client_token:
        existing = Letter.objects.filter(agency=agency, client_token=client_token).first()
        if existing is not None:
            return existing
    letter = Letter(
        agency=agency,
        sender_agency=agency,
        direction=Direction.OUTGOING,
        status=LetterStatus.DRAFT,
        client_token=client_token or None,
        created_by=actor if isinstance(actor, User) else None,
    )
    # A refused letter (ลับที่สุด, a bad field, a secret letter the agency cannot keep
    # encrypted) must not cost its uploads first.
    _apply_fields(letter, values)
    secret = letter_is_secret(letter)
    if secret:
        sealing_certificate(agency=agency)
    stored = attachments_store(
        uploads=attachments, actor=actor, seal_for=agency if secret else None
    )
    try:
        created = _draft_save(letter, parts or LetterParts(), stored, actor)
    except BaseException:
        attachments_discard(stored.attachments)
        raise
    if created is not letter:
        # The same form won a race with a twin; its draft is the one, these files go.
        attachments_discard(stored.attachments)
    return created


def _without_reference_subjects(parts: LetterParts) -> tuple[LetterParts, tuple[str, ...]]:
    """Split a secret letter's references' subjects (content, sealed) from the rows' facts."""
    subjects = tuple(reference.subject for reference in parts.references)
    return (
        dataclasses.replace(
            parts,
            references=[dataclasses.replace(r, subject="") for r in parts.references],
        ),
        subjects,
    )


def _draft_save(letter: Letter, parts: LetterParts, stored: StoredUploads, actor: Actor) -> Letter:
    agency, client_token = letter.agency, letter.client_token
    payload = None
    if letter_is_secret(letter):
        # Off the row before its first INSERT: not even a dead row version holds the plaintext.
        fields = content_take(letter)
        parts, subjects = _without_reference_subjects(parts)
        payload = SealedPayload(fields=fields, reference_subjects=subjects, files=stored.sealed)
    with transaction.atomic(durable=True):
        audit_chain_lock()
        try:
            with transaction.atomic():
                letter.save()
        except IntegrityError:
            # The same form posted twice at once: the twin committed first, so return its
            # draft (READ COMMITTED sees it now) instead of failing the clerk.
            existing = Letter.objects.filter(agency=agency, client_token=client_token).first()
            if client_token and existing is not None:
                return existing
            raise
        replace_parts(letter, parts)
        audit_record(
            action="letters.letter.drafted",
            actor=actor,
            agency=agency,
            target=letter,
            after=_snapshot(letter),
        )
        for position, attachment in enumerate(stored.attachments):
            attachment_save(letter=letter, attachment=attachment, position=position, actor=actor)
        if payload is not None:
            seal_locked(letter=letter, payload=payload)
    return letter


def letter_update_draft(
    *, letter: Letter, actor: Actor, values: LetterFields, parts: LetterParts | None = None
) -> Letter:
    """Change a draft's fields (and its recipients and references when given)."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        return _update_locked_draft(locked, actor=actor, values=values, parts=parts)


def letter_change_draft(
    *,
    letter: Letter,
    actor: Actor,
    changes: Mapping[str, Any],
    recipients: Sequence[RecipientInput] | None = None,
    references: Sequence[ReferenceInput] | None = None,
) -> Letter:
    """Change only the named fields of a draft (and its recipients or references when given).

    The change is merged into the draft's current values under its row lock, so two systems
    changing different fields at once both keep their change.
    """
    unknown = set(changes) - {f.name for f in fields(LetterFields)}
    if unknown:
        raise LetterInvalid(details={"fields": {name: ["Unknown field."] for name in unknown}})
    with transaction.atomic(durable=True):
        audit_chain_lock()
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        values = dataclasses.replace(_fields_of(locked), **changes)
        parts = None
        if recipients is not None or references is not None:
            current = _parts_of(locked)
            parts = LetterParts(
                recipients=current.recipients if recipients is None else recipients,
                references=current.references if references is None else references,
            )
        return _update_locked_draft(locked, actor=actor, values=values, parts=parts)


def _update_locked_draft(
    letter: Letter, *, actor: Actor, values: LetterFields, parts: LetterParts | None
) -> Letter:
    if letter.status != LetterStatus.DRAFT:
        raise LetterNotEditable()
    before = _snapshot(letter)
    sealed_before = sealed_read(letter) if letter_holds_sealed(letter) else None
    _apply_fields(letter, values)
    if letter_is_secret(letter):
        _save_sealed(letter, parts=parts, sealed_before=sealed_before)
    else:
        letter.save()
        if parts is not None:
            replace_parts(letter, parts)
        if sealed_before is not None:
            _unseal_draft(letter, sealed_before, keep_references=parts is None)
    audit_record(
        action="letters.letter.updated",
        actor=actor,
        agency=letter.agency,
        target=letter,
        before=before,
        after=_snapshot(letter),
    )
    return letter


def _save_sealed(
    letter: Letter, *, parts: LetterParts | None, sealed_before: SealedPayload | None
) -> None:
    """Save a secret draft with its content sealed in a new box; files still in the clear (a
    draft just made secret) are encrypted, and the clear copies go when this commits."""
    fields = content_take(letter)
    if parts is not None:
        parts, subjects = _without_reference_subjects(parts)
    elif sealed_before is not None:
        subjects = sealed_before.reference_subjects
    else:
        references = list(letter.references.all())
        subjects = tuple(reference.subject for reference in references)
        letter.references.update(subject="")
    files = dict(sealed_before.files) if sealed_before is not None else {}
    files.update(attachments_seal(letter.attachments.all(), agency=letter.agency))
    letter.save()
    if parts is not None:
        replace_parts(letter, parts)
    seal_locked(
        letter=letter,
        payload=SealedPayload(fields=fields, reference_subjects=subjects, files=files),
    )


def _unseal_draft(letter: Letter, sealed_before: SealedPayload, *, keep_references: bool) -> None:
    """A secret draft made ordinary: its files and references' subjects back in the clear."""
    if keep_references:
        references = letter.references.all()
        for reference, subject in zip(references, sealed_before.reference_subjects, strict=False):
            reference.subject = subject
            reference.save(update_fields=["subject"])
    attachments_unseal(letter.attachments.all(), files=sealed_before.files)
    SealedContent.objects.filter(letter=letter).delete()


def _fields_of(letter: Letter) -> LetterFields:
    """Return a letter's editable fields as they are now (the number parts as stored); a
    sealed letter's content is read from its box, for this call only."""
    current = copy.copy(letter)
    if letter_holds_sealed(letter):
        content_restore(current, sealed_read(letter))
    return LetterFields(**{f.name: getattr(current, f.name) for f in fields(LetterFields)})


def _parts_of(letter: Letter) -> LetterParts:
    """Return a letter's recipients and references as they are now, in order (a sealed
    letter's references with their subjects from its box)."""
    references = list(letter.references.all())
    subjects = [reference.subject for reference in references]
    if letter_holds_sealed(letter):
        sealed = sealed_read(letter).reference_subjects
        subjects = [sealed[i] if i < len(sealed) else "" for i in range(len(references))]
    return LetterParts(
        recipients=[
            RecipientInput(agency=r.agency, role=r.role, addressee=r.addressee)
            for r in letter.recipients.select_related("agency")
        ],
        references=[
            ReferenceInput(number_text=r.number_text, date=r.date, subject=subject)
            for r, subject in zip(references, subjects, strict=True)
        ],
    )


def register_series_for(letter: Letter, *, register: RegisterKind) -> RegisterSeries:
    """Pick the register series: secret letters have their own; circulars theirs when sent."""
    if letter.secrecy in (Secrecy.CONFIDENTIAL, Secrecy.SECRET) or letter.series == Series.SECRET:
        return RegisterSeries.SECRET
    if register == RegisterKind.DISPATCH and letter.series == Series.CIRCULAR:
        return RegisterSeries.CIRCULAR
    return RegisterSeries.NORMAL


def _recipient_names(letter: Letter) -> str:
    """Name the main recipients for the register's "to" column, within the column's length.

    A circular to hundreds of agencies does not fit: the names that fit are followed by how
    many more there are (the full list stays on the letter itself).
    """
    names = [
        recipient.agency.abbreviation or recipient.agency.name_th
        for recipient in letter.recipients.select_related("agency")
        if recipient.role == RecipientRole.TO
    ]
    limit = RegisterEntry._meta.get_field("to_party").max_length or 1000
    text = ", ".join(names)
    if len(text) <= limit:
        return text
    for shown in range(len(names) - 1, -1, -1):
        text = ", ".join(names[:shown]) + f" และอีก {len(names) - shown} หน่วยงาน"
        if len(text) <= limit:
            break
    return text


def _render_number(letter: Letter, *, running: int) -> str:
    return render_letter_number(
        LetterNumber(
            ministry_code=letter.ministry_code,
            sub_agency_code=letter.sub_agency_code,
            unit_number=letter.unit_number,
            series=Series(letter.series),
            series_mark=letter.series_mark,
            running=running,
        )
    )


def letter_allocate_number(
    *, letter: Letter, actor: Actor, idempotency_key: str | None = None
) -> RegisterEntry:
    """Number an outgoing draft from the dispatch register (ออกเลข); idempotent per letter.

    Calling it again for a letter that already has its number returns the same entry, so a
    double click never costs a second number.
    """
    with transaction.atomic(durable=True):
        audit_chain_lock()
        letter = Letter.objects.select_for_update().select_related("agency").get(pk=letter.pk)
        return number_locked_letter(letter=letter, actor=actor, idempotency_key=idempotency_key)


def number_locked_letter(
    *, letter: Letter, actor: Actor, idempotency_key: str | None = None
) -> RegisterEntry:
    """Number a letter the caller has locked (SELECT … FOR UPDATE) in its own transaction."""
    numbered = RegisterEntry.objects.filter(
        letter=letter, register=RegisterKind.DISPATCH, revision=0
    ).first()
    if numbered is not None:
        return numbered
    if letter.direction != Direction.OUTGOING or letter.status != LetterStatus.DRAFT:
        raise LetterNotNumberable()
    if not letter.unit_number:
        raise LetterInvalid(details={"unit_number": "The owner number is missing."})
    _check_number_parts(letter)
    before = _snapshot(letter)
    series = register_series_for(letter, register=RegisterKind.DISPATCH)
    # The printed number must name the series it was drawn from, or a secret letter's
    # number 1 would read exactly like normal letter number 1. A secret circular keeps
    # its circular mark with the secret sign, as printed on real letters: ว(ล).
    if series == RegisterSeries.SECRET:
        letter.series_mark = SECRET_CIRCULAR_MARK if letter.series == Series.CIRCULAR else ""
        letter.series = Series.SECRET
    now = timezone.now()
    letter_date = letter.letter_date or timezone.localdate(now)

    def describe(number: int) -> RegisterColumns:
        return RegisterColumns(
            letter_number=_render_number(letter, running=number),
            letter_date=letter_date,
            from_party=letter.owning_unit or letter.agency.name_th,
            to_party=_recipient_names(letter),
            subject=letter.subject,
        )

    allocation = register_number_allocate(
        agency=letter.agency,
        register=RegisterKind.DISPATCH,
        series=series,
        letter=letter,
        registered_at=now,
        idempotency_key=idempotency_key,
        actor=actor,
        columns=describe,
    )
    entry = allocation.entry
    letter.running_number = entry.number
    letter.number_year = entry.year
    letter.letter_date = letter_date
    letter.status = LetterStatus.NUMBERED
    letter.save()
    audit_record(
        action="letters.letter.numbered",
        actor=actor,
        agency=letter.agency,
        target=letter,
        before=before,
        after={**_snapshot(letter), "number": entry.letter_number},
    )
    return entry


def lock_letter(letter: Letter) -> Letter:
    """Re-read a letter under a row lock, with the agencies its services need."""
    return (
        Letter.objects.select_for_update()
        .select_related("agency", "sender_agency")
        .get(pk=letter.pk)
    )


def letter_register_incoming(
    *, letter: Letter, actor: Actor, idempotency_key: str | None = None
) -> RegisterEntry:
    """Register an incoming letter in the receive register (ลงรับ); idempotent per letter."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        return register_locked_incoming(
            letter=lock_letter(letter), actor=actor, idempotency_key=idempotency_key
        )


def register_locked_incoming(
    *, letter: Letter, actor: Actor, idempotency_key: str | None = None
) -> RegisterEntry:
    """Register an incoming letter the caller has locked, in the caller's transaction."""
    registered = RegisterEntry.objects.filter(
        letter=letter, register=RegisterKind.RECEIVE, revision=0
    ).first()
    if registered is not None:
        return registered
    if letter.direction != Direction.INCOMING or letter.status != LetterStatus.RECEIVED:
        raise LetterNotRegistrable()
    allocation = register_number_allocate(
        agency=letter.agency,
        register=RegisterKind.RECEIVE,
        series=register_series_for(letter, register=RegisterKind.RECEIVE),
        letter=letter,
        idempotency_key=idempotency_key,
        actor=actor,
        columns=RegisterColumns(
            letter_number=letter.number_display(),
            letter_date=letter.letter_date,
            from_party=letter.sender_agency.name_th,
            to_party=letter.addressee or letter.agency.name_th,
            subject=letter.subject,
        ),
    )
    letter.status = LetterStatus.REGISTERED
    letter.save(update_fields=["status", "updated_at"])
    audit_record(
        action="letters.letter.registered",
        actor=actor,
        agency=letter.agency,
        target=letter,
        before={"status": LetterStatus.RECEIVED},
        after={"status": letter.status, "receive_number": allocation.entry.number},
    )
    return allocation.entry


# What a recipient may say instead of registering a letter.
REFUSALS = (LetterStatus.REJECTED, LetterStatus.WRONG_RECIPIENT)


def refuse_locked_incoming(
    *, letter: Letter, status: LetterStatus, reason: str, actor: Actor
) -> Letter:
    """Mark a received letter rejected (ปฏิเสธ) or sent to the wrong agency, with the reason."""
    if status not in REFUSALS:
        raise ValueError(f"{status} is not a refusal")
    if letter.direction != Direction.INCOMING or letter.status != LetterStatus.RECEIVED:
        raise LetterNotRegistrable()
    if not reason.strip():
        raise LetterInvalid(details={"reason": "A reason is required."})
    letter.status = status
    letter.save(update_fields=["status", "updated_at"])
    audit_record(
        action=f"letters.letter.{status}",
        actor=actor,
        agency=letter.agency,
        target=letter,
        before={"status": LetterStatus.RECEIVED},
        after={"status": status, "reason": reason},
    )
    return letter


def withdraw_locked_incoming(*, letter: Letter, reason: str, actor: Actor) -> Letter:
    """The sender withdrew this letter (ถอนเพื่อส่งใหม่): keep it, marked, with the reason.

    A registered letter keeps its receive number: the register line stays as it was.
    """
    if letter.direction != Direction.INCOMING:
        raise LetterNotRegistrable()
    if letter.status == LetterStatus.WITHDRAWN:
        return letter
    before = letter.status
    letter.status = LetterStatus.WITHDRAWN
    letter.save(update_fields=["status", "updated_at"])
    audit_record(
        action="letters.letter.withdrawn",
        actor=actor,
        agency=letter.agency,
        target=letter,
        before={"status": before},
        after={"status": letter.status, "reason": reason},
    )
    return letter
