"""One audit row per request made with an API key (docs/api.md, "Auditing key use").

A middleware rather than the view: it sees the final status of every DRF view the key
reached, including errors raised by the view and 500s, and it runs after the response exists,
so the row says what the caller got. It sits inside the request-id middleware, whose id and
client address the row carries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from agencies.models import ApiKey
from agencies.services import apikey_use_record

from .authentication import API_KEY_ATTRIBUTE
from .idempotency import REPLAYED_HEADER

logger = logging.getLogger(__name__)


class ApiKeyUsageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        api_key: ApiKey | None = getattr(request, API_KEY_ATTRIBUTE, None)
        if api_key is not None:
            try:
                apikey_use_record(
                    api_key=api_key,
                    method=request.method or "",
                    path=request.path,
                    status=response.status_code,
                    replayed=response.get(REPLAYED_HEADER) == "true",
                )
            except Exception:
                # The request's own changes committed with their own audit rows; turning its
                # answer into a 500 now would make the client retry something that happened.
                logger.exception("could not audit the use of API key %s", api_key.prefix)
        return response
