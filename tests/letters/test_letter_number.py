"""Tests for letters.letter_number: structured letter numbers, rendering and parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letters.letter_number import (
    SERIES_MARKS,
    LetterNumber,
    LetterNumberError,
    Series,
    parse_letter_number,
    render_letter_number,
)
from letters.thai import to_arabic_digits

# The 20 ministry letter codes from the domain brief, plus a province (Chiang Mai).
MINISTRY_CODES = [
    "นร",
    "กห",
    "กค",
    "กต",
    "กก",
    "พม",
    "กษ",
    "คค",
    "ทส",
    "ดศ",
    "พน",
    "พณ",
    "มท",
    "ยธ",
    "รง",
    "วธ",
    "ศธ",
    "สธ",
    "อก",
    "อว",
    "ชม",
]
SUB_AGENCY_CODES = ["", "สพขอ", "สพร"]

ETDA = LetterNumber(ministry_code="ดศ", sub_agency_code="สพขอ", unit_number="511.04", running=335)
CABINET_CIRCULAR = LetterNumber(
    ministry_code="นร", unit_number="0506", running=11561, series=Series.CIRCULAR
)
CABINET_SECRET_CIRCULAR = LetterNumber(
    ministry_code="นร",
    unit_number="0506",
    running=11561,
    series=Series.SECRET,
    series_mark="ว(ล)",
)


def test_series_values_and_marks() -> None:
    assert [s.value for s in Series] == ["normal", "circular", "secret"]
    assert SERIES_MARKS[Series.NORMAL] == ""
    assert SERIES_MARKS[Series.CIRCULAR] == "ว"
    assert SERIES_MARKS[Series.SECRET] == "ล"


# --- render -------------------------------------------------------------------------------


def test_render_sample_letter_number() -> None:
    assert render_letter_number(ETDA) == "ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕"


def test_render_circular() -> None:
    assert render_letter_number(CABINET_CIRCULAR) == "นร ๐๕๐๖/ว ๑๑๕๖๑"


def test_render_secret_circular_with_printed_mark() -> None:
    assert render_letter_number(CABINET_SECRET_CIRCULAR) == "นร ๐๕๐๖/ว(ล) ๑๑๕๖๑"


def test_render_secret_default_mark() -> None:
    number = LetterNumber(ministry_code="กห", unit_number="0201", running=7, series=Series.SECRET)
    assert render_letter_number(number, thai_digits=False) == "กห 0201/ล 0007"


def test_render_arabic_digits() -> None:
    industry = LetterNumber(ministry_code="อก", unit_number="0905", running=7)
    environment = LetterNumber(ministry_code="ทส", unit_number="0201.62", running=25)
    assert render_letter_number(industry, thai_digits=False) == "อก 0905/0007"
    assert render_letter_number(environment, thai_digits=False) == "ทส 0201.62/0025"
    assert render_letter_number(ETDA, thai_digits=False) == "ดศ (สพขอ) 511.04/0335"


def test_render_padding() -> None:
    industry = LetterNumber(ministry_code="อก", unit_number="0905", running=7)
    assert render_letter_number(industry, thai_digits=False, pad=0) == "อก 0905/7"
    assert render_letter_number(industry, thai_digits=False, pad=6) == "อก 0905/000007"
    # Numbers wider than the pad print in full, never truncated.
    assert render_letter_number(CABINET_CIRCULAR, thai_digits=False, pad=2) == "นร 0506/ว 11561"
    with pytest.raises(ValueError, match="pad"):
        render_letter_number(industry, pad=-1)


# --- validation ---------------------------------------------------------------------------


def test_letter_number_error_is_value_error() -> None:
    assert issubclass(LetterNumberError, ValueError)


def test_series_given_as_string_is_coerced() -> None:
    number = LetterNumber(ministry_code="นร", unit_number="0506", running=1, series="circular")  # type: ignore[arg-type]
    assert number.series is Series.CIRCULAR


def test_default_mark_normalised_to_empty() -> None:
    explicit = LetterNumber(
        ministry_code="นร",
        unit_number="0506",
        running=11561,
        series=Series.CIRCULAR,
        series_mark="ว",
    )
    assert explicit == CABINET_CIRCULAR
    assert explicit.series_mark == ""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ministry_code": ""}, "ministry code is required"),
        ({"ministry_code": "AB"}, "ministry code"),
        ({"ministry_code": "ด"}, "ministry code"),
        ({"ministry_code": "ดศสพ"}, "ministry code"),
        ({"ministry_code": "นร."}, "ministry code"),
        ({"ministry_code": "ดิ"}, "ministry code"),
        ({"unit_number": ""}, "unit number"),
        ({"unit_number": "๕๑๑.๐๔"}, "unit number"),
        ({"unit_number": "511."}, "unit number"),
        ({"unit_number": ".04"}, "unit number"),
        ({"unit_number": "511 04"}, "unit number"),
        ({"unit_number": "51a"}, "unit number"),
        ({"running": 0}, "at least 1"),
        ({"running": -3}, "at least 1"),
        ({"running": True}, "must be an int"),
        ({"sub_agency_code": "สพ ขอ"}, "sub-agency code"),
        ({"sub_agency_code": "ETDA"}, "sub-agency code"),
        ({"sub_agency_code": "สพ1"}, "sub-agency code"),
        ({"series": "urgent"}, "unknown series"),
        ({"series_mark": "ว"}, "does not denote the normal series"),
        ({"series_mark": "X"}, "series mark"),
        ({"series": Series.CIRCULAR, "series_mark": "ว(ล)"}, "does not denote"),
        ({"series": Series.SECRET, "series_mark": "ว"}, "does not denote"),
    ],
)
def test_invalid_parts_rejected(kwargs: dict[str, object], message: str) -> None:
    parts: dict[str, object] = {"ministry_code": "ดศ", "unit_number": "511.04", "running": 335}
    parts.update(kwargs)
    with pytest.raises(LetterNumberError, match=message):
        LetterNumber(**parts)  # type: ignore[arg-type]


def test_letter_number_is_frozen_and_hashable() -> None:
    with pytest.raises(AttributeError):
        ETDA.running = 336  # type: ignore[misc]
    assert len({ETDA, parse_letter_number("ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕")}) == 1


# --- parse --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕", ETDA),
        ("ดศ (สพขอ) 511.04/0335", ETDA),
        ("ดศ(สพขอ)511.04/0335", ETDA),
        ("  ดศ ( สพขอ )  511.04 / 335 \n", ETDA),
        ("นร ๐๕๐๖/ว ๑๑๕๖๑", CABINET_CIRCULAR),
        ("นร 0506/ว11561", CABINET_CIRCULAR),
        ("นร. 0506/ว 11561", CABINET_CIRCULAR),
        ("นร.0506/ว 11561", CABINET_CIRCULAR),
        ("นร ๐๕๐๖/ว(ล) ๑๑๕๖๑", CABINET_SECRET_CIRCULAR),
        ("นร 0506/ว (ล) 11561", CABINET_SECRET_CIRCULAR),
        (
            "อก 0905/0007",
            LetterNumber(ministry_code="อก", unit_number="0905", running=7),
        ),
        (
            "ทส 0201.62/25",
            LetterNumber(ministry_code="ทส", unit_number="0201.62", running=25),
        ),
        (
            "ชม 0017.3/ล 12",
            LetterNumber(
                ministry_code="ชม", unit_number="0017.3", running=12, series=Series.SECRET
            ),
        ),
    ],
)
def test_parse_examples(text: str, expected: LetterNumber) -> None:
    assert parse_letter_number(text) == expected


def test_parse_keeps_only_non_default_marks() -> None:
    assert parse_letter_number("นร 0506/ว 11561").series_mark == ""
    assert parse_letter_number("นร 0506/ล 11561").series_mark == ""
    secret_circular = parse_letter_number("นร 0506/ว(ล) 11561")
    assert secret_circular.series is Series.SECRET
    assert secret_circular.series_mark == "ว(ล)"


def test_parse_normalises_to_nfc() -> None:
    # Thai has no precomposed letters, but NFC reorders marks: a tone mark typed before a
    # lower vowel (MAI EK before SARA UU) is put after it. The sub-agency code is made up.
    typed = "ดศ (สป\u0e48\u0e39) 511.04/0335"
    expected = LetterNumber(
        ministry_code="ดศ", sub_agency_code="สป\u0e39\u0e48", unit_number="511.04", running=335
    )
    assert parse_letter_number(typed) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ดศ 511.04 0335", "no '/'"),
        ("ดศ 511/04/0335", "2 '/'"),
        ("ดศ/0335", "unit number missing"),
        ("ดศ 511.04/", "running number"),
        ("ดศ 511.04/ว", "running number"),
        ("ดศ 511.04/0335ก", "running number"),
        ("511.04/0335", "ministry code"),
        ("ดศศศ 511.04/0335", "ministry code"),
        ("DS 511.04/0335", "ministry code"),
        ("ดศ () 511.04/0335", "empty sub-agency code"),
        ("ดศ (สพ 1) 511.04/0335", "sub-agency code"),
        ("ดศ (สพขอ 511.04/0335", "cannot read|unit number"),
        ("ดศ 511..04/0335", "unit number"),
        ("ดศ 511.04x/0335", "unit number"),
        ("ดศ 511.04/ก 0335", "unknown series mark"),
        ("ดศ 511.04/0000", "at least 1"),
    ],
)
def test_parse_rejects_malformed(text: str, message: str) -> None:
    with pytest.raises(LetterNumberError, match=message):
        parse_letter_number(text)


# --- properties ---------------------------------------------------------------------------

unit_numbers = st.lists(
    st.text(alphabet="0123456789", min_size=1, max_size=4), min_size=1, max_size=3
).map(".".join)


@st.composite
def letter_numbers(draw: st.DrawFn) -> LetterNumber:
    series = draw(st.sampled_from(list(Series)))
    mark = draw(st.sampled_from(["", "ว(ล)"])) if series is Series.SECRET else ""
    return LetterNumber(
        ministry_code=draw(st.sampled_from(MINISTRY_CODES)),
        sub_agency_code=draw(st.sampled_from(SUB_AGENCY_CODES)),
        unit_number=draw(unit_numbers),
        running=draw(st.integers(min_value=1, max_value=10**6)),
        series=series,
        series_mark=mark,
    )


@given(letter_numbers(), st.booleans(), st.integers(min_value=0, max_value=8))
def test_parse_inverts_render(number: LetterNumber, thai_digits: bool, pad: int) -> None:
    text = render_letter_number(number, thai_digits=thai_digits, pad=pad)
    assert parse_letter_number(text) == number


@given(letter_numbers())
def test_render_digit_modes_differ_only_in_digits(number: LetterNumber) -> None:
    thai = render_letter_number(number, thai_digits=True)
    arabic = render_letter_number(number, thai_digits=False)
    assert not any(c in "0123456789" for c in thai)
    assert to_arabic_digits(thai) == arabic
