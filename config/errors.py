"""One error hierarchy for the whole hub.

Services raise a ``HubError`` subclass; each class carries a stable, dotted, machine-readable
``code`` that systems can rely on, an HTTP status, and a translatable sentence for clerks.
One handler turns them into API responses: ``{"code", "message", "details"}``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response


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


# The API's own errors: authentication, limits and conventions (config/api, docs/api.md).


class ApiAuthenticationError(HubError, drf_exceptions.AuthenticationFailed):
    """Base of the 401s; also a DRF AuthenticationFailed, so DRF treats it as one (and asks the
    first authenticator for the WWW-Authenticate challenge)."""

    code = "auth.invalid_key"
    http_status = 401


class ApiKeyMissing(ApiAuthenticationError):
    code = "auth.missing_key"
    default_message = _(
        "Authentication is required: send the API key as 'Authorization: Bearer <key>' "
        "or 'X-Api-Key: <key>'."
    )


class ApiKeyInvalid(ApiAuthenticationError):
    code = "auth.invalid_key"
    default_message = _("The API key is not valid.")


class ApiKeyRevoked(ApiAuthenticationError):
    code = "auth.revoked_key"
    default_message = _("This API key has been revoked.")


class ApiValidation(InvalidInput):
    code = "api.validation"


class ApiMalformedRequest(InvalidInput):
    code = "api.malformed_request"
    default_message = _("The request body could not be read.")


class ApiNotFound(NotFound):
    code = "api.not_found"


class ApiForbidden(AccessDenied):
    code = "api.forbidden"


class NoActingAgency(AccessDenied):
    code = "api.no_agency"
    default_message = _("You do not act for any agency. Ask an agency administrator for a role.")


class ApiMethodNotAllowed(HubError):
    code = "api.method_not_allowed"
    http_status = 405
    default_message = _("This method is not allowed here.")


class ApiNotAcceptable(HubError):
    code = "api.not_acceptable"
    http_status = 406
    default_message = _("The API answers in JSON only.")


class ApiUnsupportedMediaType(HubError):
    code = "api.unsupported_media_type"
    http_status = 415
    default_message = _("Send the request body as JSON or multipart/form-data.")


class ApiServerError(HubError):
    code = "api.server_error"
    http_status = 500
    default_message = _("The hub could not complete the request. It has been logged.")


class RequestTooLarge(HubError):
    code = "api.request_too_large"
    http_status = 413
    default_message = _("The request is larger than the hub accepts.")


class RateLimited(HubError):
    code = "api.rate_limited"
    http_status = 429
    default_message = _("Too many requests. Wait before trying again.")


class IdempotencyKeyInvalid(InvalidInput):
    code = "api.idempotency_key_invalid"
    default_message = _("An Idempotency-Key is 1 to 255 printable ASCII characters.")


class IdempotencyKeyReused(Conflict):
    code = "api.idempotency_key_reused"
    default_message = _("This Idempotency-Key was already used for a different request.")


class IdempotencyInProgress(Conflict):
    code = "api.idempotency_in_progress"
    default_message = _(
        "A request with this Idempotency-Key is still being processed. Retry in a moment."
    )


# DRF's own exceptions, named by the hub error whose code and sentence the client gets; the
# first match wins, so subclasses come before their bases.
_DRF_ERRORS: tuple[tuple[type[drf_exceptions.APIException], type[HubError]], ...] = (
    (drf_exceptions.ValidationError, ApiValidation),
    (drf_exceptions.NotAuthenticated, ApiKeyMissing),
    (drf_exceptions.AuthenticationFailed, ApiKeyInvalid),
    (drf_exceptions.PermissionDenied, ApiForbidden),
    (drf_exceptions.NotFound, ApiNotFound),
    (drf_exceptions.MethodNotAllowed, ApiMethodNotAllowed),
    (drf_exceptions.NotAcceptable, ApiNotAcceptable),
    (drf_exceptions.UnsupportedMediaType, ApiUnsupportedMediaType),
    (drf_exceptions.ParseError, ApiMalformedRequest),
    (drf_exceptions.Throttled, RateLimited),
)


def _details_of(exc: drf_exceptions.APIException, data: Any) -> dict[str, Any]:
    if isinstance(exc, drf_exceptions.ValidationError):
        return {"fields": data}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, drf_exceptions.Throttled) and wait is not None:
        return {"retry_after": int(wait)}
    if isinstance(exc, drf_exceptions.ParseError):
        return {"reason": str(exc.detail)}
    return {}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render HubError and DRF's own errors in the one wire shape; leave the rest to Django.

    DRF's headers survive: ``Retry-After`` on 429, ``WWW-Authenticate`` on 401.
    """
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if isinstance(exc, drf_exceptions.PermissionDenied) or getattr(exc, "http_status", 0) == 403:
        from config.security.denied import access_denied_record

        request = context.get("request")
        if request is not None:
            access_denied_record(
                request, reason=str(getattr(exc, "code", "")) or type(exc).__name__
            )
    if isinstance(exc, HubError):
        # DRF may have turned a 401 into a 403 (no authenticator could name a challenge).
        status = exc.status_code if isinstance(exc, drf_exceptions.APIException) else None
        rendered = Response(exc.as_dict(), status=status or exc.http_status)
        challenge = getattr(exc, "auth_header", None)
        if challenge:
            rendered["WWW-Authenticate"] = challenge
        return rendered
    # Imported here: rest_framework.views loads the authentication classes named in settings,
    # which import models, whose modules import this one.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, drf_exceptions.APIException):
        return response
    kind = next((error for drf_kind, error in _DRF_ERRORS if isinstance(exc, drf_kind)), HubError)
    response.data = {
        "code": kind.code,
        "message": str(kind.default_message),
        "details": _details_of(exc, response.data),
    }
    return response
