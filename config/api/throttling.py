"""Rate limiting per API key (per user for sessions): HUB_API_RATE, e.g. "600/min".

Counters live in Django's cache, which must be shared by every web process for the limit to
hold across them: Redis when the broker is Redis, a per-process memory cache otherwise (then
each process counts on its own; see docs/api.md). Over the limit: 429 with Retry-After.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .authentication import caller_of


class ApiRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str | None:
        # Read at every request rather than once at import, so a changed setting (and a test's
        # tiny rate) applies without a restart of the class machinery.
        rate: str = settings.HUB_API_RATE
        return rate or None

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        caller = caller_of(request)
        if caller.api_key is not None:
            # The prefix, not the row id: ids can repeat between test databases sharing a
            # cache, prefixes are random.
            who = f"apikey:{caller.api_key.prefix}"
        elif request.user and request.user.is_authenticated:
            who = f"user:{request.user.pk}"
        else:
            who = f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{who}"
