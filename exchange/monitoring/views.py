"""/healthz for load balancers and /metrics for Prometheus; no session needed for either.

/metrics shows only counts, but counts of a government exchange are not for everyone: it takes
the bearer token HUB_METRICS_TOKEN, or a signed-in hub administrator or auditor.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from agencies.models import HubRole

from .health import health_checks
from .metrics import metrics_lines


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = health_checks()
    healthy = all(check.ok for check in checks)
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.HUB_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    user = request.user
    return bool(user.is_authenticated and HubRole.objects.filter(user_id=user.pk).exists())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _may_scrape(request):
        return JsonResponse(
            {"code": "hub.access_denied", "message": "metrics need a token or a hub role"},
            status=403,
        )
    text = "\n".join(metrics_lines()) + "\n"
    return HttpResponse(text, content_type="text/plain; version=0.0.4; charset=utf-8")
