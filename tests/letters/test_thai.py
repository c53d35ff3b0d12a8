"""Tests for letters.thai: digits, B.E. years, Thai dates and times."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letters.thai import (
    THAI_DIGITS,
    THAI_MONTHS,
    THAI_MONTHS_ABBR,
    be_year,
    ce_year,
    format_thai_date,
    format_thai_time,
    parse_thai_date,
    render_digits,
    to_arabic_digits,
    to_thai_digits,
)

ICT = datetime.timezone(datetime.timedelta(hours=7), "ICT")


# --- digits -------------------------------------------------------------------------------


def test_thai_digits_constant() -> None:
    assert THAI_DIGITS == "๐๑๒๓๔๕๖๗๘๙"


def test_to_thai_digits_converts_only_ascii_digits() -> None:
    assert to_thai_digits("0123456789") == "๐๑๒๓๔๕๖๗๘๙"
    assert to_thai_digits("ชั้น 21 เลขที่ 33/4") == "ชั้น ๒๑ เลขที่ ๓๓/๔"
    assert to_thai_digits("ไม่มีตัวเลข abc") == "ไม่มีตัวเลข abc"


def test_to_arabic_digits_converts_only_thai_digits() -> None:
    assert to_arabic_digits("๐๑๒๓๔๕๖๗๘๙") == "0123456789"
    assert to_arabic_digits("๒๒ เมษายน ๒๕๖๓") == "22 เมษายน 2563"
    # Other Unicode digits (here Arabic-Indic) are not Thai and stay as they are.
    assert to_arabic_digits("١٢٣ 12") == "١٢٣ 12"


def test_render_digits_normalises_mixed_text_to_one_script() -> None:
    assert render_digits("1๒3", thai=True) == "๑๒๓"
    assert render_digits("1๒3", thai=False) == "123"


@given(st.text().filter(lambda s: not any(c in THAI_DIGITS for c in s)))
def test_to_arabic_inverts_to_thai(text: str) -> None:
    assert to_arabic_digits(to_thai_digits(text)) == text


@given(st.text(alphabet=st.characters(blacklist_characters="0123456789")))
def test_to_thai_inverts_to_arabic_for_text_without_ascii_digits(text: str) -> None:
    assert to_thai_digits(to_arabic_digits(text)) == text


# --- years and months ---------------------------------------------------------------------


def test_be_and_ce_year() -> None:
    assert be_year(2020) == 2563
    assert ce_year(2563) == 2020
    assert ce_year(be_year(1900)) == 1900


def test_month_names() -> None:
    assert len(THAI_MONTHS) == 12
    assert len(THAI_MONTHS_ABBR) == 12
    assert THAI_MONTHS[0] == "มกราคม"
    assert THAI_MONTHS[3] == "เมษายน"
    assert THAI_MONTHS[11] == "ธันวาคม"
    assert THAI_MONTHS_ABBR[0] == "ม.ค."
    assert THAI_MONTHS_ABBR[3] == "เม.ย."
    assert THAI_MONTHS_ABBR[11] == "ธ.ค."


# --- format_thai_date ---------------------------------------------------------------------


def test_format_thai_date_sample_letter() -> None:
    assert format_thai_date(datetime.date(2020, 4, 22)) == "๒๒ เมษายน ๒๕๖๓"


def test_format_thai_date_arabic_digits() -> None:
    assert format_thai_date(datetime.date(2020, 4, 22), thai_digits=False) == "22 เมษายน 2563"


def test_format_thai_date_abbreviated() -> None:
    assert format_thai_date(datetime.date(2020, 4, 22), abbreviated=True) == "๒๒ เม.ย. ๒๕๖๓"
    assert (
        format_thai_date(datetime.date(2020, 4, 22), thai_digits=False, abbreviated=True)
        == "22 เม.ย. 2563"
    )


def test_format_thai_date_does_not_pad_the_day() -> None:
    assert format_thai_date(datetime.date(2024, 1, 1)) == "๑ มกราคม ๒๕๖๗"
    assert format_thai_date(datetime.date(2024, 12, 31), thai_digits=False) == "31 ธันวาคม 2567"


def test_format_thai_date_rejects_aware_datetime() -> None:
    aware = datetime.datetime(2020, 4, 22, 23, 30, tzinfo=datetime.UTC)
    with pytest.raises(TypeError, match="local date"):
        format_thai_date(aware)


def test_format_thai_date_rejects_naive_datetime() -> None:
    with pytest.raises(TypeError, match="date"):
        format_thai_date(datetime.datetime(2020, 4, 22, 10, 0))


def test_format_thai_date_accepts_date_after_local_conversion() -> None:
    # 23:30 UTC on the 21st is already the 22nd in Bangkok: the caller chooses the zone.
    instant = datetime.datetime(2020, 4, 21, 23, 30, tzinfo=datetime.UTC)
    assert format_thai_date(instant.astimezone(ICT).date()) == "๒๒ เมษายน ๒๕๖๓"


# --- format_thai_time ---------------------------------------------------------------------


def test_format_thai_time() -> None:
    assert format_thai_time(datetime.time(14, 35)) == "๑๔.๓๕ น."
    assert format_thai_time(datetime.time(14, 35), thai_digits=False) == "14.35 น."


def test_format_thai_time_pads_minutes_not_hours() -> None:
    assert format_thai_time(datetime.time(9, 5)) == "๙.๐๕ น."
    assert format_thai_time(datetime.time(0, 0), thai_digits=False) == "0.00 น."
    assert format_thai_time(datetime.time(23, 59, 59), thai_digits=False) == "23.59 น."


def test_format_thai_time_rejects_datetime() -> None:
    with pytest.raises(TypeError, match="local time"):
        format_thai_time(datetime.datetime(2020, 4, 22, 14, 35, tzinfo=ICT))  # type: ignore[arg-type]


# --- parse_thai_date ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "๒๒ เมษายน ๒๕๖๓",
        "22 เมษายน 2563",
        "๒๒ เม.ย. ๒๕๖๓",
        "22 เม.ย. 2563",
        "  22   เมษายน   2563  ",
        "22เมษายน2563",
        "22 เม. ย. 2563",
        "22 เมย 2563",
        "๒๒ เมษายน พ.ศ. ๒๕๖๓",
        "22 เมษายน 2๕63",
    ],
)
def test_parse_thai_date_accepts_variants(text: str) -> None:
    assert parse_thai_date(text) == datetime.date(2020, 4, 22)


def test_parse_thai_date_every_month() -> None:
    for number, (name, abbr) in enumerate(zip(THAI_MONTHS, THAI_MONTHS_ABBR, strict=True), 1):
        assert parse_thai_date(f"1 {name} 2567") == datetime.date(2024, number, 1)
        assert parse_thai_date(f"1 {abbr} 2567") == datetime.date(2024, number, 1)


def test_parse_thai_date_leap_day() -> None:
    assert parse_thai_date("๒๙ กุมภาพันธ์ ๒๕๖๗") == datetime.date(2024, 2, 29)


def test_parse_thai_date_rejects_unknown_month() -> None:
    with pytest.raises(ValueError, match="unknown Thai month"):
        parse_thai_date("22 April 2563")
    with pytest.raises(ValueError, match="unknown Thai month"):
        parse_thai_date("22 เมษา 2563")


@pytest.mark.parametrize(
    "text",
    ["31 กุมภาพันธ์ 2563", "29 กุมภาพันธ์ 2566", "31 เมษายน 2563", "0 มกราคม 2563"],
)
def test_parse_thai_date_rejects_impossible_dates(text: str) -> None:
    with pytest.raises(ValueError, match="no such date"):
        parse_thai_date(text)


@pytest.mark.parametrize(
    "text", ["", "   ", "เมษายน 2563", "22 เมษายน", "2020-04-22", "22 เมษายน 2563 extra"]
)
def test_parse_thai_date_rejects_malformed_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a Thai date"):
        parse_thai_date(text)


def test_parse_thai_date_rejects_year_out_of_range() -> None:
    with pytest.raises(ValueError, match="out of the supported range"):
        parse_thai_date("1 มกราคม 543")


@given(
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2200, 12, 31)),
    st.booleans(),
    st.booleans(),
)
def test_parse_inverts_format(value: datetime.date, thai_digits: bool, abbreviated: bool) -> None:
    text = format_thai_date(value, thai_digits=thai_digits, abbreviated=abbreviated)
    assert parse_thai_date(text) == value
