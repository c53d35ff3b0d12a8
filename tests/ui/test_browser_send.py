"""Alice (สพธอ.) sends letters in a real browser; a REAL Celery worker delivers them.

The live server runs on a transactional database so that the worker process (started with
tests/conftest.py's ``celery_worker``) reads what the browser's clicks committed, and the
kicks travel over the configured broker exactly as in production. Bob (สลค.) registers the
letter in his own browser context, and Alice then sees his receive number on her timeline.
Screenshots: compose, outbox timeline, circular progress, registers, print view.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from defusedxml import ElementTree
from playwright.sync_api import expect

from agencies.pki.issuing import issue_certificate
from agencies.pki.services import agency_signing_key_import
from exchange.models import Delivery, DeliveryStatus
from letters.models import Direction, Letter, LetterStatus, RegisterEntry, RegisterKind
from tests.conftest import make_agency

from .conftest import SAMPLE_SUBJECT, compose_sample, screenshot, sign_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

XLSX = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CIRCULAR_SUBJECT = "ขอเชิญประชุมหารือแนวทางการแลกเปลี่ยนหนังสือราชการทางอิเล็กทรอนิกส์"


def test_alice_sends_the_sample_letter_and_sees_bob_s_receive_number(
    page, second_page, worker, alice, bob, etda, soc
):
    sign_in(page, "alice")
    compose_sample(page, recipients_query="สลค", keys=["soc"], subject=SAMPLE_SUBJECT)
    screenshot(page, "compose")
    page.get_by_role("button", name="ลงนามและส่ง").click()

    expect(page.get_by_role("status")).to_contain_text("ลงนามและส่งแล้ว")
    letter = Letter.objects.get(agency=etda, direction=Direction.OUTGOING)
    assert letter.status == LetterStatus.SENT
    [delivery] = Delivery.objects.filter(letter=letter, message_type="letter")
    wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED)

    # Bob finds it on top of his inbox (ด่วนที่สุด) and registers it.
    sign_in(second_page, "bob")
    second_page.goto("/inbox/")
    first = second_page.locator("table.inbox tbody tr").first
    expect(first).to_contain_text(SAMPLE_SUBJECT)
    expect(first.locator(".badge.urgency-most-urgent")).to_have_text("ด่วนที่สุด")
    first.get_by_role("link", name=SAMPLE_SUBJECT).click()
    second_page.get_by_role("button", name="ลงรับ", exact=True).click()
    expect(second_page.locator("[data-receive-number]")).to_have_text("๑")

    # The registration travels back through the worker; Alice's timeline shows the number.
    wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.REGISTERED)
    page.goto(f"/letters/{letter.pk}/")
    card = page.locator(f'[data-delivery="{delivery.pk}"]')
    expect(card).to_have_attribute("data-status", "registered")
    expect(card).to_contain_text("ผู้รับลงรับแล้ว")
    expect(card).to_contain_text("เลขรับ ๑")
    screenshot(page, "outbox-timeline")
    page.get_by_role("navigation", name="เมนูหลัก").get_by_role(
        "link", name="หนังสือออก", exact=True
    ).click()
    expect(page.locator("table.outbox tbody tr").first).to_contain_text("ลงรับแล้ว ๑")

    page.goto(f"/letters/{letter.pk}/print/")
    expect(page.locator(".a4-sheet .number")).to_contain_text("ที่ ดศ (สพขอ) ๕๑๑.๐๔/")
    expect(page.locator(".a4-sheet")).to_contain_text("ขอแสดงความนับถือ")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    screenshot(page, "print-view")
    page.emulate_media(media="screen")
    assert worker.poll() is None


def test_a_circular_to_five_agencies_reaches_100_percent(page, worker, pki, alice, etda):
    keys = []
    for number in range(1, 6):
        agency = make_agency(
            f"dept{number}",
            name_th=f"กรมทดสอบหนังสือเวียนที่ {number}",
            abbreviation=f"ทว.{number}",
            ministry_letter_code="มท",
            unit_number=f"030{number}",
        )
        signer = issue_certificate(
            pki.ca, common_name=f"ทว.{number} signer", organization=agency.name_th
        )
        agency_signing_key_import(
            agency=agency,
            key_data=signer.private_key_pem(),
            certificate_data=signer.certificate_pem(),
            password=None,
            actor="test",
        )
        keys.append(agency.key)
    sign_in(page, "alice")
    compose_sample(page, recipients_query="หนังสือเวียน", keys=keys, subject=CIRCULAR_SUBJECT)
    page.locator("#id_series").select_option("circular")
    page.get_by_role("button", name="ลงนามและส่ง").click()

    expect(page.get_by_role("status")).to_contain_text("ถึงผู้รับ ๕ ราย")
    progress = page.locator(".sending-progress progress")
    expect(progress).to_have_attribute("max", "5")
    # htmx polls the partial every 2 s; the worker delivers; the bar fills and stops polling.
    expect(page.locator("[data-complete]")).to_have_count(1, timeout=90_000)
    expect(progress).to_have_attribute("value", "5")
    expect(page.locator(".sending-progress")).not_to_have_attribute("hx-trigger", "every 2s")
    screenshot(page, "circular-progress")
    letter = Letter.objects.get(agency=etda, subject=CIRCULAR_SUBJECT)
    assert "/ว" in letter.number_display()
    assert set(
        Delivery.objects.filter(letter=letter, message_type="letter").values_list(
            "status", flat=True
        )
    ) == {DeliveryStatus.DELIVERED}


def test_the_registers_export_to_csv_and_xlsx(page, worker, alice, etda, soc):
    sign_in(page, "alice")
    compose_sample(page, recipients_query="สลค", keys=["soc"], subject=SAMPLE_SUBJECT)
    page.get_by_role("button", name="ลงนามและส่ง").click()
    expect(page.get_by_role("status")).to_contain_text("ลงนามและส่งแล้ว")
    entry = RegisterEntry.objects.get(agency=etda, register=RegisterKind.DISPATCH)

    page.get_by_role("navigation", name="เมนูหลัก").get_by_role("link", name="ทะเบียนหนังสือส่ง").click()
    row = page.locator("table.register tbody tr").first
    expect(row).to_contain_text(SAMPLE_SUBJECT)
    expect(row).to_contain_text("ดศ (สพขอ) ๕๑๑.๐๔/")
    screenshot(page, "registers")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="ส่งออก CSV").click()
    text = open(csv_download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][2] == str(entry.number)
    assert rows[1][11] == SAMPLE_SUBJECT

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="ส่งออก Excel (XLSX)").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    with zipfile.ZipFile(xlsx_download.value.path()) as package:
        sheet = ElementTree.fromstring(package.read("xl/worksheets/sheet1.xml"))
    cells = ["".join(cell.itertext()) for cell in sheet.iter(f"{XLSX}c")]
    assert SAMPLE_SUBJECT in cells
