"""Thai presentation helpers: Thai digits, Buddhist Era years, Thai dates and times.

These functions only format and parse text. Storage stays in ISO dates, UTC datetimes and
ASCII digits; Thai digits and B.E. years are a display choice.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import Final

THAI_DIGITS: Final = "๐๑๒๓๔๕๖๗๘๙"
_ASCII_DIGITS: Final = "0123456789"
_TO_THAI: Final = str.maketrans(_ASCII_DIGITS, THAI_DIGITS)
_TO_ARABIC: Final = str.maketrans(THAI_DIGITS, _ASCII_DIGITS)

THAI_MONTHS: Final[tuple[str, ...]] = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTHS_ABBR: Final[tuple[str, ...]] = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)

BE_OFFSET: Final = 543

# Keys have dots removed so that clerks typing "เมย" or "เม. ย." still match; none of the
# dot-less abbreviations collides with a full month name.
_MONTH_LOOKUP: Final[dict[str, int]] = {
    **{name: number for number, name in enumerate(THAI_MONTHS, start=1)},
    **{abbr.replace(".", ""): number for number, abbr in enumerate(THAI_MONTHS_ABBR, start=1)},
}

# A formal date may spell out the era ("๒๒ เมษายน พ.ศ. ๒๕๖๓"); accept it but never emit it.
_DATE_RE: Final = re.compile(
    r"(?P<day>[0-9]{1,2})\s*(?P<month>[^0-9]+?)\s*(?:พ\.\s*ศ\.\s*)?(?P<year>[0-9]+)",
)


def to_thai_digits(text: str) -> str:
    """Return ``text`` with ASCII digits 0-9 replaced by Thai digits (U+0E50..U+0E59)."""
    return text.translate(_TO_THAI)


def to_arabic_digits(text: str) -> str:
    """Return ``text`` with Thai digits (U+0E50..U+0E59) replaced by ASCII digits 0-9."""
    return text.translate(_TO_ARABIC)


def render_digits(text: str, *, thai: bool) -> str:
    """Return ``text`` with every digit in one script: Thai if ``thai`` else ASCII."""
    return to_thai_digits(text) if thai else to_arabic_digits(text)


def be_year(year: int) -> int:
    """Convert a Gregorian (C.E.) year to a Buddhist Era (B.E.) year."""
    return year + BE_OFFSET


def ce_year(be: int) -> int:
    """Convert a Buddhist Era (B.E.) year to a Gregorian (C.E.) year."""
    return be - BE_OFFSET


def format_thai_date(
    value: datetime.date, *, thai_digits: bool = True, abbreviated: bool = False
) -> str:
    """Format ``value`` as "day month B.E.-year", e.g. "๒๒ เมษายน ๒๕๖๓".

    Use the abbreviated month name ("เม.ย.") when ``abbreviated``; use ASCII digits unless
    ``thai_digits``. Refuse datetimes with TypeError: which calendar day an instant falls on
    depends on a timezone only the caller knows, so the caller must pass a ``date``.
    """
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            raise TypeError(
                "format_thai_date() got an aware datetime; convert it to the local date first, "
                "e.g. value.astimezone(zone).date(), because the calendar day depends on the "
                "timezone"
            )
        raise TypeError(
            "format_thai_date() got a naive datetime; pass a datetime.date (e.g. value.date()) "
            "so that the timezone decision stays explicit"
        )
    if not isinstance(value, datetime.date):
        raise TypeError(f"format_thai_date() expects a datetime.date, got {type(value).__name__}")
    months = THAI_MONTHS_ABBR if abbreviated else THAI_MONTHS
    text = f"{value.day} {months[value.month - 1]} {be_year(value.year)}"
    return render_digits(text, thai=thai_digits)


def format_thai_time(value: datetime.time, *, thai_digits: bool = True) -> str:
    """Format ``value`` as "H.MM น.", e.g. "๑๔.๓๕ น."; seconds are dropped.

    Refuse datetimes with TypeError for the same timezone reason as ``format_thai_date``.
    """
    # datetime is not a subclass of time but has hour/minute, so it would format silently.
    if isinstance(value, datetime.datetime):
        raise TypeError(
            "format_thai_time() got a datetime; convert it to the local time first, "
            "e.g. value.astimezone(zone).time()"
        )
    if not isinstance(value, datetime.time):
        raise TypeError(f"format_thai_time() expects a datetime.time, got {type(value).__name__}")
    return render_digits(f"{value.hour}.{value.minute:02d} น.", thai=thai_digits)


def parse_thai_date(text: str) -> datetime.date:
    """Parse a Thai date such as "๒๒ เมษายน ๒๕๖๓" or "22 เม.ย. 2563" into a ``date``.

    Accept any output of ``format_thai_date``: Thai or ASCII digits, full or abbreviated month
    names (with or without dots), extra whitespace and an optional "พ.ศ." before the year.
    Read the year as B.E. always. Raise ValueError naming the problem for anything else,
    including unknown month names and dates that do not exist.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_thai_date() expects str, got {type(text).__name__}")
    normalised = to_arabic_digits(unicodedata.normalize("NFC", text)).strip()
    match = _DATE_RE.fullmatch(normalised)
    if match is None:
        raise ValueError(
            f"not a Thai date: {text!r}; expected 'day month year', e.g. '22 เมษายน 2563'"
        )
    month_text = re.sub(r"\s+", "", match["month"])
    month = _MONTH_LOOKUP.get(month_text.replace(".", ""))
    if month is None:
        raise ValueError(f"unknown Thai month name {month_text!r} in {text!r}")
    day = int(match["day"])
    be = int(match["year"])
    year = ce_year(be)
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise ValueError(f"B.E. year {be} in {text!r} is out of the supported range")
    try:
        return datetime.date(year, month, day)
    except ValueError as exc:
        raise ValueError(
            f"no such date: day {day} of {THAI_MONTHS[month - 1]} B.E. {be} in {text!r} ({exc})"
        ) from None
