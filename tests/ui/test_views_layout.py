"""The base layout every page shares: Thai first, keyboard-usable, the header's switches."""

from __future__ import annotations

from django.urls import reverse

from audit.models import AuditEvent
from letters.models import Direction, DisplayPreference, Letter


def test_the_layout_is_thai_first_and_keyboard_usable(client, bob):
    client.force_login(bob)

    page = client.get(reverse("inbox")).content.decode()

    assert '<html lang="th">' in page
    assert '<a class="skip-link" href="#main">ข้ามไปยังเนื้อหาหลัก</a>' in page
    assert '<main id="main" tabindex="-1">' in page
    assert '<label for="agency-switch">' in page
    assert 'aria-current="page">หนังสือเข้า</a>' in page
    assert "/static/vendor/htmx.min.js" in page
    assert "/static/ui/hub.css" in page
    assert "cdn" not in page.lower()


def test_the_english_switch(client, bob):
    client.force_login(bob)

    client.post(reverse("set_language"), {"language": "en", "next": reverse("inbox")})
    page = client.get(reverse("inbox")).content.decode()

    assert '<html lang="en">' in page
    assert "Skip to main content" in page
    assert ">ภาษาไทย</button>" in page


def test_the_thai_digits_preference_is_kept_per_user_and_audited(client, bob, soc, etda):
    Letter.objects.create(
        agency=soc,
        sender_agency=etda,
        direction=Direction.INCOMING,
        status="received",
        subject="หนังสือทดสอบ",
        number_text="ดศ ๐๑๐๐/๒๕",
    )
    client.force_login(bob)
    assert "ดศ ๐๑๐๐/๒๕" in client.get(reverse("inbox")).content.decode()

    response = client.post(
        reverse("display-preference"), {"thai_digits": "0", "next": reverse("inbox")}
    )

    assert response["Location"] == reverse("inbox")
    assert DisplayPreference.objects.get(user=bob).thai_digits is False
    page = client.get(reverse("inbox")).content.decode()
    assert "ดศ 0100/25" in page
    assert 'aria-pressed="false"' in page
    event = AuditEvent.objects.get(action="letters.display_preference.changed")
    assert event.after == {"thai_digits": False}


def test_the_preference_switch_never_redirects_off_the_hub(client, bob):
    client.force_login(bob)

    response = client.post(
        reverse("display-preference"), {"thai_digits": "1", "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("home")


def test_a_missing_page_is_explained_in_thai(client, bob):
    client.force_login(bob)

    response = client.get("/letters/999999/")

    assert response.status_code == 404
    assert "ไม่พบ" in response.content.decode()
