"""OpenAPI (drf-spectacular): the error component on every operation, the conventions'
headers, and the API-key security schemes. Views only describe their success responses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers

from .idempotency import HEADER, REPLAYED_HEADER


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error: a stable code for systems, a sentence for people, and what went wrong."""

    code = serializers.CharField(
        help_text="Stable, dotted, machine-readable code, e.g. `auth.revoked_key`."
    )
    message = serializers.CharField(
        help_text="A sentence for people, in the request's language (Thai unless "
        "Accept-Language asks for English)."
    )
    details = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Facts about this error: invalid fields, limits, retry_after.",
    )


_ERROR_DESCRIPTIONS = {
    400: "Invalid request (`api.validation`, `api.malformed_request`, or a domain code).",
    401: "No key (`auth.missing_key`), an unknown or wrong key (`auth.invalid_key`), or a "
    "revoked key (`auth.revoked_key`).",
    403: "The caller acts for no agency (`api.no_agency`) or may not do this.",
    404: "Not found, or not the caller's agency's (`api.not_found` or a domain code).",
    409: "Conflict: `api.idempotency_key_reused`, `api.idempotency_in_progress`, or a domain code.",
    413: "Body too large (`api.request_too_large`).",
    415: "Unsupported body type (`api.unsupported_media_type`).",
    429: "Rate limit (`api.rate_limited`): wait `Retry-After` seconds.",
}

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    # The same rule as idempotency.py's: a generated client (or Schemathesis) must not send a
    # key the hub refuses as malformed.
    type={"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"},
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[\x20-\x7e]{1,255}$",
    description="Any unique string of up to 255 printable ASCII characters (a UUID is best). "
    "Repeating a POST with the same key and body returns the first response; the same key "
    "with another body is refused (409).",
)
REPLAYED_PARAMETER = OpenApiParameter(
    name=REPLAYED_HEADER,
    type=str,
    enum=["true", "false"],
    location=OpenApiParameter.HEADER,
    # The answers that are stored and replayed: the handler's, not refusals before it runs.
    response=[200, 201, 202, 204, 400, 403, 404, 409],
    description="Present when an Idempotency-Key was sent: `true` when this is the stored "
    "response to an earlier identical request.",
)
RETRY_AFTER_PARAMETER = OpenApiParameter(
    name="Retry-After",
    type=int,
    location=OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before the next request.",
)


class HubAutoSchema(AutoSchema):
    """Add the conventions to every operation, so that new endpoints document them for free."""

    def get_override_parameters(self) -> list[Any]:
        parameters: list[Any] = list(super().get_override_parameters())
        if self.method in getattr(self.view, "idempotent_methods", ()):
            parameters += [IDEMPOTENCY_KEY_PARAMETER, REPLAYED_PARAMETER]
        if self._needs_credentials():
            parameters.append(RETRY_AFTER_PARAMETER)
        return parameters

    def _needs_credentials(self) -> bool:
        return not any(
            isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        )

    def _error_statuses(self) -> list[int]:
        statuses = []
        if self._needs_credentials():
            statuses += [401, 403, 429]
        if "{" in self.path:
            statuses.append(404)
        if self.method in ("POST", "PUT", "PATCH"):
            statuses += [400, 413, 415]
        if self.method in getattr(self.view, "idempotent_methods", ()):
            statuses.append(409)
        if self.method == "GET" and self._is_list_view():
            # An invalid cursor; an invalid page size.
            statuses += [400, 404]
        # A view that validates its query string says so: 400 on GET too.
        statuses += getattr(self.view, "extra_error_statuses", ())
        return sorted(set(statuses))

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        # OpenAPI Link objects (how one answer's values feed the next call; Schemathesis
        # follows them in its stateful tests), declared by the view as ``openapi_links``:
        # ``{method: {status: {name: link}}}``, or ``{method: {name: link}}`` for the
        # operation's first success status. drf-spectacular has no decorator for them.
        declared: dict[str, Any] = getattr(self.view, "openapi_links", {}).get(self.method, {})
        success = next((code for code in sorted(responses) if code.startswith("2")), None)
        for key, value in declared.items():
            if isinstance(key, int):
                if str(key) in responses:
                    responses[str(key)].setdefault("links", {}).update(value)
            elif success is not None:
                responses[success].setdefault("links", {})[key] = value
        for status in self._error_statuses():
            responses.setdefault(
                str(status),
                self._get_response_for_code(  # type: ignore[no-untyped-call]
                    OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[status]),
                    str(status),
                ),
            )
        return operation


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Either header carries the key: an OR of two schemes, not an AND."""

    target_class = "config.api.authentication.ApiKeyAuthentication"
    name = ["bearerApiKey", "headerApiKey"]

    def get_security_definition(self, auto_schema: AutoSchema) -> list[dict[str, Any]]:
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "An agency API key: `Authorization: Bearer sxh_…`.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-Api-Key",
                "description": "The same key, for clients that cannot set Authorization.",
            },
        ]

    def get_security_requirement(self, auto_schema: AutoSchema) -> list[dict[str, list[Any]]]:
        return [{"bearerApiKey": []}, {"headerApiKey": []}]
