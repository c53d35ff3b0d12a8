"""The receiving stamp (ตรารับ): drawn with a Thai font, laid on page 1, original bytes kept."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader, PdfWriter

from letters.stamp import (
    ReceivingStamp,
    StampFontMissing,
    StampNotApplicable,
    stamp_sheet,
    stamped_pdf,
)

from .conftest import letter_pdf

STAMP = ReceivingStamp(
    agency_name="สำนักเลขาธิการคณะรัฐมนตรี",
    receive_number="๑๒",
    date_text="๒๙ พฤศจิกายน ๒๕๖๙",
    time_text="๑๔.๓๕ น.",
)


def flat(text: str) -> str:
    """Text as extracted, without the spaces and control characters extraction adds or drops
    between separately drawn runs (label and value are two cells)."""
    return re.sub(r"[\s\x00-\x1f]", "", text)


def page_text(data: bytes, number: int = 0) -> str:
    return flat(PdfReader(io.BytesIO(data)).pages[number].extract_text())


def shown_position(page, needle: str) -> tuple[float, float, float, float]:
    """Where the run containing ``needle`` starts, in the coordinates of the page as a viewer
    shows it (after /Rotate), with the shown width and height."""
    found = []

    def visit(text, cm, tm, font, size):
        if needle in text:
            found.append(
                (tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            )

    page.extract_text(visitor_text=visit)
    x, y = found[-1]  # the stamp is drawn over the letter, so last
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    rotation = page.rotation % 360
    if rotation == 90:
        return y, width - x, height, width
    if rotation == 180:
        return width - x, height - y, width, height
    if rotation == 270:
        return height - y, x, height, width
    return x, y, width, height


def test_the_stamp_lands_on_page_one_only_and_keeps_the_letter(settings):
    source = letter_pdf("ข้อเสนอในการปรับปรุง", pages=2)

    stamped = stamped_pdf(source, STAMP)

    assert stamped.startswith(source)  # incremental: a signature over the original still holds
    reader = PdfReader(io.BytesIO(stamped))
    assert len(reader.pages) == 2
    first = flat(reader.pages[0].extract_text())
    assert "ข้อเสนอในการปรับปรุง(1)" in first
    for line in ("สำนักเลขาธิการคณะรัฐมนตรี", "เลขรับ๑๒", "วันที่๒๙พฤศจิกายน๒๕๖๙", "เวลา๑๔.๓๕น."):
        assert line in first
    assert "เลขรับ" not in reader.pages[1].extract_text()


def test_the_thai_font_is_embedded(settings):
    stamped = stamped_pdf(letter_pdf(), STAMP)

    fonts = PdfReader(io.BytesIO(stamped)).pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert any(
        settings.HUB_STAMP_FONT.rsplit("/", 1)[-1].removesuffix(".ttf") in name for name in names
    )


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_a_turned_page_gets_the_stamp_where_the_reader_sees_top_right(rotation):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(letter_pdf())))
    writer.pages[0].rotate(rotation)
    turned = io.BytesIO()
    writer.write(turned)

    stamped = stamped_pdf(turned.getvalue(), STAMP)

    page = PdfReader(io.BytesIO(stamped)).pages[0]
    assert page.rotation == rotation
    x, y, width, height = shown_position(page, "เลขรับ")
    assert x > width / 2
    assert y > height * 3 / 4


def test_a_damaged_file_is_refused_with_a_reason_a_clerk_can_act_on():
    with pytest.raises(StampNotApplicable) as refused:
        stamped_pdf(b"%PDF-1.4\n% not really\n%%EOF\n", STAMP)

    assert refused.value.code == "letters.stamp_not_applicable"


def test_an_encrypted_pdf_is_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(letter_pdf())))
    writer.encrypt("รหัส")
    locked = io.BytesIO()
    writer.write(locked)

    with pytest.raises(StampNotApplicable):
        stamped_pdf(locked.getvalue(), STAMP)


def test_the_stamp_sheet_is_a_page_of_its_own():
    sheet = stamp_sheet(STAMP, file_name="หนังสือ.docx")

    text = page_text(sheet)
    assert "เลขรับ๑๒" in text
    assert "หนังสือ.docx" in text


def test_a_missing_font_is_an_error_for_the_administrator(settings):
    settings.HUB_STAMP_FONT = "/nonexistent/Garuda.ttf"

    with pytest.raises(StampFontMissing):
        stamped_pdf(letter_pdf(), STAMP)
