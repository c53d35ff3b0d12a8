"""Template filters for Thai presentation: B.E. dates, digits, letter numbers.

Filters that print numbers follow the signed-in user's Thai-digits preference
(letters/display.py); ``thai_digits`` always prints Thai digits.
"""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone

from letters import thai
from letters.display import thai_digits_wanted
from letters.models import Letter

register = template.Library()


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def thai_date(value: datetime.date | datetime.datetime | None) -> str:
    """Render a date as "๒๒ เมษายน ๒๕๖๓"; a datetime is first read on the Bangkok clock."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value).date()
    return thai.format_thai_date(value, thai_digits=thai_digits_wanted())


@register.filter
def thai_date_short(value: datetime.date | datetime.datetime | None) -> str:
    """Render a date as "๒๒ เม.ย. ๒๕๖๓", for tables."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value).date()
    return thai.format_thai_date(value, thai_digits=thai_digits_wanted(), abbreviated=True)


@register.filter
def thai_time(value: datetime.datetime | None) -> str:
    """Render the Bangkok wall-clock time of an instant as "๑๔.๓๕ น."."""
    if value is None or value == "":
        return ""
    return thai.format_thai_time(_local(value).time(), thai_digits=thai_digits_wanted())


@register.filter
def thai_datetime(value: datetime.datetime | None) -> str:
    """Render an instant as "๒๒ เม.ย. ๒๕๖๓ ๑๔.๓๕ น." on the Bangkok clock."""
    if value is None or value == "":
        return ""
    return f"{thai_date_short(value)} {thai_time(value)}"


@register.filter
def digits(value: object) -> str:
    """Render the digits of a value in the script the user prefers (๐–๙ or 0–9)."""
    if value is None:
        return ""
    return thai.render_digits(str(value), thai=thai_digits_wanted())


@register.filter
def thai_digits(value: object) -> str:
    return thai.to_thai_digits(str(value))


@register.filter
def letter_number(letter: Letter) -> str:
    """Render the letter's number (ที่) as printed, digits as the user prefers."""
    return thai.render_digits(letter.number_display(), thai=thai_digits_wanted())
