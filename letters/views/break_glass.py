"""The agency's list of break-glass openings: every time a hub administrator read one of its
secret letters, with who, when and why (docs/security.md, "Break-glass")."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from exchange.selectors import break_glass_accesses_of_agency

from .common import agency_of, clerk_page

PAGE_ROWS = 100


@clerk_page
@require_GET
def break_glass_list(request: HttpRequest) -> HttpResponse:
    agency = agency_of(request)
    page = Paginator(break_glass_accesses_of_agency(agency=agency), PAGE_ROWS).get_page(
        request.GET.get("page")
    )
    return render(request, "letters/break_glass_list.html", {"agency": agency, "page": page})
