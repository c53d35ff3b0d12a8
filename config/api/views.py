"""Base classes of every endpoint under /api/v1/: derive from these, not from DRF's directly.

They add what DRF lacks: ``Idempotency-Key`` on POST (config/api/idempotency.py) and
``self.caller`` (who acts, for which agency). Authentication, permissions, throttling,
pagination, parsers and the error handler come from REST_FRAMEWORK in settings; a test walks
the URL map and fails for any /api/v1/ view that skips these bases.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .authentication import Caller, caller_of
from .idempotency import (
    Claim,
    Replay,
    idempotency_begin,
    idempotency_complete,
    idempotency_key_of,
    idempotency_release,
)

_M = TypeVar("_M", bound=Model)


class _ReplayResponse(Exception):
    """Carries a stored answer out of ``initial()`` past the handler (control flow only)."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


class HubAPIView(APIView):
    """Idempotent POSTs and the caller; the generic views below add DRF's generics."""

    # Methods whose Idempotency-Key is honoured. PUT and DELETE are idempotent by meaning.
    idempotent_methods: frozenset[str] = frozenset({"POST"})
    # Top-level response fields shown once and never stored for replays (they replay as null).
    idempotency_redacted_fields: tuple[str, ...] = ()
    _idempotency_claim: Claim | None = None

    @property
    def caller(self) -> Caller:
        return caller_of(self.request)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Authentication, permissions and throttling first: a refused request claims nothing.
        super().initial(request, *args, **kwargs)
        self._idempotency_claim = None
        if request.method not in self.idempotent_methods:
            return
        key = idempotency_key_of(request)
        if key is None:
            return
        caller = caller_of(request)
        outcome = idempotency_begin(
            owner=caller.owner, key=key, agency=caller.agency, request=request
        )
        if isinstance(outcome, Replay):
            raise _ReplayResponse(outcome.response)
        self._idempotency_claim = outcome

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _ReplayResponse):
            return exc.response
        try:
            return super().handle_exception(exc)
        except BaseException:
            # Unhandled: the request failed as a whole, so a retry must be able to run.
            claim, self._idempotency_claim = self._idempotency_claim, None
            if claim is not None:
                idempotency_release(claim=claim)
            raise

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        claim, self._idempotency_claim = self._idempotency_claim, None
        if claim is not None:
            idempotency_complete(
                claim=claim, response=response, stored_body=self._redacted_body(response)
            )
        return response

    def _redacted_body(self, response: Response) -> bytes | None:
        if not self.idempotency_redacted_fields or not isinstance(response, Response):
            return None
        data = response.data
        if not isinstance(data, dict):
            return None
        redacted = {
            name: None if name in self.idempotency_redacted_fields else value
            for name, value in data.items()
        }
        renderer = response.accepted_renderer
        body = renderer.render(
            redacted, response.accepted_media_type, getattr(response, "renderer_context", {})
        )
        return body.encode("utf-8") if isinstance(body, str) else body


class HubGenericAPIView(HubAPIView, generics.GenericAPIView[_M]):
    pass


class HubListAPIView(HubAPIView, generics.ListAPIView[_M]):
    pass


class HubRetrieveAPIView(HubAPIView, generics.RetrieveAPIView[_M]):
    pass
