"""Which agency the signed-in user is acting for in this browser session.

Users who work for several agencies pick one with the switcher; everything the clerk UI shows
is scoped to it. The choice is re-checked against live memberships on every request, so a
revoked membership takes effect at once.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import Agency
from .selectors import agencies_of_user

SESSION_KEY = "acting_agency_id"


def acting_agency(request: HttpRequest) -> Agency | None:
    """Return the agency the user acts for now, or None when they belong to none."""
    agencies = agencies_of_user(user=request.user)
    chosen = request.session.get(SESSION_KEY)
    if chosen is not None:
        agency = agencies.filter(pk=chosen).first()
        if agency is not None:
            return agency
    return agencies.order_by("name_th").first()


def acting_agency_set(request: HttpRequest, *, agency_id: int) -> Agency | None:
    """Switch to the agency if the user belongs to it; return it, or None when refused."""
    agency = agencies_of_user(user=request.user).filter(pk=agency_id).first()
    if agency is not None:
        request.session[SESSION_KEY] = agency.pk
    return agency
