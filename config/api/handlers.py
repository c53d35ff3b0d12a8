"""Django's 404 and 500 pages, in the API's shape for paths under /api/.

DRF's handler only sees errors raised inside its views; a path no view matches, or a crash
outside DRF, reaches these instead. A system parsing JSON must get JSON there too.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from config.errors import ApiNotFound, ApiServerError


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(ApiNotFound().as_dict(), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        # Generic on purpose: the details of a crash are for the logs, not the caller.
        return JsonResponse(ApiServerError().as_dict(), status=500)
    return defaults.server_error(request)
