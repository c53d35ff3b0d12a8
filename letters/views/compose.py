"""Compose (หนังสือออก): a new draft, changing it, ออกเลข, and ลงนามและส่ง.

A draft is created once per rendering of the form: ``{% form_token %}`` travels as the
service's ``client_token``, so a double-clicked "save" or "send" finds the first draft. Files
are checked by the form (size, PDF name) and again by the services (content: a PDF must start
like a PDF); a refusal is shown in Thai next to the files, never as a trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.models import Agency
from agencies.selectors import agency_search
from config.errors import HubError
from exchange.envelope import ReferenceData
from exchange.services.secret_letters import letter_held_encrypted, secret_letter_open
from exchange.services.sending import letter_send
from letters.display import thai_digits_wanted
from letters.errors import (
    AttachmentContentMismatch,
    AttachmentInvalid,
    AttachmentTooLarge,
    AttachmentTypeForbidden,
    AttachmentTypeNotAllowed,
    SecretContentRefused,
    TopSecretRefused,
)
from letters.forms import REFERENCE_ROWS, ComposeForm
from letters.models import (
    Attachment,
    AttachmentRole,
    Direction,
    Letter,
    LetterReference,
    LetterStatus,
    RecipientRole,
)
from letters.services.attachments import AttachmentUpload, attachment_add
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    ReferenceInput,
    letter_allocate_number,
    letter_create_draft,
    letter_update_draft,
)
from letters.services.secrecy import secret_content_allowed
from letters.thai import render_digits

from .common import agency_of, clerk_page, letter_or_404, signed_in_user, tell_error
from .letter import shown_letter, shown_references

FILE_ERRORS = (
    AttachmentContentMismatch,
    AttachmentInvalid,
    AttachmentTooLarge,
    AttachmentTypeForbidden,
    AttachmentTypeNotAllowed,
)
RECIPIENT_MATCHES = 20


def _values(data: dict[str, Any]) -> LetterFields:
    return LetterFields(
        subject=data["subject"],
        kind=data["kind"],
        series=data["series"],
        salutation=data["salutation"],
        addressee=data["addressee"],
        body=data["body"],
        closing=data["closing"],
        signer_name=data["signer_name"],
        signer_position=data["signer_position"],
        owning_unit=data["owning_unit"],
        phone=data["phone"],
        email=data["email"],
        urgency=data["urgency"],
        secrecy=data["secrecy"],
        urgent_deadline=data["urgent_deadline"],
    )


def _parts(data: dict[str, Any]) -> LetterParts:
    recipients = [
        RecipientInput(agency=agency, role=RecipientRole.TO, addressee=data["addressee"])
        for agency in data["to"]
    ] + [RecipientInput(agency=agency, role=RecipientRole.CC) for agency in data["cc"]]
    references = [
        ReferenceInput(
            number_text=data[f"reference_number_{index}"].strip(),
            date=data[f"reference_date_{index}"],
            subject=data[f"reference_subject_{index}"].strip(),
        )
        for index in range(REFERENCE_ROWS)
        if data[f"reference_number_{index}"].strip()
    ]
    return LetterParts(recipients=recipients, references=references)


def _uploads(data: dict[str, Any]) -> list[AttachmentUpload]:
    uploads = []
    main: Any = data.get("main_pdf")
    if main:
        uploads.append(
            AttachmentUpload(
                stream=main,
                name=main.name or "letter.pdf",
                media_type="application/pdf",
                role=AttachmentRole.MAIN,
            )
        )
    for enclosure in data.get("enclosures") or []:
        uploads.append(
            AttachmentUpload(
                stream=enclosure,
                name=enclosure.name or "enclosure",
                media_type=enclosure.content_type or "application/octet-stream",
                role=AttachmentRole.ENCLOSURE,
            )
        )
    return uploads


def _initial_of(
    letter: Letter, references: Sequence[LetterReference | ReferenceData]
) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(letter, name)
        for name in (
            "kind", "series", "subject", "salutation", "addressee", "body", "closing",
            "signer_name", "signer_position", "owning_unit", "phone", "email", "urgency",
            "secrecy",
        )
    }  # fmt: skip
    if letter.urgent_deadline:
        local = timezone.localtime(letter.urgent_deadline)
        initial["deadline_date"] = local.date().isoformat()
        initial["deadline_time"] = local.strftime("%H.%M")
    for index, reference in enumerate(references[:REFERENCE_ROWS]):
        initial[f"reference_number_{index}"] = reference.number_text
        initial[f"reference_date_{index}"] = reference.date.isoformat() if reference.date else ""
        initial[f"reference_subject_{index}"] = reference.subject
    return initial


def _chosen_of(letter: Letter) -> list[tuple[Agency, str]]:
    return [(r.agency, r.role) for r in letter.recipients.select_related("agency")]


def _render(
    request: HttpRequest,
    form: ComposeForm,
    *,
    letter: Letter | None = None,
    chosen: list[tuple[Agency, str]] | None = None,
    attachments: list[Attachment] | None = None,
    status: int = 200,
) -> HttpResponse:
    if attachments is None:
        attachments = list(letter.attachments.all()) if letter else []
    return render(
        request,
        "letters/compose.html",
        {
            "form": form,
            "letter": letter,
            "chosen": chosen if chosen is not None else form.chosen(),
            "attachments": attachments,
        },
        status=status,
    )


def _after_save(request: HttpRequest, letter: Letter, action: str) -> HttpResponse:
    """Number or send the saved draft when the clerk pressed that button."""
    actor = signed_in_user(request)
    try:
        if action == "send":
            deliveries = letter_send(letter=letter, actor=actor)
            letter.refresh_from_db()
            messages.success(
                request,
                _("Signed and sent as %(number)s to %(count)s recipients.")
                % {
                    "number": letter.number_display(thai_digits=_thai()),
                    "count": render_digits(str(len(deliveries)), thai=_thai()),
                },
            )
            return redirect("letter-detail", letter_id=letter.pk)
        if action == "number":
            entry = letter_allocate_number(letter=letter, actor=actor)
            messages.success(
                request,
                _("Numbered: %(number)s.")
                % {"number": render_digits(entry.letter_number, thai=_thai())},
            )
            return redirect("letter-detail", letter_id=letter.pk)
    except HubError as error:
        tell_error(request, error)
        return redirect("letter-detail", letter_id=letter.pk)
    messages.success(request, _("The draft was saved."))
    return redirect("letter-edit", letter_id=letter.pk)


def _thai() -> bool:
    return thai_digits_wanted()


def _file_field(error: HubError, data: dict[str, Any]) -> str:
    main = data.get("main_pdf")
    return "main_pdf" if main and error.details.get("name") == main.name else "enclosures"


@clerk_page
@require_http_methods(["GET", "POST"])
def letter_compose(request: HttpRequest) -> HttpResponse:
    """A new outgoing letter: save it as a draft, number it, or sign and send it."""
    agency = agency_of(request)
    if request.method != "POST":
        return _render(request, ComposeForm(own_agency=agency))
    form = ComposeForm(request.POST, request.FILES, own_agency=agency)
    if not form.is_valid():
        return _render(request, form, status=400)
    data = form.cleaned_data
    try:
        letter = letter_create_draft(
            agency=agency,
            actor=signed_in_user(request),
            values=_values(data),
            parts=_parts(data),
            client_token=data["form_token"],
            attachments=_uploads(data),
        )
    except TopSecretRefused as error:
        form.add_error("secrecy", str(error.message))
        return _render(request, form, status=400)
    except FILE_ERRORS as error:
        form.add_error(_file_field(error, data), str(error.message))
        return _render(request, form, status=400)
    except HubError as error:
        form.add_error(None, str(error.message))
        return _render(request, form, status=400)
    return _after_save(request, letter, request.POST.get("action", "save"))


def _draft_or_redirect(request: HttpRequest, letter_id: int) -> Letter | HttpResponse:
    letter = letter_or_404(request, letter_id)
    if letter.direction != Direction.OUTGOING or letter.status != LetterStatus.DRAFT:
        messages.info(request, _("Only a draft can be changed."))
        return redirect("letter-detail", letter_id=letter.pk)
    return letter


@clerk_page
@require_http_methods(["GET", "POST"])
def letter_edit(request: HttpRequest, letter_id: int) -> HttpResponse:
    """Change a draft; new files are added to it."""
    found = _draft_or_redirect(request, letter_id)
    if isinstance(found, HttpResponse):
        return found
    letter, agency = found, agency_of(request)
    if request.method != "POST":
        opened = None
        if letter_held_encrypted(letter=letter):
            # A sealed secret draft: only its secret-registry officers edit it, and opening
            # it for the form is an opening like any other (audited).
            try:
                opened = secret_letter_open(letter=letter, user=signed_in_user(request))
            except HubError as error:
                tell_error(request, error)
                return redirect("letter-detail", letter_id=letter.pk)
        shown, attachments = shown_letter(letter, opened)
        references = shown_references(letter, opened, may_open=True)
        return _render(
            request,
            ComposeForm(initial=_initial_of(shown, references), own_agency=agency),
            letter=letter,
            chosen=_chosen_of(letter),
            attachments=attachments,
        )
    if letter_held_encrypted(letter=letter) and not secret_content_allowed(
        letter=letter, user=signed_in_user(request)
    ):
        tell_error(request, SecretContentRefused())
        return redirect("letter-detail", letter_id=letter.pk)
    form = ComposeForm(request.POST, request.FILES, own_agency=agency)
    if not form.is_valid():
        return _render(request, form, letter=letter, status=400)
    data, actor = form.cleaned_data, signed_in_user(request)
    try:
        letter = letter_update_draft(
            letter=letter, actor=actor, values=_values(data), parts=_parts(data)
        )
        for upload in _uploads(data):
            attachment_add(
                letter=letter,
                actor=actor,
                stream=upload.stream,
                name=upload.name,
                media_type=upload.media_type,
                role=upload.role,
            )
    except TopSecretRefused as error:
        form.add_error("secrecy", str(error.message))
        return _render(request, form, letter=letter, status=400)
    except FILE_ERRORS as error:
        form.add_error(_file_field(error, data), str(error.message))
        return _render(request, form, letter=letter, status=400)
    except HubError as error:
        form.add_error(None, str(error.message))
        return _render(request, form, letter=letter, status=400)
    return _after_save(request, letter, request.POST.get("action", "save"))


@clerk_page
@require_POST
def letter_number(request: HttpRequest, letter_id: int) -> HttpResponse:
    """ออกเลข: idempotent per letter (a double click never costs a second number)."""
    letter = letter_or_404(request, letter_id)
    return _after_save(request, letter, "number")


@clerk_page
@require_POST
def letter_send_view(request: HttpRequest, letter_id: int) -> HttpResponse:
    """ลงนามและส่ง: number if needed, sign one envelope per recipient, queue them together."""
    letter = letter_or_404(request, letter_id)
    return _after_save(request, letter, "send")


@clerk_page
@require_GET
def recipient_search(request: HttpRequest) -> HttpResponse:
    """The directory picker (htmx): the chosen recipients, then agencies matching the query
    by Thai or English name or abbreviation (substring: Thai has no spaces between words)."""
    agency = agency_of(request)
    query = request.GET.get("q", "").strip()[:100]
    chosen_keys = {key: role for role in ("cc", "to") for key in request.GET.getlist(role)}
    chosen_agencies = {a.key: a for a in Agency.objects.filter(key__in=list(chosen_keys))}
    chosen = [(chosen_agencies[k], role) for k, role in chosen_keys.items() if k in chosen_agencies]
    matches = []
    if query:
        matches = [
            found
            for found in agency_search(query=query).exclude(pk=agency.pk)[:RECIPIENT_MATCHES]
            if found.key not in chosen_keys
        ]
    response = render(
        request,
        "letters/_recipient_choices.html",
        {"chosen": chosen, "matches": matches, "query": query},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response
