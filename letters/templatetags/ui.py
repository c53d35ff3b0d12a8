"""The clerk UI's reusable components (docs/ui.md): badges, pagination, the form token.

Each badge prints its meaning in words; colour only repeats it (WCAG 1.4.1: information is
never carried by colour alone).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import template
from django.core.paginator import Page
from django.utils.html import format_html
from django.utils.safestring import SafeString

from exchange.models import DeliveryStatus
from letters.models import Letter, LetterStatus, Secrecy, Urgency

register = template.Library()

_URGENCY_CLASS = {
    Urgency.URGENT: "urgency-urgent",
    Urgency.VERY_URGENT: "urgency-very-urgent",
    Urgency.MOST_URGENT: "urgency-most-urgent",
}
_SECRECY_CLASS = {
    Secrecy.CONFIDENTIAL: "secrecy-confidential",
    Secrecy.SECRET: "secrecy-secret",
    Secrecy.TOP_SECRET: "secrecy-top-secret",
}
_STATUS_CLASS = {
    LetterStatus.RECEIVED: "status-new",
    LetterStatus.REGISTERED: "status-done",
    LetterStatus.REJECTED: "status-refused",
    LetterStatus.WRONG_RECIPIENT: "status-refused",
    LetterStatus.WITHDRAWN: "status-refused",
    LetterStatus.CANCELLED: "status-refused",
}


@register.simple_tag
def urgency_badge(letter: Letter, *, show_normal: bool = False) -> str | SafeString:
    """The urgency (ชั้นความเร็ว) as a badge; nothing for ปกติ unless ``show_normal``."""
    css = _URGENCY_CLASS.get(Urgency(letter.urgency))
    if css is None and not show_normal:
        return ""
    return format_html(
        '<span class="badge {}">{}</span>', css or "urgency-normal", letter.get_urgency_display()
    )


@register.simple_tag
def secrecy_badge(letter: Letter, *, show_normal: bool = False) -> str | SafeString:
    """The secrecy (ชั้นความลับ) as a badge; nothing when not secret unless ``show_normal``."""
    css = _SECRECY_CLASS.get(Secrecy(letter.secrecy))
    if css is None and not show_normal:
        return ""
    return format_html(
        '<span class="badge {}">{}</span>',
        css or "secrecy-none",
        letter.get_secrecy_display(),
    )


@register.simple_tag
def status_badge(letter: Letter) -> SafeString:
    css = _STATUS_CLASS.get(LetterStatus(letter.status), "status-other")
    return format_html('<span class="badge {}">{}</span>', css, letter.get_status_display())


@register.simple_tag
def form_token() -> SafeString:
    """A hidden field naming this rendering of a form: posting it twice is one action.

    Services take it as ``client_token`` and return the first object for a repeat.
    """
    return format_html('<input type="hidden" name="form_token" value="{}">', uuid.uuid4().hex)


@register.inclusion_tag("ui/pagination.html", takes_context=True)
def pagination(context: dict[str, Any], page: Page[Any]) -> dict[str, Any]:
    """Previous/next links that keep the page's other query parameters (filters, search)."""
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    base = query.urlencode()
    prefix = f"?{base}&page=" if base else "?page="
    return {"page": page, "prefix": prefix}


@register.simple_tag
def delivery_summary(copies: list[Any]) -> list[tuple[str, str, int]]:
    """Count a letter's copies by state: ``[(status, label, count)]``, in the ladder's order.

    A resent copy replaces its withdrawn one, so only each recipient's latest copy counts.
    """
    latest: dict[int, Any] = {}
    for copy in copies:
        latest[copy.recipient_id] = copy
    counts: dict[str, int] = {}
    for copy in latest.values():
        counts[copy.status] = counts.get(copy.status, 0) + 1
    return [
        (status.value, str(status.label), counts[status.value])
        for status in DeliveryStatus
        if status.value in counts
    ]
