"""The outbox (หนังสือออก) and what a clerk does to one recipient's copy of a sent letter.

Redrive (failed/expired), withdraw with a reason (after a refusal or a failure) and resend
(after a withdrawal) each call one service and come back to the letter's timeline. A copy of
another agency's letter is a plain 404, like the letter itself.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.errors import HubError
from exchange.models import Delivery
from exchange.selectors import (
    delivery_of_agency,
    letter_sending_progress,
    outbox_with_deliveries,
)
from exchange.services.acknowledgements import delivery_withdraw
from exchange.services.outbox import delivery_redrive
from exchange.services.sending import letter_resend
from letters.forms import WithdrawForm
from letters.models import Direction

from .common import agency_of, clerk_page, letter_or_404, signed_in_user, tell_error


@clerk_page
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """The agency's outgoing letters, newest first, each with its recipients' states."""
    agency = agency_of(request)
    letters = outbox_with_deliveries(agency=agency).prefetch_related("recipients__agency")
    page = Paginator(letters, settings.HUB_INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "letters/outbox.html", {"agency": agency, "page": page})


@clerk_page
@require_GET
def sending_progress(request: HttpRequest, letter_id: int) -> HttpResponse:
    """The progress bar of a sent letter (htmx polls it; the bar stops polling at 100 %)."""
    letter = letter_or_404(request, letter_id)
    if letter.direction != Direction.OUTGOING:
        raise Http404()
    response = render(
        request,
        "letters/_sending_progress.html",
        {"letter": letter, "progress": letter_sending_progress(letter=letter)},
    )
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


def _copy_or_404(request: HttpRequest, letter_id: int, delivery_id: int) -> Delivery:
    letter = letter_or_404(request, letter_id)
    delivery = delivery_of_agency(agency=agency_of(request), delivery_id=delivery_id)
    if delivery is None or delivery.letter_id != letter.pk or delivery.message_type != "letter":
        raise Http404()
    return delivery


def _timeline(letter_id: int) -> HttpResponse:
    return redirect(f"{reverse('letter-detail', kwargs={'letter_id': letter_id})}#recipients")


@clerk_page
@require_POST
def delivery_redrive_view(request: HttpRequest, letter_id: int, delivery_id: int) -> HttpResponse:
    delivery = _copy_or_404(request, letter_id, delivery_id)
    try:
        delivery_redrive(delivery=delivery, actor=signed_in_user(request))
    except HubError as error:
        tell_error(request, error)
    else:
        messages.success(
            request,
            _("Sending to %(agency)s again.") % {"agency": delivery.recipient.name_th},
        )
    return _timeline(letter_id)


@clerk_page
@require_POST
def delivery_withdraw_view(request: HttpRequest, letter_id: int, delivery_id: int) -> HttpResponse:
    delivery = _copy_or_404(request, letter_id, delivery_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        for error in form["reason"].errors:
            messages.error(request, str(error))
        return _timeline(letter_id)
    try:
        delivery_withdraw(
            delivery=delivery, reason=form.cleaned_data["reason"], actor=signed_in_user(request)
        )
    except HubError as error:
        tell_error(request, error)
    else:
        messages.success(
            request,
            _("The copy to %(agency)s was withdrawn; %(agency)s has been told.")
            % {"agency": delivery.recipient.name_th},
        )
    return _timeline(letter_id)


@clerk_page
@require_POST
def delivery_resend_view(request: HttpRequest, letter_id: int, delivery_id: int) -> HttpResponse:
    delivery = _copy_or_404(request, letter_id, delivery_id)
    already = Delivery.objects.filter(
        letter_id=delivery.letter_id,
        recipient=delivery.recipient,
        message_type="letter",
        created_at__gt=delivery.created_at,
    ).exists()
    if already:
        # A double click: the first post already queued the new copy (the service would
        # return it too; this only tells the clerk so).
        messages.info(request, _("This copy was already sent again."))
        return _timeline(letter_id)
    try:
        letter_resend(delivery=delivery, actor=signed_in_user(request))
    except HubError as error:
        tell_error(request, error)
    else:
        messages.success(
            request, _("Sent again to %(agency)s.") % {"agency": delivery.recipient.name_th}
        )
    return _timeline(letter_id)
