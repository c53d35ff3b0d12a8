"""What every clerk page needs: the acting agency, the letter in it, and errors in words."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from agencies.acting import acting_agency
from agencies.models import Agency
from config.errors import HubError
from letters.models import Letter
from letters.selectors import letter_page


class NoAgency(Exception):
    """The signed-in user acts for no agency; the page tells them whom to ask."""


def agency_of(request: HttpRequest) -> Agency:
    agency = acting_agency(request)
    if agency is None:
        raise NoAgency()
    return agency


def no_agency_page(request: HttpRequest) -> HttpResponse:
    return render(request, "letters/no_agency.html", status=403)


def letter_or_404(request: HttpRequest, letter_id: int) -> Letter:
    """The acting agency's letter; any other agency's letter is a plain 404, never a 403,
    so that ids do not reveal what other agencies hold."""
    letter = letter_page(agency=agency_of(request), letter_id=letter_id)
    if letter is None:
        raise Http404()
    return letter


def signed_in_user(request: HttpRequest) -> User:
    """The request's user as a ``User`` (views are behind ``login_required``)."""
    user = request.user
    assert isinstance(user, User)
    return user


def tell_error(request: HttpRequest, error: HubError) -> None:
    """Show a service's refusal as the translated sentence it carries, never a trace."""
    messages.error(request, str(error.message))


def clerk_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Sign-in required, and a user acting for no agency gets the page saying whom to ask."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NoAgency:
            return no_agency_page(request)

    return login_required(wrapper)
