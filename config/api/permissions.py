"""Who may call what. Every endpoint needs a caller; agency-scoped ones need an agency."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from config.errors import NoActingAgency

from .authentication import caller_of


class ActsForAgency(BasePermission):
    """Let in a caller that acts for an agency: a live key, or a member's session.

    Agency-scoped endpoints then read ``caller_of(request).agency`` and pass it to a selector
    that filters by it, so another agency's objects are simply not found (404).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if caller_of(request).agency is None:
            raise NoActingAgency()
        return True
