"""The inbox (หนังสือเข้า): most urgent first, filters, Thai substring search, pages."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from letters.forms import InboxFilterForm
from letters.selectors import inbox_search, inbox_senders

from .common import agency_of, clerk_page


def _is_partial(request: HttpRequest) -> bool:
    # htmx asks for the results only, except when it restores a page from history.
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@clerk_page
def inbox(request: HttpRequest) -> HttpResponse:
    agency = agency_of(request)
    form = InboxFilterForm(request.GET or None, senders=inbox_senders(agency=agency))
    if form.is_bound and form.is_valid():
        letters = inbox_search(
            agency=agency, query=form.cleaned_data["q"], where=form.inbox_filter()
        )
    else:
        # Invalid filters show their errors and the unfiltered inbox, never an empty page.
        letters = inbox_search(agency=agency, query="")
    page = Paginator(letters, settings.HUB_INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    template = "letters/_inbox_results.html" if _is_partial(request) else "letters/inbox.html"
    response = render(
        request,
        template,
        {"agency": agency, "form": form, "page": page, "filtered": bool(request.GET)},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response
