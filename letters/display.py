"""Per-request display choices that template filters need but cannot be passed.

Django filters see only their value, yet "render this number in Thai digits?" is the signed-in
user's preference. The middleware puts the request in a context variable for the length of
the request; filters ask ``thai_digits_wanted()``, which reads the preference once per request
(and not at all on pages that show no number). Outside a request (emails, exports, shells)
the official style applies: Thai digits.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_current: ContextVar[HttpRequest | None] = ContextVar("display_request", default=None)
_CACHE_ATTRIBUTE = "_hub_thai_digits"


def thai_digits_wanted() -> bool:
    """Say whether numbers and dates on the current page are to be shown in Thai digits."""
    request = _current.get()
    if request is None:
        return True
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is None:
        from letters.selectors import user_wants_thai_digits

        cached = user_wants_thai_digits(user=getattr(request, "user", None))
        setattr(request, _CACHE_ATTRIBUTE, cached)
    return bool(cached)


class DisplayPreferenceMiddleware:
    """Make the request's display preferences visible to template filters."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
