"""Template filters for Thai presentation: B.E. dates, Thai digits, letter numbers."""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone

from letters import thai
from letters.models import Letter

register = template.Library()


@register.filter
def thai_date(value: datetime.date | datetime.datetime | None) -> str:
    """Render a date as "๒๒ เมษายน ๒๕๖๓"; a datetime is first read on the Bangkok clock."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return thai.format_thai_date(value)


@register.filter
def thai_digits(value: object) -> str:
    return thai.to_thai_digits(str(value))


@register.filter
def letter_number(letter: Letter) -> str:
    return letter.number_display()
