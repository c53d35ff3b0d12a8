"""The header's Thai-digits switch."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from letters.services.preferences import display_preference_set

from .common import signed_in_user


@login_required
@require_POST
def display_preference(request: HttpRequest) -> HttpResponse:
    display_preference_set(
        user=signed_in_user(request), thai_digits=request.POST.get("thai_digits") == "1"
    )
    target = request.POST.get("next", "")
    # Back to the page the switch was on, but only to a page of this hub (no open redirect).
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "home"
    return redirect(target)
