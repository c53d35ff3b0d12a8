"""Who may see the console: hub roles only, each page saying which.

Auditors read everything, letter content included, and change nothing. Hub administrators
run the hub: configuration, delivery health, redrive; never letter content (no event list, no
letter timeline, no evidence bundle). Everyone else: sign in first, then 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from agencies.models import HubRole, HubRoleName

AUDITORS = (HubRoleName.AUDITOR,)
HUB_STAFF = (HubRoleName.AUDITOR, HubRoleName.HUB_ADMIN)


def hub_roles_of(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(HubRole.objects.filter(user_id=user.pk).values_list("role", flat=True))


def console_page(
    roles: Iterable[str],
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    allowed = frozenset(roles)

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not hub_roles_of(request.user) & allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorate


def hub_roles(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the signed-in user's hub roles (the header shows the console link)."""
    return {"hub_roles": hub_roles_of(getattr(request, "user", None))}
