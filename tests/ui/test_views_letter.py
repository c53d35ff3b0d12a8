"""The letter page and its files: every field, verification, PDF preview, secrecy, tenancy.

Alice (สพธอ.) sends Bob (สลค.) a letter through the exchange; Bob reads it. Alice must get
404 for Bob's copy, whatever she tries.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from agencies.models import AgencyRole, Membership
from audit.models import AuditEvent
from exchange.models import InboundEnvelope
from letters.models import Attachment, AttachmentRole, Secrecy, Urgency
from tests.conftest import make_user

from .conftest import send_letter


@pytest.fixture
def arrived(hosted, alice, etda, soc):
    return send_letter(
        etda, soc, alice, urgency=Urgency.MOST_URGENT, enclosure=b"%PDF-1.4\n%%EOF\n"
    )


def test_bob_reads_every_field_of_the_letter(client, bob, arrived):
    client.force_login(bob)

    response = client.get(reverse("letter-detail", args=[arrived.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        arrived.subject,
        arrived.number_text,  # ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑, Thai digits by default
        "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์",
        "เลขาธิการคณะรัฐมนตรี",
        "ด้วยสำนักงานฯ ขอเสนอแนวทางการปรับปรุง",
        "นายทดสอบ ระบบดี",
        "ผู้อำนวยการ ปฏิบัติหน้าที่แทน",
        "สำนักกฎหมาย",
        "๐ ๒๑๒๓ ๑๒๓๔",
        "saraban@etda.or.th",
        "ร่างแนวทาง",  # the enclosure, under สิ่งที่ส่งมาด้วย
        "ด่วนที่สุด",
    ):
        assert text in page, text
    assert "ลงรับ" in page


def test_the_verification_summary_comes_from_the_evidence(client, bob, arrived):
    evidence = InboundEnvelope.objects.get(letter=arrived).evidence
    client.force_login(bob)

    response = client.get(reverse("letter-detail", args=[arrived.pk]))

    verification = response.context["verification"]
    assert verification.verified
    assert verification.certificate_sha256 == evidence["certificate_sha256"]
    assert "สพธอ. signer" in verification.signer_subject
    assert verification.signing_time is not None
    page = response.content.decode()
    assert evidence["certificate_sha256"] in page
    assert "ตรวจสอบลายมือชื่อแล้ว" in page


def test_the_main_pdf_previews_inline_and_safely(client, bob, arrived):
    client.force_login(bob)
    main = arrived.attachments.get(role=AttachmentRole.MAIN)
    url = reverse("letter-attachment", args=[arrived.pk, main.pk])

    page = client.get(reverse("letter-detail", args=[arrived.pk])).content.decode()
    inline = client.get(url, {"inline": "1"})
    download = client.get(url)

    assert f'src="{url}?inline=1"' in page
    assert inline.status_code == 200
    assert inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"].startswith("inline")
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert inline["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(inline.streaming_content).startswith(b"%PDF-")
    assert download["Content-Disposition"].startswith("attachment")


def test_a_file_that_is_not_a_pdf_is_never_shown_inline(client, bob, arrived):
    # What a careless sender could have attached before the hub checked content (the check
    # refuses HTML today): a file stored as HTML must still never run as a page of the hub.
    content = b"<script>alert(1)</script>"
    html = Attachment(
        letter=arrived,
        role=AttachmentRole.ENCLOSURE,
        name="page.html",
        media_type="text/html",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    html.file.save("page.html", ContentFile(content), save=False)
    html.save()
    client.force_login(bob)

    response = client.get(reverse("letter-attachment", args=[arrived.pk, html.pk]), {"inline": "1"})

    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "method", "extra"),
    [
        ("letter-detail", "get", []),
        ("letter-stamped", "get", []),
        ("letter-stamp-sheet", "get", []),
        ("letter-register", "post", []),
        ("letter-refuse", "post", []),
        ("letter-endorse", "post", []),
        ("letter-assign", "post", []),
        ("letter-attachment", "get", ["main"]),
    ],
)
def test_alice_gets_404_for_bobs_letter(client, alice, arrived, name, method, extra):
    args = [arrived.pk] + [arrived.attachments.get(role="main").pk for _ in extra]
    client.force_login(alice)

    response = getattr(client, method)(
        reverse(name, args=args), {"reason": "x", "outcome": "rejected", "text": "x"}
    )

    assert response.status_code == 404
    page = response.content.decode()
    assert "ไม่พบ" in page
    assert "Traceback" not in page
    arrived.refresh_from_db()
    assert arrived.status == "received"


def test_a_clerk_acting_for_two_agencies_sees_a_letter_only_while_acting_for_its_agency(
    client, arrived, etda, soc
):
    both = make_user("dana", (etda, AgencyRole.CLERK), (soc, AgencyRole.CLERK))
    client.force_login(both)

    client.post(reverse("agency-switch"), {"agency": etda.pk})
    as_etda = client.get(reverse("letter-detail", args=[arrived.pk]))
    client.post(reverse("agency-switch"), {"agency": soc.pk})
    as_soc = client.get(reverse("letter-detail", args=[arrived.pk]))

    assert as_etda.status_code == 404
    assert as_soc.status_code == 200


@pytest.fixture
def secret(hosted, alice, etda, soc):
    return send_letter(etda, soc, alice, subject="เรื่องลับ การจัดซื้อ", secrecy=Secrecy.CONFIDENTIAL)


def test_a_clerk_sees_a_secret_letters_register_facts_but_not_its_content(client, bob, secret):
    client.force_login(bob)
    main = secret.attachments.get(role=AttachmentRole.MAIN)

    page = client.get(reverse("letter-detail", args=[secret.pk])).content.decode()
    download = client.get(reverse("letter-attachment", args=[secret.pk, main.pk]))

    # The subject travels encrypted too (docs/security.md): the clerk sees the placeholder,
    # the number, the sender and the urgency.
    assert "เรื่องลับ การจัดซื้อ" not in page
    assert "หนังสือลับ" in page
    assert "ด้วยสำนักงานฯ ขอเสนอแนวทางการปรับปรุง" not in page
    assert reverse("letter-attachment", args=[secret.pk, main.pk]) not in page
    assert download.status_code == 403
    assert "เจ้าหน้าที่ทะเบียนลับ" in download.content.decode()
    refused = AuditEvent.objects.filter(
        action="letters.attachment.secret_refused", agency=secret.agency
    )
    assert refused.count() == 1


def test_a_secret_officer_opens_a_secret_letter_and_every_opening_is_logged(
    client, bob, secret, soc
):
    Membership.objects.create(user=bob, agency=soc, role=AgencyRole.SECRET_OFFICER)
    client.force_login(bob)
    main = secret.attachments.get(role=AttachmentRole.MAIN)

    page = client.get(reverse("letter-detail", args=[secret.pk])).content.decode()
    download = client.get(reverse("letter-attachment", args=[secret.pk, main.pk]))

    assert "ด้วยสำนักงานฯ ขอเสนอแนวทางการปรับปรุง" in page
    assert "เรื่องลับ การจัดซื้อ" in page  # decrypted for the officer, never stored
    assert download.status_code == 200
    # The decrypted PDF under its real name, not the ciphertext kept on disk.
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert "filename*=utf-8''%E0%B8%AB" in download["Content-Disposition"]
    actions = list(
        AuditEvent.objects.filter(actor_user=bob, action__contains="secret").values_list(
            "action", flat=True
        )
    )
    assert actions == ["letters.letter.secret_opened", "letters.attachment.secret_opened"]
