"""The inbox page: order, badges, overdue flags, filters, search, pages, tenancy.

Bob (สลค.) reads his inbox; Alice (สพธอ.) must never see it.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from letters.models import Direction, Letter, LetterStatus, Secrecy, Urgency
from letters.thai import THAI_MONTHS_ABBR, be_year, to_thai_digits


def incoming(agency, sender, subject, **fields):
    """A letter in ``agency``'s inbox, as filed from a verified envelope (rows only: the
    inbox's behaviour does not depend on the envelope)."""
    return Letter.objects.create(
        agency=agency,
        sender_agency=sender,
        direction=Direction.INCOMING,
        status=fields.pop("status", LetterStatus.RECEIVED),
        subject=subject,
        **fields,
    )


def be(day: datetime.date) -> str:
    return f"{day.day}/{day.month}/{be_year(day.year)}"


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


def rows(response) -> list[str]:
    return [letter.subject for letter in response.context["page"].object_list]


def test_bob_sees_the_most_urgent_letter_first_with_its_badge(bob_client, soc, etda):
    incoming(soc, etda, "แจ้งกำหนดการประชุมประจำเดือน")
    incoming(soc, etda, "ขอความเห็นด่วนที่สุดเรื่องงบประมาณ", urgency=Urgency.MOST_URGENT)
    incoming(soc, etda, "ขอข้อมูลประกอบการพิจารณา", urgency=Urgency.URGENT)

    response = bob_client.get(reverse("inbox"))

    assert response.status_code == 200
    assert rows(response) == [
        "ขอความเห็นด่วนที่สุดเรื่องงบประมาณ",
        "ขอข้อมูลประกอบการพิจารณา",
        "แจ้งกำหนดการประชุมประจำเดือน",
    ]
    page = response.content.decode()
    assert '<span class="badge urgency-most-urgent">ด่วนที่สุด</span>' in page
    assert '<span class="badge urgency-urgent">ด่วน</span>' in page


def test_secrecy_is_a_badge_in_words(bob_client, soc, etda):
    incoming(soc, etda, "เรื่องลับเฉพาะ", secrecy=Secrecy.CONFIDENTIAL)

    page = bob_client.get(reverse("inbox")).content.decode()

    assert "secrecy-confidential" in page
    assert "ลับ</span>" in page


def test_a_passed_deadline_is_flagged_overdue_until_the_letter_is_refused(bob_client, soc, etda):
    past = timezone.now() - datetime.timedelta(hours=2)
    late = incoming(soc, etda, "ขอให้ตอบภายในวันนี้", urgency=Urgency.VERY_URGENT, urgent_deadline=past)
    incoming(
        soc,
        etda,
        "ขอให้ตอบภายในสัปดาห์หน้า",
        urgency=Urgency.VERY_URGENT,
        urgent_deadline=timezone.now() + datetime.timedelta(days=7),
    )
    incoming(soc, etda, "เรื่องที่ปฏิเสธไปแล้ว", urgent_deadline=past, status=LetterStatus.REJECTED)

    response = bob_client.get(reverse("inbox"))

    overdue = {letter.subject for letter in response.context["page"] if letter.is_overdue}
    assert overdue == {late.subject}
    assert response.content.decode().count("เลยกำหนด</span>") == 1


def test_alice_never_sees_bobs_inbox(client, alice, soc, etda):
    incoming(soc, etda, "หนังสือของสลค.")
    client.force_login(alice)

    response = client.get(reverse("inbox"))

    assert rows(response) == []
    assert "หนังสือของสลค." not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"urgency": Urgency.MOST_URGENT}, ["ด่วนที่สุดเรื่องหนึ่ง"]),
        ({"secrecy": Secrecy.CONFIDENTIAL}, ["เรื่องลับ"]),
        ({"status": LetterStatus.REGISTERED}, ["ลงรับแล้วเรื่องหนึ่ง"]),
        ({"sender": "dga"}, ["จากสพร."]),
        ({"q": "สพร"}, ["จากสพร."]),  # the sender's name or abbreviation
    ],
)
def test_filters_narrow_the_inbox(bob_client, soc, etda, query, expected):
    from tests.conftest import make_agency

    dga = make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล", abbreviation="สพร.")
    incoming(soc, etda, "ด่วนที่สุดเรื่องหนึ่ง", urgency=Urgency.MOST_URGENT)
    incoming(soc, etda, "เรื่องลับ", secrecy=Secrecy.CONFIDENTIAL)
    incoming(soc, etda, "ลงรับแล้วเรื่องหนึ่ง", status=LetterStatus.REGISTERED)
    incoming(soc, dga, "จากสพร.")

    response = bob_client.get(reverse("inbox"), query)

    assert response.status_code == 200
    assert rows(response) == expected


def test_the_date_range_is_typed_in_buddhist_era(bob_client, soc, etda):
    today = timezone.localdate()
    old = incoming(soc, etda, "หนังสือเก่า")
    Letter.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))
    incoming(soc, etda, "หนังสือวันนี้")

    response = bob_client.get(
        reverse("inbox"), {"received_from": be(today), "received_to": be(today)}
    )

    assert rows(response) == ["หนังสือวันนี้"]
    # Thai digits and a Thai month name work too; so does a date picker's ISO date.
    month = THAI_MONTHS_ABBR[today.month - 1]
    thai = bob_client.get(
        reverse("inbox"),
        {"received_from": to_thai_digits(f"{today.day} {month} {be_year(today.year)}")},
    )
    assert rows(thai) == ["หนังสือวันนี้"]
    iso = bob_client.get(reverse("inbox"), {"received_from": today.isoformat()})
    assert rows(iso) == ["หนังสือวันนี้"]


def test_a_wrong_date_is_explained_in_thai_and_the_inbox_still_shows(bob_client, soc, etda):
    incoming(soc, etda, "หนังสือวันนี้")

    response = bob_client.get(reverse("inbox"), {"received_from": "31/02/2569"})

    assert response.status_code == 200
    assert "วัน/เดือน/ปี พ.ศ." in response.content.decode()
    assert rows(response) == ["หนังสือวันนี้"]


def test_an_end_before_the_start_is_refused(bob_client, soc, etda):
    response = bob_client.get(
        reverse("inbox"), {"received_from": "2/1/2569", "received_to": "1/1/2569"}
    )

    assert response.context["form"].errors["received_to"] == ["วันที่สิ้นสุดอยู่ก่อนวันที่เริ่มต้น"]


def test_pages(bob_client, soc, etda, settings):
    settings.HUB_INBOX_PAGE_SIZE = 2
    for number in range(3):
        incoming(soc, etda, f"หนังสือฉบับที่ {number}")

    first = bob_client.get(reverse("inbox"), {"q": "หนังสือ"})
    second = bob_client.get(reverse("inbox"), {"q": "หนังสือ", "page": 2})

    assert len(rows(first)) == 2
    assert rows(second) == ["หนังสือฉบับที่ 2"]
    assert (
        'href="?q=%E0%B8%AB%E0%B8%99%E0%B8%B1%E0%B8%87%E0%B8%AA%E0%B8%B7%E0%B8%AD&amp;page=2"'
        in (first.content.decode())
    )


def test_htmx_gets_only_the_results(bob_client, soc, etda):
    incoming(soc, etda, "หนังสือวันนี้")

    partial = bob_client.get(reverse("inbox"), {"q": "วันนี้"}, headers={"HX-Request": "true"})

    page = partial.content.decode()
    assert "<html" not in page
    assert "หนังสือวันนี้" in page
    assert "HX-Request" in partial["Vary"]


def test_someone_in_no_agency_is_told_whom_to_ask(client, charlie):
    client.force_login(charlie)

    response = client.get(reverse("inbox"))

    assert response.status_code == 403
    assert "ผู้ดูแลระบบของส่วนราชการ" in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("inbox"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
