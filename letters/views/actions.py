"""What a clerk does to a received letter: ลงรับ, refuse, endorse (เกษียน), assign.

Each action is a POST that calls one service and redirects back to the letter (post, then
redirect, then get: reloading the page never posts again). A form with errors re-shows the
letter page with the errors beside the fields. A double submission is one action: ลงรับ is
idempotent per letter in its service, endorsements and assignments carry the form's token,
and a refusal that already happened is reported as done.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import HubError
from exchange.services.acknowledgements import incoming_letter_refuse, incoming_letter_register
from letters.display import thai_digits_wanted
from letters.errors import LetterNotRegistrable
from letters.forms import AssignmentForm, EndorsementForm, RefuseForm
from letters.models import LetterStatus
from letters.selectors import agency_members
from letters.services.routing import endorsement_add, letter_assign
from letters.services.secrecy import secret_content_allowed
from letters.thai import render_digits

from .common import clerk_page, letter_or_404, signed_in_user, tell_error
from .letter import letter_page_context


def _back(letter_id: int, anchor: str = "") -> HttpResponse:
    url = reverse("letter-detail", kwargs={"letter_id": letter_id})
    return redirect(f"{url}#{anchor}" if anchor else url)


@clerk_page
@require_POST
def letter_register(request: HttpRequest, letter_id: int) -> HttpResponse:
    """ลงรับ: one click allocates the receive number and sends the registration back."""
    letter = letter_or_404(request, letter_id)
    try:
        entry = incoming_letter_register(letter=letter, actor=signed_in_user(request))
    except HubError as error:
        tell_error(request, error)
        return _back(letter.pk)
    messages.success(
        request,
        _("Registered. Receive number %(number)s.")
        % {"number": render_digits(str(entry.number), thai=thai_digits_wanted())},
    )
    return _back(letter.pk, "receiving")


@clerk_page
@require_POST
def letter_refuse(request: HttpRequest, letter_id: int) -> HttpResponse:
    """Reject (ปฏิเสธ) or mark as sent to the wrong agency, with the reason the sender sees."""
    letter = letter_or_404(request, letter_id)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "letters/letter_detail.html",
            letter_page_context(request, letter, refuse_form=form),
            status=400,
        )
    outcome = LetterStatus(form.cleaned_data["outcome"])
    try:
        incoming_letter_refuse(
            letter=letter,
            status=outcome,
            reason=form.cleaned_data["reason"],
            actor=signed_in_user(request),
        )
    except LetterNotRegistrable as error:
        letter.refresh_from_db(fields=["status"])
        if letter.status == outcome:
            # The same form posted twice: the first post did it, the second changes nothing.
            messages.info(request, _("This letter was already refused; nothing more was sent."))
        else:
            tell_error(request, error)
        return _back(letter.pk)
    except HubError as error:
        tell_error(request, error)
        return _back(letter.pk)
    if outcome == LetterStatus.REJECTED:
        messages.success(request, _("The letter was rejected. The sender has been told why."))
    else:
        messages.success(
            request,
            _("The letter was marked as sent to the wrong agency. The sender has been told."),
        )
    return _back(letter.pk)


@clerk_page
@require_POST
def letter_endorse(request: HttpRequest, letter_id: int) -> HttpResponse:
    """Write an endorsement (เกษียนหนังสือ) on a received letter."""
    letter = letter_or_404(request, letter_id)
    user = signed_in_user(request)
    form = EndorsementForm(request.POST)
    if not secret_content_allowed(letter=letter, user=user):
        messages.error(request, _("Only secret-registry officers may endorse a secret letter."))
        return _back(letter.pk)
    if not form.is_valid():
        return render(
            request,
            "letters/letter_detail.html",
            letter_page_context(request, letter, endorsement_form=form),
            status=400,
        )
    try:
        endorsement_add(
            letter=letter,
            actor=user,
            text=form.cleaned_data["text"],
            client_token=form.cleaned_data["form_token"],
        )
    except HubError as error:
        tell_error(request, error)
        return _back(letter.pk)
    messages.success(request, _("The endorsement was saved."))
    return _back(letter.pk, "routing")


@clerk_page
@require_POST
def letter_assign_view(request: HttpRequest, letter_id: int) -> HttpResponse:
    """Assign a received letter to a member of the agency."""
    letter = letter_or_404(request, letter_id)
    user = signed_in_user(request)
    form = AssignmentForm(request.POST, members=agency_members(agency=letter.agency))
    if not form.is_valid():
        return render(
            request,
            "letters/letter_detail.html",
            letter_page_context(request, letter, assignment_form=form),
            status=400,
        )
    assignee = form.cleaned_data["assignee"]
    try:
        letter_assign(
            letter=letter,
            actor=user,
            assignee=assignee,
            note=form.cleaned_data["note"],
            client_token=form.cleaned_data["form_token"],
        )
    except HubError as error:
        tell_error(request, error)
        return _back(letter.pk)
    messages.success(
        request,
        _("The letter was assigned to %(name)s.")
        % {"name": assignee.get_full_name() or assignee.get_username()},
    )
    return _back(letter.pk, "routing")
