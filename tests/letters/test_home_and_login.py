"""The Thai login page, the demo logins, and the clerk's home page scoped to their agency."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from letters.models import Direction, Letter, Urgency


@pytest.mark.django_db
def test_anonymous_visitors_land_on_the_thai_login_page(client):
    response = client.get("/", follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert '<html lang="th">' in page
    assert "เข้าสู่ระบบ" in page
    assert "ชื่อผู้ใช้" in page


@pytest.mark.django_db
def test_the_english_switch_turns_the_page_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})

    page = client.get(reverse("login")).content.decode()

    assert '<html lang="en">' in page
    assert "Sign in" in page


@pytest.mark.django_db
def test_a_demo_clerk_signs_in_and_sees_the_sample_letter(client, settings):
    settings.DEBUG = True  # seed_demo refuses to create known passwords otherwise
    call_command("seed_demo", stdout=io.StringIO())

    response = client.post(
        reverse("login"), {"username": "etda", "password": "etda-demo-2569"}, follow=True
    )

    page = response.content.decode()
    assert response.context["user"].username == "etda"
    assert "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์" in page
    assert "ข้อเสนอในการปรับปรุงการออกเอกสารหลักฐานของทางราชการ" in page
    assert AuditEvent.objects.filter(action="audit.session.login", actor_label="user:etda").exists()


@pytest.mark.django_db
def test_a_wrong_password_is_refused_in_thai_and_audited(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "ผิด"})

    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert "ชื่อผู้ใช้" in response.content.decode()
    event = AuditEvent.objects.get(action="audit.session.login_failed")
    assert event.after == {"username": "alice"}


@pytest.mark.django_db
def test_alice_never_sees_bobs_letters(client, alice, etda, soc):
    Letter.objects.create(
        agency=soc,
        sender_agency=soc,
        direction=Direction.OUTGOING,
        subject="เรื่องภายในของสำนักเลขาธิการคณะรัฐมนตรี",
    )
    Letter.objects.create(
        agency=etda,
        sender_agency=soc,
        direction=Direction.INCOMING,
        status="received",
        subject="ขอเชิญประชุมคณะทำงาน",
        urgency=Urgency.MOST_URGENT,
    )
    client.force_login(alice)

    page = client.get(reverse("home")).content.decode()

    assert "ขอเชิญประชุมคณะทำงาน" in page
    assert "ด่วนที่สุด" in page
    assert "เรื่องภายในของสำนักเลขาธิการคณะรัฐมนตรี" not in page


@pytest.mark.django_db
def test_a_user_without_an_agency_is_told_what_to_do(client, charlie):
    client.force_login(charlie)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response.context["agency"] is None
