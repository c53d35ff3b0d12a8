"""Denied access is on the record: every 403 the hub answers leaves an audit event.

Pages (Django's 403 handler) and the API (its exception handler) both call
``access_denied_record``; the event names who, which path and why, in its own transaction
(nothing else changed).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.services import audit_record


def access_denied_record(request: HttpRequest | Any, *, reason: str) -> None:
    user = getattr(request, "user", None)
    actor: Any = user if getattr(user, "is_authenticated", False) else "anonymous"
    with transaction.atomic():
        audit_record(
            action="audit.access.denied",
            actor=actor,
            after={"path": request.path[:300], "method": request.method, "reason": reason[:200]},
        )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: record the refusal, then the Thai 403 page."""
    access_denied_record(request, reason=type(exception).__name__ if exception else "")
    # As Django's own handler: the page may show why (a reason written for the clerk).
    context = {"exception": str(exception) if exception else ""}
    return render(request, "403.html", context, status=403)
