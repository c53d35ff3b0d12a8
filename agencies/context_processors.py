from typing import Any

from django.http import HttpRequest

from .acting import acting_agency as current_acting_agency
from .selectors import agencies_of_user


def acting_agency(request: HttpRequest) -> dict[str, Any]:
    """Expose the acting agency and the switcher's choices to every template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "acting_agency": current_acting_agency(request),
        "my_agencies": list(agencies_of_user(user=user).order_by("name_th")),
    }
