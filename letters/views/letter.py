"""One letter's page and its files: fields, verification, the PDF preview, the stamped PDF."""

from __future__ import annotations

import copy
import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from config.security.headers import framable_by_our_pages
from exchange.envelope import MessageType, ReferenceData
from exchange.models import Delivery, DeliveryStatus
from exchange.selectors import (
    AcknowledgementRecord,
    break_glass_accesses_of_letter,
    delivery_acknowledgements,
    letter_deliveries_with_attempts,
    letter_sending_progress,
)
from exchange.services.secret_letters import (
    OpenedSecretLetter,
    letter_held_encrypted,
    secret_letter_open,
)
from letters.display import thai_digits_wanted
from letters.errors import SecretContentRefused
from letters.forms import AssignmentForm, EndorsementForm, RefuseForm, WithdrawForm
from letters.models import (
    Attachment,
    AttachmentRole,
    Direction,
    Letter,
    LetterReference,
    LetterStatus,
    RecipientRole,
)
from letters.selectors import (
    agency_members,
    letter_attachment,
    letter_is_overdue,
    letter_is_secret,
    letter_main_attachment,
    letter_receive_entry,
    letter_verification,
)
from letters.services.routing import ROUTABLE
from letters.services.sealed import SECRET_CONTENT_FIELDS
from letters.services.secrecy import secret_content_allowed, secret_content_open
from letters.stamp import StampNotApplicable, receiving_stamp_of, stamp_sheet, stamped_pdf
from letters.thai import render_digits

from .common import clerk_page, letter_or_404, signed_in_user, tell_error

PDF = "application/pdf"


# The fields of a secret letter that exist only inside its encrypted envelope or sealed box.
_SECRET_FIELDS = ("kind", *SECRET_CONTENT_FIELDS)


def shown_letter(
    letter: Letter, opened: OpenedSecretLetter | None
) -> tuple[Letter, list[Attachment]]:
    """The letter and files as the page shows them: for an opened secret letter, unsaved
    copies carrying the decrypted fields and the files' real names (never saved: the rows keep
    only the clear facts)."""
    attachments = list(letter.attachments.all())
    if opened is None:
        return letter, attachments
    shown = copy.copy(letter)
    for name in _SECRET_FIELDS:
        setattr(shown, name, getattr(opened.letter, name))
    real = {item.stored_pk: item for item in opened.files}
    files = []
    for attachment in attachments:
        item = real.get(attachment.pk)
        file = copy.copy(attachment)
        if item is not None:
            file.name, file.media_type = item.name, item.media_type
            file.size, file.description = len(item.data), item.description
        files.append(file)
    return shown, files


def shown_references(
    letter: Letter, opened: OpenedSecretLetter | None, *, may_open: bool
) -> Sequence[LetterReference | ReferenceData]:
    """What the letter cites (อ้างถึง) as a page shows it: part of a secret letter's content,
    so shown only to those who may open it."""
    if opened is not None:
        return opened.references
    if letter_is_secret(letter) and not may_open:
        return []
    return list(letter.references.all())


@dataclass(frozen=True)
class TimelineStep:
    """One line of a recipient's timeline: when, what (in words), and the detail to act on."""

    at: datetime.datetime | None
    label: str
    detail: str = ""
    tone: str = ""  # "done", "refused" or "" (CSS only; the label says it in words)


_ACKNOWLEDGED = {
    MessageType.REJECTION.value: (_lazy("Rejected by the recipient"), "refused"),
    MessageType.WRONG_RECIPIENT.value: (_lazy("Marked as sent to the wrong agency"), "refused"),
    MessageType.WITHDRAWAL.value: (_lazy("Withdrawn"), "refused"),
    MessageType.RECEIVE_NUMBER_DISPUTE.value: (_lazy("Receive number disputed"), "refused"),
}


def timeline_of(
    copy: Delivery, acknowledgements: list[AcknowledgementRecord]
) -> list[TimelineStep]:
    """Return what happened to one recipient's copy, oldest first."""
    steps = [TimelineStep(at=copy.created_at, label=str(_("Queued for sending")))]
    for attempt in copy.attempts.all():
        if attempt.succeeded is False:
            steps.append(
                TimelineStep(
                    at=attempt.started_at,
                    label=str(_("Attempt failed")),
                    detail=attempt.error_code,
                )
            )
    if copy.delivered_at:
        steps.append(TimelineStep(at=copy.delivered_at, label=str(_("Delivered")), tone="done"))
    if copy.registered_at:
        steps.append(
            TimelineStep(
                at=copy.registered_at,
                label=str(_("Registered by the recipient")),
                detail=str(_("Receive number %(number)s"))
                % {"number": render_digits(copy.receive_number, thai=thai_digits_wanted())},
                tone="done",
            )
        )
    for record in acknowledgements:
        if record.message_type in _ACKNOWLEDGED:
            said, tone = _ACKNOWLEDGED[record.message_type]
            steps.append(
                TimelineStep(
                    at=record.recorded_at, label=str(said), detail=record.reason, tone=tone
                )
            )
    if copy.status in (DeliveryStatus.FAILED, DeliveryStatus.EXPIRED):
        ended = (
            pgettext("delivery", "Failed to deliver")
            if copy.status == DeliveryStatus.FAILED
            else pgettext("delivery", "Expired before delivery")
        )
        steps.append(
            TimelineStep(
                at=copy.updated_at,
                label=ended,
                detail=str(_("Error code: %(code)s")) % {"code": copy.last_error_code or "—"},
                tone="refused",
            )
        )
    return sorted(steps, key=lambda step: step.at or copy.created_at)


def letter_page_context(
    request: HttpRequest, letter: Letter, *, opened: OpenedSecretLetter | None = None, **forms: Any
) -> dict[str, Any]:
    """Everything the letter page shows; action views pass their bound forms to re-show
    them with errors."""
    user = signed_in_user(request)
    may_open = secret_content_allowed(letter=letter, user=user)
    incoming = letter.direction == Direction.INCOMING
    shown, attachments = shown_letter(letter, opened)
    references = shown_references(letter, opened, may_open=may_open)
    letter, recipients = shown, list(letter.recipients.all())
    copies = list(letter_deliveries_with_attempts(letter=letter)) if not incoming else []
    acknowledgements = delivery_acknowledgements(deliveries=copies)
    return {
        "copies": [(copy, timeline_of(copy, acknowledgements.get(copy.pk, []))) for copy in copies],
        "progress": letter_sending_progress(letter=letter) if copies else None,
        "is_draft": not incoming and letter.status == LetterStatus.DRAFT,
        "can_send": not incoming and letter.status in (LetterStatus.DRAFT, LetterStatus.NUMBERED),
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
        "letter": letter,
        "references": references,
        "may_open": may_open,
        "is_secret": letter_is_secret(letter),
        # Every break-glass opening of the agency's letter is shown to the agency, on the letter.
        "break_glass": list(break_glass_accesses_of_letter(letter=letter)),
        "is_overdue": letter_is_overdue(letter),
        "main": next((a for a in attachments if a.role == AttachmentRole.MAIN), None),
        "enclosures": [a for a in attachments if a.role == AttachmentRole.ENCLOSURE],
        "addressed_to": [r for r in recipients if r.role == RecipientRole.TO],
        "copies_to": [r for r in recipients if r.role == RecipientRole.CC],
        "verification": letter_verification(letter=letter),
        "receive_entry": letter_receive_entry(letter=letter) if incoming else None,
        "can_register": incoming and letter.status == LetterStatus.RECEIVED,
        "can_route": incoming and letter.status in ROUTABLE,
        "endorsements": list(letter.endorsements.all()),
        "assignments": list(letter.assignments.all()),
        "refuse_form": forms.get("refuse_form") or RefuseForm(),
        "endorsement_form": forms.get("endorsement_form") or EndorsementForm(),
        "assignment_form": forms.get("assignment_form")
        or AssignmentForm(members=agency_members(agency=letter.agency)),
    }


@clerk_page
@require_GET
def letter_detail(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = letter_or_404(request, letter_id)
    opened = None
    if letter_is_secret(letter):
        try:
            if letter_held_encrypted(letter=letter):
                # Decrypted for this answer only, with the agency's key; audited.
                opened = secret_letter_open(letter=letter, user=signed_in_user(request))
            else:
                secret_content_open(letter=letter, actor=signed_in_user(request))
        except SecretContentRefused as error:
            # The page still opens with what the register shows; the content stays closed.
            messages.warning(request, str(error.message))
    return render(
        request, "letters/letter_detail.html", letter_page_context(request, letter, opened=opened)
    )


@dataclass(frozen=True)
class _OpenFile:
    attachment: Attachment
    name: str
    media_type: str
    size: int
    data: bytes | None  # the decrypted bytes of a secret letter's file; None: read the file


def _open_file(request: HttpRequest, letter: Letter, attachment_id: int | None) -> _OpenFile:
    attachment = (
        letter_main_attachment(letter=letter)
        if attachment_id is None
        else letter_attachment(letter=letter, attachment_id=attachment_id)
    )
    if attachment is None:
        raise Http404()
    user = signed_in_user(request)
    try:
        if letter_is_secret(letter) and letter_held_encrypted(letter=letter):
            [item] = secret_letter_open(letter=letter, user=user, attachment=attachment).files
            return _OpenFile(attachment, item.name, item.media_type, len(item.data), item.data)
        secret_content_open(letter=letter, actor=user, attachment=attachment)
    except SecretContentRefused as error:
        raise PermissionDenied(str(error.message)) from error
    return _OpenFile(attachment, attachment.name, attachment.media_type, attachment.size, None)


def _read(opened: _OpenFile) -> bytes:
    if opened.data is not None:
        return opened.data
    with opened.attachment.file.open("rb") as stream:
        data: bytes = stream.read()
    return data


@clerk_page
@require_GET
@framable_by_our_pages  # the letter page previews the PDF in a frame
def attachment_file(request: HttpRequest, letter_id: int, attachment_id: int) -> HttpResponseBase:
    """Serve one of the letter's files. ``?inline=1`` shows a PDF in the browser; anything
    else, and any other type, downloads: a file a sender called text/html must never run
    as a page of the hub."""
    letter = letter_or_404(request, letter_id)
    opened = _open_file(request, letter, attachment_id)
    inline = request.GET.get("inline") == "1" and opened.media_type == PDF
    response = FileResponse(
        io.BytesIO(opened.data) if opened.data is not None else opened.attachment.file.open("rb"),
        as_attachment=not inline,
        filename=opened.name,
        content_type=opened.media_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _pdf_response(data: bytes, *, filename: str, inline: bool) -> HttpResponseBase:
    response = FileResponse(
        io.BytesIO(data), as_attachment=not inline, filename=filename, content_type=PDF
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _registered(request: HttpRequest, letter_id: int) -> tuple[Letter, Any]:
    letter = letter_or_404(request, letter_id)
    entry = letter_receive_entry(letter=letter)
    if entry is None:
        raise Http404()
    return letter, entry


@clerk_page
@require_GET
@framable_by_our_pages
def stamped_main_pdf(request: HttpRequest, letter_id: int) -> HttpResponseBase:
    """The main PDF with the receiving stamp (ตรารับ) on page 1, made from the register line."""
    letter, entry = _registered(request, letter_id)
    main = _open_file(request, letter, None)
    stamp = receiving_stamp_of(letter=letter, entry=entry)
    if main.media_type != PDF or main.size > settings.HUB_STAMP_MAX_BYTES:
        messages.warning(request, str(StampNotApplicable.default_message))
        return redirect("letter-detail", letter_id=letter.pk)
    source = _read(main)
    try:
        data = stamped_pdf(source, stamp)
    except StampNotApplicable as error:
        tell_error(request, error)
        return redirect("letter-detail", letter_id=letter.pk)
    name = f"{_('stamped')}-{main.name}"
    return _pdf_response(data, filename=name, inline=request.GET.get("download") != "1")


@clerk_page
@require_GET
def stamp_sheet_pdf(request: HttpRequest, letter_id: int) -> HttpResponseBase:
    """An A4 sheet carrying only the stamp, for a main file that cannot be stamped."""
    letter, entry = _registered(request, letter_id)
    main = letter_main_attachment(letter=letter)
    data = stamp_sheet(
        receiving_stamp_of(letter=letter, entry=entry), file_name=main.name if main else ""
    )
    return _pdf_response(data, filename=f"{_('receiving-stamp')}-{entry.number}.pdf", inline=True)
