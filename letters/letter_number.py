"""Letter numbers (เลขที่หนังสือ) kept as structured parts and rendered as text.

A number such as "ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕" is ministry code, optional sub-agency code, unit
number, "/", optional series mark and running number. Store the parts (with ASCII digits) and
render the text on demand, in Thai or Arabic digits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from letters.thai import render_digits, to_arabic_digits


class LetterNumberError(ValueError):
    """A letter number or one of its parts is malformed."""


class Series(StrEnum):
    """Number series; each runs its own counter in the dispatch register."""

    NORMAL = "normal"
    CIRCULAR = "circular"
    SECRET = "secret"  # noqa: S105 (a series name, not a password)


SERIES_MARKS: dict[Series, str] = {
    Series.NORMAL: "",
    Series.CIRCULAR: "ว",
    # The secret mark "ล" is not confirmed from a primary source (real letters also show
    # "ว(ล)" for secret circulars); change it here if an agency's practice differs.
    Series.SECRET: "ล",
}

# A circular in the secret series, as printed on real circulars (นร ๐๕๐๖/ว(ล) ๑๑๕๖๑).
SECRET_CIRCULAR_MARK = "ว(ล)"  # noqa: S105 (a printed mark, not a password)

# Thai consonants only (ก..ฮ, U+0E01..U+0E2E): letter codes are abbreviations without vowels.
_MINISTRY_RE: Final = re.compile(r"[\u0E01-\u0E2E]{2,3}")
# Sub-agency codes may include vowels and tone marks, but no digits, symbols or spaces.
_SUB_AGENCY_RE: Final = re.compile(r"[\u0E01-\u0E2E][\u0E01-\u0E3A\u0E40-\u0E4E]*")
# [0-9], not \d: \d also matches Thai and other Unicode digits, which must not be stored.
_UNIT_RE: Final = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_MARK_RE: Final = re.compile(r"[\u0E01-\u0E3A\u0E40-\u0E4E()]+")

_LEFT_RE: Final = re.compile(
    r"(?P<ministry>[^\s(0-9.]+)\.?\s*(?:\(\s*(?P<sub>[^()]*?)\s*\)\s*)?(?P<unit>.*)",
)
_RIGHT_RE: Final = re.compile(r"(?P<mark>[^0-9]*?)\s*(?P<running>[0-9]+)")


def _series_for_mark(mark: str) -> Series | None:
    """Return the series a printed mark denotes, or None if the mark is not recognised."""
    for series, configured in SERIES_MARKS.items():
        if mark == configured:
            return series
    if "ล" in mark:
        return Series.SECRET
    if mark.startswith("ว"):
        return Series.CIRCULAR
    return None


@dataclass(frozen=True, slots=True)
class LetterNumber:
    """The parts of a letter number, with ASCII digits; see ``render_letter_number``.

    Leave ``series_mark`` empty to print ``SERIES_MARKS[series]``; set it only for a mark that
    differs, such as "ว(ล)". A mark equal to the default is normalised to "" so that equal
    numbers compare equal.
    """

    ministry_code: str
    unit_number: str
    running: int
    series: Series = Series.NORMAL
    sub_agency_code: str = ""
    series_mark: str = ""

    def __post_init__(self) -> None:
        """Validate the parts; raise LetterNumberError (a ValueError) naming the bad part."""
        if not isinstance(self.ministry_code, str) or not self.ministry_code:
            raise LetterNumberError("ministry code is required, e.g. 'ดศ'")
        if not _MINISTRY_RE.fullmatch(self.ministry_code):
            raise LetterNumberError(
                f"ministry code {self.ministry_code!r} must be 2-3 Thai consonants, e.g. 'ดศ'"
            )
        if not isinstance(self.sub_agency_code, str) or (
            self.sub_agency_code and not _SUB_AGENCY_RE.fullmatch(self.sub_agency_code)
        ):
            raise LetterNumberError(
                f"sub-agency code {self.sub_agency_code!r} must be empty or Thai letters "
                "without digits, spaces or brackets, e.g. 'สพขอ'"
            )
        if not isinstance(self.unit_number, str) or not _UNIT_RE.fullmatch(self.unit_number):
            raise LetterNumberError(
                f"unit number {self.unit_number!r} must be ASCII digits in dot-separated "
                "groups, e.g. '511.04' (convert Thai digits before storing)"
            )
        if isinstance(self.running, bool) or not isinstance(self.running, int):
            raise LetterNumberError(f"running number must be an int, got {self.running!r}")
        if self.running < 1:
            raise LetterNumberError(f"running number must be at least 1, got {self.running}")
        try:
            series = Series(self.series)
        except ValueError:
            raise LetterNumberError(
                f"unknown series {self.series!r}; expected one of "
                f"{', '.join(s.value for s in Series)}"
            ) from None
        # Frozen dataclass: object.__setattr__ is the sanctioned way to normalise in place.
        object.__setattr__(self, "series", series)
        mark = self.series_mark
        if not isinstance(mark, str):
            raise LetterNumberError(f"series mark must be a str, got {mark!r}")
        if mark:
            if not _MARK_RE.fullmatch(mark):
                raise LetterNumberError(
                    f"series mark {mark!r} must be Thai letters and brackets, e.g. 'ว' or 'ว(ล)'"
                )
            # A mark that reads as another series would not survive a render/parse round trip.
            if _series_for_mark(mark) is not series:
                raise LetterNumberError(
                    f"series mark {mark!r} does not denote the {series.value} series"
                )
            if mark == SERIES_MARKS[series]:
                object.__setattr__(self, "series_mark", "")

    @property
    def mark(self) -> str:
        """Return the series mark as printed."""
        return self.series_mark or SERIES_MARKS[self.series]


def render_letter_number(number: LetterNumber, *, thai_digits: bool = True, pad: int = 4) -> str:
    """Render ``number`` as printed after "ที่", e.g. "ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕".

    Zero-pad the running number to ``pad`` digits (wider numbers print in full) and use Thai
    digits unless ``thai_digits`` is false.
    """
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    text = number.ministry_code
    if number.sub_agency_code:
        text += f" ({number.sub_agency_code})"
    text += f" {number.unit_number}/"
    mark = number.mark
    if mark:
        text += f"{mark} "
    text += f"{number.running:0{pad}d}"
    return render_digits(text, thai=thai_digits)


def parse_letter_number(text: str) -> LetterNumber:
    """Parse a printed letter number into its parts; the inverse of ``render_letter_number``.

    Accept Thai or Arabic digits, any spacing ("ดศ(สพขอ)511.04/0335", "นร 0506/ว11561"),
    surrounding whitespace and a trailing "." on the ministry code ("นร."). Infer the series from
    the mark: one containing "ล" is secret, one starting with "ว" is circular, none is normal.
    Raise LetterNumberError naming the malformed part for anything else.
    """
    if not isinstance(text, str):
        raise LetterNumberError(f"letter number must be a str, got {type(text).__name__}")
    normalised = to_arabic_digits(unicodedata.normalize("NFC", text)).strip()
    if not normalised:
        raise LetterNumberError("letter number is empty")
    slashes = normalised.count("/")
    if slashes != 1:
        problem = "no '/'" if slashes == 0 else f"{slashes} '/' characters"
        raise LetterNumberError(
            f"letter number {text!r} has {problem}; expected exactly one between the unit "
            "number and the running number, e.g. 'ดศ 511.04/0335'"
        )
    left, right = (part.strip() for part in normalised.split("/"))

    left_match = _LEFT_RE.fullmatch(left)
    if left_match is None:
        raise LetterNumberError(
            f"cannot read {left!r} in {text!r} as '<ministry code> [(<sub-agency code>)] "
            "<unit number>'"
        )
    ministry = left_match["ministry"]
    if not _MINISTRY_RE.fullmatch(ministry):
        raise LetterNumberError(
            f"ministry code {ministry!r} in {text!r} must be 2-3 Thai consonants, e.g. 'ดศ'"
        )
    sub = left_match["sub"] or ""
    if left_match["sub"] is not None and not sub:
        raise LetterNumberError(f"empty sub-agency code in brackets in {text!r}")
    unit = left_match["unit"]
    if not unit:
        raise LetterNumberError(f"unit number missing before '/' in {text!r}")
    if not _UNIT_RE.fullmatch(unit):
        raise LetterNumberError(
            f"unit number {unit!r} in {text!r} must be digits in dot-separated groups, "
            "e.g. '511.04'"
        )

    right_match = _RIGHT_RE.fullmatch(right)
    if right_match is None:
        raise LetterNumberError(
            f"cannot read {right!r} in {text!r} as '[<series mark>] <running number>'; "
            "the running number must be digits at the end"
        )
    mark = re.sub(r"\s+", "", right_match["mark"])
    series = _series_for_mark(mark)
    if series is None:
        raise LetterNumberError(
            f"unknown series mark {mark!r} in {text!r}; expected none, 'ว', or one containing 'ล'"
        )
    running = int(right_match["running"])
    if running < 1:
        raise LetterNumberError(f"running number must be at least 1 in {text!r}")

    return LetterNumber(
        ministry_code=ministry,
        unit_number=unit,
        running=running,
        series=series,
        sub_agency_code=sub,
        series_mark="" if mark == SERIES_MARKS[series] else mark,
    )
