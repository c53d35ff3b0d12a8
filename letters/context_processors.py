from typing import Any

from django.http import HttpRequest

from .display import thai_digits_wanted


def display(request: HttpRequest) -> dict[str, Any]:
    """Expose the user's display preferences (the header's Thai-digits switch shows its state)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"display_thai_digits": thai_digits_wanted()}
