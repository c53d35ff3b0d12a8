"""Bob, the saraban clerk of สลค., at work in a real browser (Debian's chromium).

Letters from สพธอ. (Alice) arrive through the exchange services before the browser opens;
everything Bob does happens by clicking and typing, and the tests then check both what the
page shows and what the database holds. Screenshots land in var/screenshots (or
UI_SCREENSHOT_DIR) for CI's output.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from exchange.models import Delivery
from letters.models import Letter, LetterStatus, RegisterEntry, Urgency

from .conftest import SAMPLE_SUBJECT, screenshot, send_letter, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROUTINE = "แจ้งกำหนดการประชุมประจำเดือนของคณะทำงาน"


@pytest.fixture
def two_letters(hosted_committed, alice, etda, soc):
    """A routine letter that arrived first, then the ด่วนที่สุด sample letter."""
    routine = send_letter(etda, soc, alice, subject=ROUTINE)
    urgent = send_letter(etda, soc, alice, subject=SAMPLE_SUBJECT, urgency=Urgency.MOST_URGENT)
    return routine, urgent


def test_bob_finds_the_most_urgent_letter_on_top_and_registers_it_in_one_click(
    page, two_letters, bob
):
    _routine, urgent = two_letters
    sign_in(page, "bob")

    page.get_by_role("navigation", name="เมนูหลัก").get_by_role("link", name="หนังสือเข้า").click()
    first = page.locator("table.inbox tbody tr").first
    expect(first).to_contain_text(SAMPLE_SUBJECT)
    expect(first.locator(".badge.urgency-most-urgent")).to_have_text("ด่วนที่สุด")
    expect(page.locator("table.inbox tbody tr").nth(1)).to_contain_text(ROUTINE)
    screenshot(page, "inbox")

    first.get_by_role("link", name=SAMPLE_SUBJECT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SAMPLE_SUBJECT)
    expect(page.locator("[data-verdict]")).to_contain_text("ตรวจสอบลายมือชื่อแล้ว")
    expect(page.locator("iframe.preview")).to_have_attribute("src", re.compile(r"inline=1$"))
    screenshot(page, "letter")

    # A clerk's double click is still one registration.
    page.get_by_role("button", name="ลงรับ", exact=True).dblclick()
    expect(page.locator("[data-receive-number]")).to_have_text("๑")
    expect(page.get_by_role("status")).to_contain_text("ลงรับแล้ว เลขรับ ๑")
    stamped_link = page.locator("[data-stamped-pdf]")
    expect(stamped_link).to_be_visible()
    screenshot(page, "letter-registered")

    stamped = page.request.get(stamped_link.get_attribute("href") or "")
    assert stamped.ok
    assert stamped.headers["content-type"] == "application/pdf"
    assert stamped.body().startswith(b"%PDF-")
    urgent.refresh_from_db()
    assert urgent.status == LetterStatus.REGISTERED
    assert RegisterEntry.objects.filter(letter=urgent).count() == 1
    assert Delivery.objects.filter(message_type="registration").count() == 1


def test_bob_rejects_a_letter_with_a_reason(page, two_letters, bob):
    routine, _urgent = two_letters
    sign_in(page, "bob")
    page.goto(f"/letters/{routine.pk}/")

    page.get_by_text("ปฏิเสธ หรือแจ้งว่าส่งผิดส่วนราชการ").click()
    page.get_by_role("button", name="ส่งการไม่รับหนังสือ").click()
    expect(page.locator("#reason-error")).to_contain_text("กรุณาระบุเหตุผล")
    assert Letter.objects.get(pk=routine.pk).status == LetterStatus.RECEIVED

    page.get_by_label("ปฏิเสธ", exact=True).check()
    page.get_by_label("เหตุผล (ผู้ส่งจะเห็น)").fill("ไม่ใช่เรื่องในอำนาจหน้าที่ของสำนักงาน")
    page.get_by_role("button", name="ส่งการไม่รับหนังสือ").click()

    expect(page.get_by_role("status")).to_contain_text("ปฏิเสธหนังสือแล้ว")
    expect(page.locator(".letter-head")).to_contain_text("ปฏิเสธ")
    assert Letter.objects.get(pk=routine.pk).status == LetterStatus.REJECTED
    [rejection] = Delivery.objects.filter(message_type="rejection")
    assert rejection.recipient.key == "etda"


def test_thai_search_finds_a_word_from_the_middle_of_a_subject(page, two_letters, bob):
    sign_in(page, "bob")
    page.goto("/inbox/")

    page.get_by_label("ค้นหาจากเลขที่ เรื่อง หรือผู้ส่ง").fill("เอกสารหลักฐาน")
    page.get_by_role("button", name="ค้นหา", exact=True).click()

    rows = page.locator("table.inbox tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(SAMPLE_SUBJECT)
    expect(page).to_have_url(re.compile(r"/inbox/\?q="))
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "inbox-search-phone")


def test_the_language_switch_and_the_skip_link(page, two_letters, bob):
    sign_in(page, "bob")
    page.goto("/inbox/")

    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("ข้ามไปยังเนื้อหาหลัก")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inbox")
    expect(page.locator("table.inbox thead")).to_contain_text("Urgency")
    screenshot(page, "inbox-english")

    page.get_by_role("button", name="ภาษาไทย").click()
    expect(page.locator("html")).to_have_attribute("lang", "th")
    expect(page.get_by_role("heading", level=1)).to_contain_text("หนังสือเข้า")
