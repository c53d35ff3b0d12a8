"""Reads of letters and registers, always scoped to one agency."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency

from .models import (
    Assignment,
    Attachment,
    AttachmentRole,
    Direction,
    DisplayPreference,
    Endorsement,
    Letter,
    LetterStatus,
    RegisterCancellation,
    RegisterEntry,
    RegisterKind,
    RegisterSeries,
    Secrecy,
    Urgency,
)
from .thai import to_arabic_digits, to_thai_digits

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


_CHECK_LABELS = {
    "parsed": _("The envelope is well-formed XML"),
    "sender_known": _("The sender is in the directory"),
    "signature_shape": _("The signature has the required form"),
    "certificate": _("The signer's certificate is valid and issued by a trusted authority"),
    "signature": _("The signature matches the content: nothing was changed after signing"),
    "schema": _("The envelope follows the envelope schema"),
    "message_type": _("The content matches the message type"),
    "recipient": _("The letter is addressed to this agency"),
    "clock": _("The signing time is within the allowed clock difference"),
    "secrecy": _("The secrecy level may travel electronically"),
}


@dataclass(frozen=True)
class InboxFilter:
    """What a clerk or an agency's system narrows the inbox by; every field optional."""

    statuses: tuple[str, ...] = ()
    urgencies: tuple[str, ...] = ()
    secrecies: tuple[str, ...] = ()
    sender_key: str = ""
    received_from: datetime.date | None = None
    received_to: datetime.date | None = None  # included


# A deadline (ด่วนภายใน) still binds while the letter is in the agency's hands; once it was
# refused or withdrawn there is nothing left to be late for.
_STILL_TO_ACT_ON = (LetterStatus.RECEIVED, LetterStatus.REGISTERED)


def inbox_letters(*, agency: Agency, where: InboxFilter | None = None) -> QuerySet[Letter]:
    """Return the agency's incoming letters, most urgent first, then by arrival.

    Each letter carries ``is_overdue``: its ด่วนภายใน deadline has passed while it is still
    to be acted on.
    """
    letters = Letter.objects.filter(agency=agency, direction=Direction.INCOMING)
    if where is not None:
        letters = _narrowed(letters, where)
    return (
        letters.select_related("sender_agency")
        .annotate(
            urgency_rank=_URGENCY_RANK,
            is_overdue=Case(
                When(
                    urgent_deadline__lt=timezone.now(),
                    status__in=_STILL_TO_ACT_ON,
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        # Same order as urgency_rank (codes 001–004 sort as text), but an index can serve
        # "-urgency" (letter_inbox_order) while it cannot serve the CASE expression.
        .order_by("-urgency", "created_at", "id")
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


def inbox_search(
    *, agency: Agency, query: str, where: InboxFilter | None = None
) -> QuerySet[Letter]:
    """Return the inbox (ordered as ``inbox_letters``) narrowed to letters whose number,
    subject or sender's name contains ``query``.

    Thai has no spaces between words, so this is substring matching, never word matching: a
    word from the middle of a subject finds the letter. Digits match in either script (a
    clerk types 0335, the letter says ๐๓๓๕). On PostgreSQL the subject and number are
    answered from trigram indexes (migration 0006); SQLite scans, which is fine at its scale.
    """
    letters = inbox_letters(agency=agency, where=where)
    query = query.strip()
    if not query:
        return letters
    variants = {query, to_thai_digits(query), to_arabic_digits(query)}
    matches = Q()
    senders = Q()
    for variant in variants:
        matches |= Q(subject__icontains=variant) | Q(number_text__icontains=variant)
        senders |= (
            Q(name_th__icontains=variant)
            | Q(name_en__icontains=variant)
            | Q(abbreviation__icontains=variant)
        )
    # Senders are looked up first in the (small) directory: an OR across a join would make
    # the database test every one of the agency's letters against the sender's names.
    sender_ids = list(Agency.objects.filter(senders).values_list("pk", flat=True)[:500])
    if sender_ids:
        matches |= Q(sender_agency_id__in=sender_ids)
    return letters.filter(matches)


def inbox_senders(*, agency: Agency) -> QuerySet[Agency]:
    """Return the agencies that have sent the agency letters, for the inbox's sender filter."""
    # EXISTS per directory agency probes letter_inbox_senders; "pk IN (subquery)" scanned the
    # agency's whole inbox to collect its senders.
    sent = Letter.objects.filter(
        agency=agency, direction=Direction.INCOMING, sender_agency=OuterRef("pk")
    )
    return Agency.objects.filter(Exists(sent)).order_by("name_th")


def letter_page(*, agency: Agency, letter_id: int) -> Letter | None:
    """Return one of the agency's letters with everything its page shows, or None."""
    return (
        Letter.objects.filter(agency=agency, pk=letter_id)
        .select_related("agency", "sender_agency")
        .prefetch_related(
            "recipients__agency",
            "references",
            "attachments",
            "endorsements__author",
            "assignments__assignee",
            "assignments__assigned_by",
        )
        .first()
    )


def letter_attachment(*, letter: Letter, attachment_id: int) -> Attachment | None:
    """Return one of the letter's attachments; another letter's is not found."""
    return Attachment.objects.filter(letter=letter, pk=attachment_id).first()


def letter_main_attachment(*, letter: Letter) -> Attachment | None:
    """Return the letter's main document (the signed letter itself), if it has one."""
    return Attachment.objects.filter(letter=letter, role=AttachmentRole.MAIN).first()


def letter_receive_entry(*, letter: Letter) -> RegisterEntry | None:
    """Return the receive register line of a registered incoming letter (latest revision)."""
    return (
        RegisterEntry.objects.filter(letter=letter, register=RegisterKind.RECEIVE)
        .order_by("-revision")
        .first()
    )


@dataclass(frozen=True)
class Verification:
    """What was proven when the letter's signed envelope arrived (exchange InboundEnvelope)."""

    signer_subject: str
    certificate_sha256: str
    signing_time: datetime.datetime | None
    verified_at: datetime.datetime | None
    signature_shape: str
    checks: tuple[str, ...]  # translated, in the order they passed
    check_codes: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        # Only envelopes that passed every check are stored; a record without the signature
        # check would be a hand-made row, not a verified letter.
        return bool(self.certificate_sha256) and "signature" in self.check_codes


def _instant(value: object) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def letter_verification(*, letter: Letter) -> Verification | None:
    """Return the evidence recorded when the letter's envelope was verified on arrival, or
    None for a letter that did not arrive as a signed envelope."""
    from exchange.models import InboundEnvelope

    inbound = InboundEnvelope.objects.filter(letter=letter).only("evidence").first()
    if inbound is None:
        return None
    evidence = inbound.evidence
    codes = tuple(str(code) for code in evidence.get("checks", []))
    return Verification(
        signer_subject=str(evidence.get("certificate_subject", "")),
        certificate_sha256=str(evidence.get("certificate_sha256", "")),
        signing_time=_instant(evidence.get("signing_time")),
        verified_at=_instant(evidence.get("verified_at")),
        signature_shape=str(evidence.get("signature_shape", "")),
        checks=tuple(str(_CHECK_LABELS.get(code, code)) for code in codes),
        check_codes=codes,
    )


def letter_is_overdue(letter: Letter) -> bool:
    """Say whether the letter's ด่วนภายใน deadline passed while it is still to be acted on."""
    return (
        letter.urgent_deadline is not None
        and letter.urgent_deadline < timezone.now()
        and letter.status in _STILL_TO_ACT_ON
    )


def letter_is_secret(letter: Letter) -> bool:
    """Say whether the letter's content is for the secret registry only (ลับ, ลับมาก)."""
    return letter.secrecy in (Secrecy.CONFIDENTIAL, Secrecy.SECRET)


def agency_members(*, agency: Agency) -> QuerySet[User]:
    """Return the active users who hold a role in the agency, to assign letters to."""
    return (
        User.objects.filter(memberships__agency=agency, is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def letter_endorsements(*, letter: Letter) -> QuerySet[Endorsement]:
    return Endorsement.objects.filter(letter=letter).select_related("author")


def letter_assignments(*, letter: Letter) -> QuerySet[Assignment]:
    return Assignment.objects.filter(letter=letter).select_related("assignee", "assigned_by")


def user_wants_thai_digits(*, user: object) -> bool:
    """Return the user's digit preference; Thai digits unless they chose otherwise."""
    if not isinstance(user, User) or not user.is_authenticated:
        return True
    preference = DisplayPreference.objects.filter(user=user).values_list("thai_digits", flat=True)
    return next(iter(preference), True)
