"""The clerk's home page: what the acting agency has in its outbox, inbox and registers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from agencies.acting import acting_agency
from agencies.selectors import agency_roles_of_user
from exchange.selectors import break_glass_accesses_of_agency
from letters.models import RegisterKind
from letters.selectors import inbox_letters, outbox_letters, register_lines

RECENT = 10


@login_required
def home(request: HttpRequest) -> HttpResponse:
    agency = acting_agency(request)
    context: dict[str, object] = {"agency": agency}
    if agency is not None:
        today = timezone.localdate()
        year_start = today.replace(month=1, day=1)
        context.update(
            roles=sorted(agency_roles_of_user(user=request.user, agency=agency)),
            outbox=outbox_letters(agency=agency).prefetch_related("recipients__agency")[:RECENT],
            inbox=inbox_letters(agency=agency)[:RECENT],
            dispatch_count=register_lines(
                agency=agency, register=RegisterKind.DISPATCH, date_from=year_start, date_to=today
            ).count(),
            receive_count=register_lines(
                agency=agency, register=RegisterKind.RECEIVE, date_from=year_start, date_to=today
            ).count(),
            # Shown to every member: no hub administrator's opening goes unnoticed.
            break_glass_count=break_glass_accesses_of_agency(agency=agency).count(),
        )
    return render(request, "letters/home.html", context)
