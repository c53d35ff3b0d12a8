"""The clerk UI's test harness: letters that really arrived, and a real browser.

Personas (tests/conftest.py): Alice is ETDA's (สพธอ.) saraban clerk, Bob is SOC's (สลค.).
Letters reach Bob the way they do in production: Alice's draft is signed and sent with the
services and the delivery task body (``delivery_attempt``) is called directly, as in
tests/exchange/test_delivery_flow.py. The envelope is verified on arrival, so Bob's copy has
its verification evidence and a real PDF to stamp.

Browser tests (``@pytest.mark.browser``) drive Debian's chromium through Playwright against
pytest-django's ``live_server``. See docs/ui.md for how to run them.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from fpdf import FPDF

from agencies.models import Agency
from exchange.models import Delivery, InboundEnvelope
from exchange.services.outbox import delivery_attempt
from exchange.services.sending import letter_send
from letters.models import AttachmentRole, Letter, Secrecy, Urgency
from letters.services.attachments import attachment_add
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    letter_create_draft,
)

# The envelope fixtures (demo CA, agencies' signing keys) live with the exchange tests.
from tests.conftest import celery_worker, database_url_for_subprocesses
from tests.exchange.conftest import hosted, hosted_committed, pki  # noqa: F401

# Playwright's sync API runs an event loop in this thread; Django then refuses ORM calls made
# beside it unless told that this (test-only) thread is not really async.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("UI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
THAI_FONT = "/usr/share/fonts/truetype/tlwg/Laksaman.ttf"

SAMPLE_SUBJECT = "ข้อเสนอในการปรับปรุงการออกเอกสารหลักฐานของทางราชการผ่านระบบดิจิทัล"


def password_of(username: str) -> str:
    """The password tests/conftest.py's make_user gives every persona."""
    return f"{username}-pw-ทดสอบ"


def letter_pdf(text: str = SAMPLE_SUBJECT, *, pages: int = 1) -> bytes:
    """A real, small PDF with Thai text (the stamp needs a PDF that a reader can open)."""
    pdf = FPDF()
    pdf.add_font("thai", fname=THAI_FONT)
    pdf.set_font("thai", size=16)
    for number in range(pages):
        pdf.add_page()
        pdf.set_xy(20, 60)
        pdf.cell(0, 10, f"{text} ({number + 1})")
    return bytes(pdf.output())


def send_letter(
    sender: Agency,
    recipient: Agency,
    actor: Any,
    *,
    subject: str = SAMPLE_SUBJECT,
    urgency: str = Urgency.NORMAL,
    secrecy: str = Secrecy.NONE,
    urgent_deadline: datetime.datetime | None = None,
    pdf: bytes | None = None,
    enclosure: bytes | None = None,
) -> Letter:
    """Draft, sign, send and deliver a letter; return the recipient's verified copy."""
    draft = letter_create_draft(
        agency=sender,
        actor=actor,
        values=LetterFields(
            subject=subject,
            urgency=urgency,
            secrecy=secrecy,
            urgent_deadline=urgent_deadline,
            addressee="เลขาธิการคณะรัฐมนตรี",
            body="ด้วยสำนักงานฯ ขอเสนอแนวทางการปรับปรุง จึงเรียนมาเพื่อโปรดพิจารณา",
            signer_name="นายทดสอบ ระบบดี",
            signer_position="ผู้อำนวยการ ปฏิบัติหน้าที่แทน",
            owning_unit="สำนักกฎหมาย",
            phone="0 2123 1234",
            email="saraban@etda.or.th",
        ),
        parts=LetterParts(recipients=[RecipientInput(agency=recipient)]),
    )
    attachment_add(
        letter=draft,
        actor=actor,
        stream=io.BytesIO(pdf if pdf is not None else letter_pdf(subject)),
        name="หนังสือ.pdf",
        media_type="application/pdf",
        role=AttachmentRole.MAIN,
    )
    if enclosure is not None:
        attachment_add(
            letter=draft,
            actor=actor,
            stream=io.BytesIO(enclosure),
            name="สิ่งที่ส่งมาด้วย.pdf",
            media_type="application/pdf",
            role=AttachmentRole.ENCLOSURE,
            description="ร่างแนวทาง",
        )
    [delivery] = letter_send(letter=draft, actor=actor)
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    # By the envelope, not the subject: a secret letter's copy holds no subject.
    copy = InboundEnvelope.objects.get(message_id=delivery.message_id).letter
    assert copy is not None and copy.agency == recipient
    return copy


def deliver_acknowledgements() -> list[str]:
    """Carry every queued acknowledgement (registration, refusal) back to the sender."""
    queued = Delivery.objects.exclude(message_type="letter").filter(status="queued")
    return [delivery_attempt(delivery_id=pk) for pk in queued.values_list("pk", flat=True)]


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, for the whole session.

    Missing chromium skips browser tests on a developer's machine, but fails them when
    REQUIRE_BROWSER=1 (CI), so CI can never pass by not running them.
    """
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: install the Debian package chromium (make system-packages)"
        )
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser context and page per test (no cookies shared between tests)."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="th-TH",
        timezone_id="Asia/Bangkok",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    # The hub's Content-Security-Policy must never have to block anything on its own pages
    # (an inline script or on* handler would silently not run for clerks).
    blocked: list[str] = []
    opened.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield opened
    finally:
        context.close()
    assert not blocked, f"the page broke its Content-Security-Policy: {blocked}"


def sign_in(page: Any, username: str, password: str | None = None) -> None:
    """Sign in through the login form, as a clerk does, and land on the home page."""
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("ชื่อผู้ใช้|Username")).fill(username)
    page.get_by_label(re.compile("รหัสผ่าน|Password")).fill(password or password_of(username))
    page.get_by_role("button", name=re.compile("เข้าสู่ระบบ|Sign in")).click()
    page.wait_for_url(re.compile(r"/$"))


def screenshot_dir() -> Path:
    """Where screenshots go: UI_SCREENSHOT_DIR, else var/screenshots (CI keeps that folder)."""
    configured = os.environ.get("UI_SCREENSHOT_DIR")
    folder = Path(configured) if configured else Path(settings.BASE_DIR) / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG named ``name`` and return its path."""
    path = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for(condition: Callable[[], bool], *, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("the worker did not get there in time")


@pytest.fixture
def worker(request):
    """A real Celery worker process, on the committed hosted agencies (ETDA's and SOC's keys)."""
    request.getfixturevalue("hosted_committed")
    with celery_worker(DATABASE_URL=database_url_for_subprocesses()) as process:
        yield process
    # The worker must have lived through the whole test (no crash hidden by a pass).


@pytest.fixture
def second_page(browser, live_server):
    """Another clerk's browser (own cookies), beside ``page``."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="th-TH",
        timezone_id="Asia/Bangkok",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def compose_sample(page, *, recipients_query: str, keys: list[str], subject: str) -> None:
    page.get_by_role("navigation", name="เมนูหลัก").get_by_role("link", name="หนังสือใหม่").click()
    page.locator("#id_urgency").select_option("004")
    page.locator("#id_subject").fill(subject)
    page.locator("#id_addressee").fill("เลขาธิการคณะรัฐมนตรี")
    page.locator("#id_body").fill(
        "ด้วยสำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์ขอเสนอแนวทางการปรับปรุง\nจึงเรียนมาเพื่อโปรดพิจารณา"
    )
    page.locator("#id_signer_name").fill("นายทดสอบ ระบบดี")
    page.locator("#id_signer_position").fill("ผู้อำนวยการ ปฏิบัติหน้าที่แทน")
    page.locator("#id_owning_unit").fill("สำนักกฎหมาย")
    page.locator("#id_phone").fill("0 2123 1234")
    page.locator("#id_email").fill("saraban@etda.or.th")
    page.locator("#id_reference_number_0").fill("นร 0506/ว(ล) 11561")
    page.locator("#id_reference_date_0").fill("22/04/2569")
    page.locator("#recipient-query").fill(recipients_query)
    for key in keys:
        page.locator(f"#to-{key}").check()
    page.locator("#id_main_pdf").set_input_files(
        files=[{"name": "หนังสือ.pdf", "mimeType": "application/pdf", "buffer": letter_pdf()}]
    )
