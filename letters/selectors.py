"""Reads of letters and registers, always scoped to one agency."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Exists, IntegerField, OuterRef, QuerySet, Value, When
from django.utils import timezone

from agencies.models import Agency

from .models import (
    Attachment,
    Direction,
    Letter,
    RegisterCancellation,
    RegisterEntry,
    RegisterKind,
    RegisterSeries,
    Urgency,
)

# Most urgent first: ด่วนที่สุด, ด่วนมาก, ด่วน, ปกติ.
_URGENCY_RANK = Case(
    *(When(urgency=code, then=Value(rank)) for rank, code in enumerate(reversed(Urgency.values))),
    output_field=IntegerField(),
)


def outbox_letters(*, agency: Agency) -> QuerySet[Letter]:
    """Return the agency's outgoing letters, newest first."""
    return Letter.objects.filter(agency=agency, direction=Direction.OUTGOING).order_by(
        "-created_at", "-id"
    )


@dataclass(frozen=True)
class InboxFilter:
    """What a clerk or an agency's system narrows the inbox by; every field optional."""

    statuses: tuple[str, ...] = ()
    urgencies: tuple[str, ...] = ()
    secrecies: tuple[str, ...] = ()
    sender_key: str = ""
    received_from: datetime.date | None = None
    received_to: datetime.date | None = None  # included


def inbox_letters(*, agency: Agency, where: InboxFilter | None = None) -> QuerySet[Letter]:
    """Return the agency's incoming letters, most urgent first, then by arrival."""
    letters = Letter.objects.filter(agency=agency, direction=Direction.INCOMING)
    if where is not None:
        letters = _narrowed(letters, where)
    return (
        letters.select_related("sender_agency")
        .annotate(urgency_rank=_URGENCY_RANK)
        .order_by("urgency_rank", "created_at", "id")
    )


def _narrowed(letters: QuerySet[Letter], where: InboxFilter) -> QuerySet[Letter]:
    if where.statuses:
        letters = letters.filter(status__in=where.statuses)
    if where.urgencies:
        letters = letters.filter(urgency__in=where.urgencies)
    if where.secrecies:
        letters = letters.filter(secrecy__in=where.secrecies)
    if where.sender_key:
        letters = letters.filter(sender_agency__key=where.sender_key)
    if where.received_from is not None:
        letters = letters.filter(created_at__gte=_bangkok_midnight(where.received_from))
    if where.received_to is not None:
        next_day = where.received_to + datetime.timedelta(days=1)
        letters = letters.filter(created_at__lt=_bangkok_midnight(next_day))
    return letters


def _bangkok_midnight(day: datetime.date) -> datetime.datetime:
    """Start of a calendar day where the hub's users live (TIME_ZONE, Asia/Bangkok)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def letter_of_agency(*, agency: Agency, letter_id: int) -> Letter | None:
    """Return one of the agency's letters; another agency's letter is simply not found."""
    return Letter.objects.filter(agency=agency, pk=letter_id).first()


def inbox_letter(*, agency: Agency, letter_id: int) -> Letter | None:
    """Return one of the agency's incoming letters with its parts; another agency's letter
    (or one of its own outgoing ones) is simply not found."""
    return (
        Letter.objects.filter(agency=agency, direction=Direction.INCOMING, pk=letter_id)
        .select_related("agency", "sender_agency")
        .prefetch_related("recipients__agency", "references", "attachments")
        .first()
    )


def inbox_attachment(*, agency: Agency, letter_id: int, attachment_id: int) -> Attachment | None:
    """Return a file of one of the agency's incoming letters, or None."""
    return (
        Attachment.objects.filter(
            pk=attachment_id,
            letter_id=letter_id,
            letter__agency=agency,
            letter__direction=Direction.INCOMING,
        )
        .select_related("letter__agency")
        .first()
    )


def receive_entry_of_letter(*, letter: Letter) -> RegisterEntry | None:
    """Return the receive register line that numbered an incoming letter (its original)."""
    return RegisterEntry.objects.filter(
        letter=letter, register=RegisterKind.RECEIVE, revision=0
    ).first()


def register_lines(
    *,
    agency: Agency,
    register: RegisterKind,
    date_from: datetime.date,
    date_to: datetime.date,
    series: RegisterSeries | None = None,
) -> QuerySet[RegisterEntry]:
    """Return the register as printed: the latest revision of each number in the date range.

    Each line carries ``is_cancelled``; cancelled numbers stay in the register (ยกเลิก).
    Dates are Bangkok calendar days, both ends included.
    """
    start = _bangkok_midnight(date_from)
    end = _bangkok_midnight(date_to + datetime.timedelta(days=1))
    same_number = {
        "agency": OuterRef("agency"),
        "register": OuterRef("register"),
        "series": OuterRef("series"),
        "year": OuterRef("year"),
        "number": OuterRef("number"),
    }
    lines = RegisterEntry.objects.filter(
        agency=agency, register=register, registered_at__gte=start, registered_at__lt=end
    )
    if series is not None:
        lines = lines.filter(series=series)
    newer = RegisterEntry.objects.filter(**same_number, revision__gt=OuterRef("revision"))
    cancelled = RegisterCancellation.objects.filter(
        **{f"entry__{name}": ref for name, ref in same_number.items()}
    )
    printed: QuerySet[RegisterEntry] = (
        lines.filter(~Exists(newer))
        .annotate(is_cancelled=Exists(cancelled))
        .order_by("series", "year", "number")
    )
    return printed


def outgoing_letter_of_agency(*, agency: Agency, letter_id: int) -> Letter | None:
    """Return one of the agency's outgoing letters (a draft or one it sent), with its parts.

    Another agency's letter, and the agency's own incoming copies, are simply not found.
    """
    return (
        Letter.objects.filter(agency=agency, direction=Direction.OUTGOING, pk=letter_id)
        .select_related("agency")
        .prefetch_related("recipients__agency", "references", "attachments")
        .first()
    )


def attachment_of_letter(*, letter: Letter, attachment_id: int) -> Attachment | None:
    """Return one file of a letter the caller already holds; another letter's is not found."""
    return Attachment.objects.filter(letter=letter, pk=attachment_id).first()
