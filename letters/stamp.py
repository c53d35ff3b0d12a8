"""The receiving stamp (ตรารับหนังสือ) laid on the first page of a registered letter's PDF.

On paper the central registry stamps the top right corner of the letter with the agency's
name, the receive number (เลขรับ), the date (วันที่) and the time (เวลา). Here fpdf2 draws the
same box on a transparent page of the letter's size and pypdf lays it over page 1.

Thai is shaped with HarfBuzz (fpdf2's text shaping): without it a tone mark over an upper
vowel, as in "ที่", is drawn on top of the vowel instead of above it. The font is a TrueType
font from Debian's fonts-thai-tlwg (``HUB_STAMP_FONT``), embedded in the output.

The stamped file is written as an incremental update: the sender's bytes stay unchanged at
the start of the file, so a signature embedded in the original PDF still covers its revision.
Functions here are pure (bytes in, bytes out); which letter and which number is the caller's
business (letters/selectors.py ``receiving_stamp_of``).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from config.errors import Conflict, HubError
from letters.display import thai_digits_wanted
from letters.models import Letter, RegisterEntry
from letters.thai import format_thai_date, format_thai_time, render_digits

logger = logging.getLogger(__name__)

MM = 72 / 25.4  # points per millimetre
# The box: wide enough for "วันที่ ๓๐ พฤศจิกายน ๒๕๖๙" at 11 pt, as rubber stamps are.
BOX_WIDTH = 64 * MM
MARGIN = 8 * MM
PADDING = 2.5 * MM
LINE = 5.2 * MM
# Stamp ink: the blue of registry stamps, distinct from the red of urgency marks.
INK = (20, 60, 160)
NAME_SIZE = 10.0
NAME_MIN_SIZE = 7.0
FIELD_SIZE = 11.0


class StampFontMissing(HubError):
    code = "letters.stamp_font_missing"
    http_status = 500
    default_message = _(
        "The Thai font for the receiving stamp is not installed on the server. "
        "Ask the hub administrator to install fonts-thai-tlwg."
    )


class StampNotApplicable(Conflict):
    code = "letters.stamp_not_applicable"
    default_message = _(
        "The receiving stamp cannot be placed on this file (it is not a readable, unencrypted "
        "PDF). Download the stamp sheet instead."
    )


@dataclass(frozen=True)
class ReceivingStamp:
    """What the stamp says, already rendered as text (Thai or Arabic digits, B.E. date)."""

    agency_name: str
    receive_number: str
    date_text: str
    time_text: str


def stamp_font_path() -> Path:
    """Return the stamp's TrueType font, or raise StampFontMissing naming nothing secret."""
    path = Path(settings.HUB_STAMP_FONT)
    if not path.is_file():
        logger.error("receiving stamp font %s is missing (install fonts-thai-tlwg)", path)
        raise StampFontMissing(details={"font": path.name})
    return path


def _canvas(width: float, height: float) -> FPDF:
    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font("stamp", fname=str(stamp_font_path()))
    pdf.set_text_shaping(use_shaping_engine=True, script="thai", language="tha")
    pdf.set_producer("Saraban Exchange Hub")
    pdf.add_page()
    return pdf


def _draw_box(pdf: FPDF, stamp: ReceivingStamp, *, right: float, top: float) -> None:
    left = right - BOX_WIDTH
    inner = BOX_WIDTH - 2 * PADDING
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*INK)
    pdf.set_line_width(1.2)

    # The agency name is the longest line; shrink it to one line while it stays legible,
    # then let it wrap (the box grows) rather than clip a government agency's name.
    size = NAME_SIZE
    pdf.set_font("stamp", size=size)
    while pdf.get_string_width(stamp.agency_name) > inner and size > NAME_MIN_SIZE:
        size -= 0.5
        pdf.set_font("stamp", size=size)
    pdf.set_xy(left + PADDING, top + PADDING)
    pdf.multi_cell(inner, size * 1.35, stamp.agency_name, align="C")
    y = pdf.get_y() + 1

    pdf.set_font("stamp", size=FIELD_SIZE)
    label_width = 14 * MM
    for label, value in (
        ("เลขรับ", stamp.receive_number),
        ("วันที่", stamp.date_text),
        ("เวลา", stamp.time_text),
    ):
        pdf.set_xy(left + PADDING, y)
        pdf.cell(label_width, LINE, label)
        pdf.cell(inner - label_width, LINE, value)
        y += LINE
    pdf.rect(left, top, BOX_WIDTH, y + PADDING - top)


def stamp_overlay(stamp: ReceivingStamp, *, width: float, height: float) -> bytes:
    """Return a one-page PDF of ``width`` × ``height`` points with only the stamp on it."""
    pdf = _canvas(width, height)
    _draw_box(pdf, stamp, right=width - MARGIN, top=MARGIN)
    return bytes(pdf.output())


def stamp_sheet(stamp: ReceivingStamp, *, file_name: str = "") -> bytes:
    """Return an A4 page with the stamp and the file it belongs to, for files that cannot be
    stamped (not a PDF, encrypted, damaged): the clerk prints it and files it with the letter."""
    width, height = 210 * MM, 297 * MM
    pdf = _canvas(width, height)
    _draw_box(pdf, stamp, right=width - 20 * MM, top=20 * MM)
    if file_name:
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("stamp", size=12)
        pdf.set_xy(20 * MM, 70 * MM)
        pdf.multi_cell(width - 40 * MM, 18, f"ตรารับของแฟ้ม {file_name}")
    return bytes(pdf.output())


def stamped_pdf(source: bytes, stamp: ReceivingStamp) -> bytes:
    """Return ``source`` with the stamp laid over the top right corner of its first page.

    The result starts with the unchanged ``source`` bytes (an incremental update). Raise
    StampNotApplicable for anything pypdf cannot read or write: damaged, encrypted, empty.
    """
    try:
        reader = PdfReader(io.BytesIO(source), strict=False)
        if reader.is_encrypted or not reader.pages:
            raise StampNotApplicable()
        writer = PdfWriter(reader, incremental=True)
        page = writer.pages[0]
        box = page.mediabox
        rotation = page.rotation % 360
        # The stamp must sit at the top right as the page is shown, so on a page shown turned
        # (/Rotate) the overlay is drawn in the shown orientation and turned back to fit.
        shown_width, shown_height = (
            (float(box.height), float(box.width))
            if rotation in (90, 270)
            else (float(box.width), float(box.height))
        )
        overlay = PdfReader(
            io.BytesIO(stamp_overlay(stamp, width=shown_width, height=shown_height))
        ).pages[0]
        a, b, c, d, e, f = _unrotate(rotation, shown_width, shown_height)
        # Then move it to where the media box starts (it need not start at 0, 0).
        matrix = (a, b, c, d, e + float(box.left), f + float(box.bottom))
        page.merge_transformed_page(overlay, matrix, over=True)
        output = io.BytesIO()
        writer.write(output)
    except StampNotApplicable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        # pypdf reports damage through many exception types; none of them is the clerk's to fix.
        logger.info("receiving stamp not applicable: %s", error)
        raise StampNotApplicable() from error
    return output.getvalue()


def _unrotate(
    rotation: int, width: float, height: float
) -> tuple[float, float, float, float, float, float]:
    """The matrix taking the shown (rotated) page's coordinates back to the page's own.

    A viewer turns the page clockwise by /Rotate; drawing in shown coordinates and turning
    counter-clockwise by the same angle lands the stamp where the reader sees top right.
    """
    if rotation == 0:
        return (1, 0, 0, 1, 0, 0)
    if rotation == 90:
        return (0, 1, -1, 0, height, 0)
    if rotation == 180:
        return (-1, 0, 0, -1, width, height)
    return (0, -1, 1, 0, 0, width)  # 270


def receiving_stamp_of(*, letter: Letter, entry: RegisterEntry) -> ReceivingStamp:
    """What the stamp of a registered letter says, from its receive register line (which
    never changes), in the digits the current user prefers."""
    registered = timezone.localtime(entry.registered_at)
    wanted = thai_digits_wanted()
    return ReceivingStamp(
        agency_name=letter.agency.name_th,
        receive_number=render_digits(str(entry.number), thai=wanted),
        date_text=format_thai_date(registered.date(), thai_digits=wanted),
        time_text=format_thai_time(registered.time(), thai_digits=wanted),
    )
