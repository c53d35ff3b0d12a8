"""One error hierarchy for the whole hub.

Services raise a ``HubError`` subclass; each class carries a stable, dotted, machine-readable
``code`` that systems can rely on, an HTTP status, and a translatable sentence for clerks.
One handler turns them into API responses: ``{"code", "message", "details"}``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class HubError(Exception):
    """Base of every error the hub reports on purpose."""

    code: ClassVar[str] = "hub.error"
    http_status: ClassVar[int] = 400
    default_message: ClassVar[StrPromise | str] = _("The request could not be completed.")

    def __init__(
        self, message: StrPromise | str | None = None, *, details: dict[str, Any] | None = None
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.details = details or {}
        # Keep the message lazy: pure modules raise these before Django's translations load.
        super().__init__(self.code)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """Return the error as the API's wire shape."""
        return {"code": self.code, "message": str(self.message), "details": self.details}


class InvalidInput(HubError):
    code = "hub.invalid_input"
    default_message = _("Some fields are invalid.")


class NotFound(HubError):
    code = "hub.not_found"
    http_status = 404
    default_message = _("Not found.")


class AccessDenied(HubError):
    code = "hub.access_denied"
    http_status = 403
    default_message = _("You do not have permission to do this.")


class Conflict(HubError):
    code = "hub.conflict"
    http_status = 409
    default_message = _("The request conflicts with the current state.")


_DRF_CODES: dict[type[Exception], str] = {
    drf_exceptions.ValidationError: InvalidInput.code,
    drf_exceptions.NotAuthenticated: "hub.not_authenticated",
    drf_exceptions.AuthenticationFailed: "hub.authentication_failed",
    drf_exceptions.PermissionDenied: AccessDenied.code,
    drf_exceptions.NotFound: NotFound.code,
    drf_exceptions.MethodNotAllowed: "hub.method_not_allowed",
    drf_exceptions.Throttled: "hub.rate_limited",
    drf_exceptions.UnsupportedMediaType: "hub.unsupported_media_type",
    drf_exceptions.ParseError: "hub.malformed_request",
}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render HubError and DRF's own errors in the one wire shape; leave the rest to Django."""
    if isinstance(exc, HubError):
        return Response(exc.as_dict(), status=exc.http_status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((code for kind, code in _DRF_CODES.items() if isinstance(exc, kind)), "hub.error")
    data = response.data
    if isinstance(exc, drf_exceptions.ValidationError):
        message, details = str(InvalidInput.default_message), {"fields": data}
    else:
        message, details = str(data.get("detail", "")) if isinstance(data, dict) else "", {}
    response.data = {"code": code, "message": message, "details": details}
    return response
