"""Content-Security-Policy and the other response headers every page gets.

Scripts only from our own origin (htmx is vendored, Swagger UI's assets come from the sidecar
package, and no page has inline script); styles from our origin plus inline style attributes
(low risk, and what htmx's indicators use); frames only of our own pages (the inline PDF
preview); nothing may frame our pages: a view serving a file for the preview opts in with
``framable_by_us``. Django's SecurityMiddleware adds nosniff,
Referrer-Policy and Cross-Origin-Opener-Policy; X-Frame-Options comes from its own middleware.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

_Response = TypeVar("_Response", bound=HttpResponseBase)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'self'",
        "frame-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def framable_by_us(response: _Response) -> _Response:
    """Let our own pages show this response in a frame (the inline PDF preview), no one else."""
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    )
    return response


def framable_by_our_pages(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """View decorator: its responses may be shown in a frame of our own pages (and X-Frame-
    Options agrees), e.g. a PDF in the letter page's preview."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> HttpResponseBase:
        return framable_by_us(view(*args, **kwargs))

    return wrapper


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
