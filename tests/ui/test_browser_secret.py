"""A ลับมาก letter in real browsers: ETDA's secret-registry officer writes and sends it, a REAL
Celery worker delivers it, SOC's officer reads it; the clerks on both sides see only the
placeholder. Nothing of it is in either agency's rows (docs/security.md, "Secret letters")."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agencies.models import AgencyRole
from exchange.models import Delivery, DeliveryStatus
from letters.models import Direction, Letter, SealedContent
from tests.conftest import make_user

from .conftest import compose_sample, screenshot, sign_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SECRET_SUBJECT = "ขอความร่วมมือตรวจสอบข้อมูลผู้ต้องสงสัยในคดีฉ้อโกงทางอิเล็กทรอนิกส์ ครั้งที่ ๓"


def test_a_secret_letter_is_read_only_by_the_officers_at_both_ends(
    page, second_page, worker, alice, bob, etda, soc
):
    make_user("pranee", (etda, AgencyRole.CLERK), (etda, AgencyRole.SECRET_OFFICER))
    make_user("somsri", (soc, AgencyRole.CLERK), (soc, AgencyRole.SECRET_OFFICER))

    sign_in(page, "pranee")
    compose_sample(page, recipients_query="สลค", keys=["soc"], subject=SECRET_SUBJECT)
    page.locator("#id_secrecy").select_option("003")
    page.get_by_role("button", name="ลงนามและส่ง").click()
    expect(page.get_by_role("status")).to_contain_text("ลงนามและส่งแล้ว")

    sent = Letter.objects.get(agency=etda, direction=Direction.OUTGOING)
    assert sent.subject == "หนังสือลับ" and SealedContent.objects.filter(letter=sent).exists()
    [delivery] = Delivery.objects.filter(letter=sent, message_type="letter")
    wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED)
    # ETDA's officer reads ETDA's own copy (an audited opening).
    page.goto(f"/letters/{sent.pk}/")
    expect(page.locator("main")).to_contain_text(SECRET_SUBJECT)
    screenshot(page, "secret-letter-officer")

    # Bob, SOC's clerk, sees that a secret letter came and whom to give it to; not its content.
    sign_in(second_page, "bob")
    second_page.goto("/inbox/")
    first = second_page.locator("table.inbox tbody tr").first
    expect(first).to_contain_text("หนังสือลับ")
    first.get_by_role("link", name="หนังสือลับ").click()
    expect(second_page.locator("main")).not_to_contain_text(SECRET_SUBJECT)
    expect(second_page.locator("main")).to_contain_text("เจ้าหน้าที่ทะเบียนลับ")
    screenshot(second_page, "secret-letter-clerk")

    # Somsri, SOC's officer, reads it.
    second_page.context.clear_cookies()
    sign_in(second_page, "somsri")
    copy = Letter.objects.get(agency=soc)
    second_page.goto(f"/letters/{copy.pk}/")
    expect(second_page.locator("main")).to_contain_text(SECRET_SUBJECT)
    assert copy.subject == "หนังสือลับ"
    assert worker.poll() is None
