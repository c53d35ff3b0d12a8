"""Alice (สพธอ.) composes letters: a draft with every field, files, ออกเลข, ลงนามและส่ง.

Each test asserts the page, the persisted rows and the audit rows; a double submission must
leave one draft, and Bob (สลค.) gets 404 for Alice's drafts whatever he tries.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from exchange.models import Delivery
from letters.models import (
    Attachment,
    AttachmentRole,
    Direction,
    Letter,
    LetterStatus,
    RecipientRole,
    RegisterEntry,
    RegisterKind,
)
from tests.conftest import make_agency

from .conftest import SAMPLE_SUBJECT, letter_pdf


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def sample_post(soc, **overrides):
    data = {
        "form_token": uuid.uuid4().hex,
        "kind": "external",
        "series": "normal",
        "subject": SAMPLE_SUBJECT,
        "salutation": "เรียน",
        "addressee": "เลขาธิการคณะรัฐมนตรี",
        "body": "ด้วยสำนักงานฯ ขอเสนอแนวทาง\nจึงเรียนมาเพื่อโปรดพิจารณา",
        "closing": "ขอแสดงความนับถือ",
        "signer_name": "นายทดสอบ ระบบดี",
        "signer_position": "ผู้อำนวยการ ปฏิบัติหน้าที่แทน",
        "owning_unit": "สำนักกฎหมาย",
        "phone": "0 2123 1234",
        "email": "saraban@etda.or.th",
        "urgency": "004",
        "secrecy": "001",
        "deadline_date": "๓๐/๑๑/๒๕๖๙",
        "deadline_time": "16.30",
        "to": [soc.key],
        "reference_number_0": "นร 0506/ว(ล) 11561",
        "reference_date_0": "22/04/2569",
        "reference_subject_0": "แนวทางการออกเอกสารหลักฐาน",
        "action": "save",
    }
    data.update(overrides)
    return data


def pdf_upload(name="หนังสือ.pdf", content=None):
    return SimpleUploadedFile(name, content or letter_pdf(), content_type="application/pdf")


def test_the_compose_page_offers_every_field_in_thai(alice_client):
    response = alice_client.get(reverse("letter-compose"))

    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "หนังสือใหม่", "เรื่อง", "คำขึ้นต้น", "คำลงท้าย", "ชั้นความเร็ว", "ชั้นความลับ",
        "ด่วนภายใน", "อ้างถึง", "สิ่งที่ส่งมาด้วย", "ออกเลข", "ลงนามและส่ง", 'name="form_token"',
        'hx-get="/directory/search/"',
    ):  # fmt: skip
        assert text in page, text
    assert "<script>" not in page  # the CSP allows scripts from our origin only


def test_saving_creates_one_draft_with_every_part_and_its_audit_rows(alice_client, etda, soc):
    dga = make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล", abbreviation="สพร.")
    data = sample_post(soc, cc=[dga.key])
    data["main_pdf"] = pdf_upload()
    data["enclosures"] = [pdf_upload("ร่างแนวทาง.pdf"), SimpleUploadedFile("ตาราง.csv", b"a,b\n")]

    response = alice_client.post(reverse("letter-compose"), data)

    letter = Letter.objects.get(agency=etda, direction=Direction.OUTGOING)
    assert response.status_code == 302
    assert response["Location"] == reverse("letter-edit", args=[letter.pk])
    assert letter.status == LetterStatus.DRAFT
    assert letter.subject == SAMPLE_SUBJECT and letter.urgency == "004"
    assert letter.owning_unit == "สำนักกฎหมาย" and letter.email == "saraban@etda.or.th"
    assert letter.urgent_deadline is not None
    assert letter.urgent_deadline.isoformat() == "2026-11-30T09:30:00+00:00"  # 16.30 Bangkok
    assert [(r.agency.key, r.role) for r in letter.recipients.order_by("position")] == [
        ("soc", RecipientRole.TO),
        ("dga", RecipientRole.CC),
    ]
    [reference] = letter.references.all()
    assert reference.number_text == "นร 0506/ว(ล) 11561"
    assert reference.date.isoformat() == "2026-04-22"
    roles = sorted(letter.attachments.values_list("role", "name"))
    assert roles == [
        (AttachmentRole.ENCLOSURE, "ตาราง.csv"),
        (AttachmentRole.ENCLOSURE, "ร่างแนวทาง.pdf"),
        (AttachmentRole.MAIN, "หนังสือ.pdf"),
    ]
    actions = list(
        AuditEvent.objects.filter(agency=etda).values_list("action", flat=True).order_by("sequence")
    )
    assert actions.count("letters.letter.drafted") == 1
    assert actions.count("letters.attachment.added") == 3

    page = alice_client.get(response["Location"]).content.decode()
    assert "บันทึกร่างแล้ว" in page
    assert 'value="สำนักกฎหมาย"' in page


def test_a_double_submission_creates_one_draft(alice_client, etda, soc):
    data = sample_post(soc)

    first = alice_client.post(reverse("letter-compose"), data)
    second = alice_client.post(reverse("letter-compose"), data)

    assert Letter.objects.filter(agency=etda).count() == 1
    assert first["Location"] == second["Location"]
    assert AuditEvent.objects.filter(action="letters.letter.drafted").count() == 1


def test_top_secret_is_refused_in_thai_and_nothing_is_kept(alice_client, etda, soc):
    response = alice_client.post(reverse("letter-compose"), sample_post(soc, secrecy="004"))

    assert response.status_code == 400
    assert "ห้ามส่งทางอิเล็กทรอนิกส์" in response.content.decode()
    assert not Letter.objects.filter(agency=etda).exists()


def test_a_main_file_that_is_not_really_a_pdf_is_refused_in_thai(alice_client, etda, soc):
    data = sample_post(soc)
    data["main_pdf"] = SimpleUploadedFile("หนังสือ.pdf", b"<html>not a pdf</html>")

    response = alice_client.post(reverse("letter-compose"), data)

    assert response.status_code == 400
    assert "ไม่ใช่เอกสาร PDF" in response.content.decode()
    assert not Letter.objects.filter(agency=etda).exists()
    assert not Attachment.objects.exists()


def test_a_main_file_that_is_not_named_pdf_is_refused(alice_client, etda, soc):
    data = sample_post(soc)
    data["main_pdf"] = SimpleUploadedFile("หนังสือ.docx", b"PK\x03\x04")

    response = alice_client.post(reverse("letter-compose"), data)

    assert response.status_code == 400
    assert "ต้องเป็นไฟล์ PDF" in response.content.decode()
    assert not Letter.objects.filter(agency=etda).exists()


def test_a_file_over_the_limit_is_refused_in_thai(alice_client, etda, soc, settings):
    settings.HUB_MAX_ATTACHMENT_BYTES = 1024 * 1024
    data = sample_post(soc)
    data["enclosures"] = [SimpleUploadedFile("ใหญ่.bin", b"x" * (1024 * 1024 + 1))]

    response = alice_client.post(reverse("letter-compose"), data)

    assert response.status_code == 400
    assert "ใหญ่.bin" in response.content.decode()
    assert "ใหญ่เกินกว่าที่ระบบรับได้" in response.content.decode()
    assert not Letter.objects.filter(agency=etda).exists()


def test_missing_subject_and_bad_dates_are_explained_beside_the_fields(alice_client, soc):
    data = sample_post(soc, subject="", deadline_date="31/02/2569", email="not-an-email")

    response = alice_client.post(reverse("letter-compose"), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "กรุณาระบุเรื่องของหนังสือ" in page
    assert "วัน/เดือน/ปี พ.ศ." in page
    assert "saraban@example.go.th" in page


def test_directory_search_finds_agencies_by_thai_english_and_abbreviation(alice_client, soc):
    for query in ("เลขาธิการ", "คณะรัฐ", "Cabinet", "สลค"):
        response = alice_client.get(
            reverse("recipient-search"), {"q": query}, headers={"HX-Request": "true"}
        )
        page = response.content.decode()
        assert 'data-recipient="soc"' in page, query
        assert "<html" not in page
    own = alice_client.get(reverse("recipient-search"), {"q": "สพธอ"}).content.decode()
    assert 'data-recipient="etda"' not in own  # an agency never writes to itself


def test_directory_search_keeps_the_chosen_recipients_ticked(alice_client, soc):
    dga = make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล", abbreviation="สพร.")

    page = alice_client.get(
        reverse("recipient-search"), {"q": "ดิจิทัล", "to": [soc.key]}
    ).content.decode()

    ticked = 'value="soc" id="to-soc" aria-label="ถึง: สำนักเลขาธิการคณะรัฐมนตรี" checked'
    assert ticked in page
    assert f'data-recipient="{dga.key}"' in page


def test_allocating_a_number_from_the_form_numbers_the_draft(alice_client, etda, soc):
    response = alice_client.post(
        reverse("letter-compose"), sample_post(soc, action="number"), follow=True
    )

    letter = Letter.objects.get(agency=etda)
    assert letter.status == LetterStatus.NUMBERED
    entry = RegisterEntry.objects.get(letter=letter, register=RegisterKind.DISPATCH)
    assert "ออกเลขแล้ว" in response.content.decode()
    assert entry.number == 1
    assert AuditEvent.objects.filter(action="letters.letter.numbered").count() == 1
    # A double click on ออกเลข costs no second number.
    alice_client.post(reverse("letter-number", args=[letter.pk]))
    assert RegisterEntry.objects.filter(register=RegisterKind.DISPATCH).count() == 1


def test_sign_and_send_sends_to_every_recipient(alice_client, hosted, etda, soc):
    data = sample_post(soc, action="send")
    data["main_pdf"] = pdf_upload()

    response = alice_client.post(reverse("letter-compose"), data, follow=True)

    letter = Letter.objects.get(agency=etda)
    assert letter.status == LetterStatus.SENT
    [delivery] = Delivery.objects.filter(letter=letter, message_type="letter")
    assert delivery.recipient == soc
    assert AuditEvent.objects.filter(action="letters.letter.sent", agency=etda).count() == 1
    page = response.content.decode()
    assert "ลงนามและส่งแล้ว" in page
    assert f'data-delivery="{delivery.pk}"' in page
    # The same form posted again is the same letter, sent once.
    alice_client.post(reverse("letter-compose"), data)
    assert Delivery.objects.filter(message_type="letter").count() == 1


def test_sending_without_a_recipient_is_explained(alice_client, etda, soc):
    response = alice_client.post(
        reverse("letter-compose"), sample_post(soc, action="send", to=[]), follow=True
    )

    assert "มีผู้รับอย่างน้อยหนึ่งราย" in response.content.decode()
    assert Letter.objects.get(agency=etda).status == LetterStatus.DRAFT


def test_editing_a_draft_changes_it_and_adds_files(alice_client, etda, soc):
    alice_client.post(reverse("letter-compose"), sample_post(soc))
    letter = Letter.objects.get(agency=etda)
    form_page = alice_client.get(reverse("letter-edit", args=[letter.pk])).content.decode()
    assert SAMPLE_SUBJECT in form_page
    assert 'value="soc" id="to-soc"' in form_page

    data = sample_post(soc, subject="เรื่องที่แก้ไขแล้ว")
    data["main_pdf"] = pdf_upload()
    response = alice_client.post(reverse("letter-edit", args=[letter.pk]), data)

    letter.refresh_from_db()
    assert response.status_code == 302
    assert letter.subject == "เรื่องที่แก้ไขแล้ว"
    assert letter.attachments.get().role == AttachmentRole.MAIN
    assert AuditEvent.objects.filter(action="letters.letter.updated", agency=etda).count() == 1


def test_a_sent_letter_cannot_be_edited(alice_client, hosted, etda, soc):
    alice_client.post(reverse("letter-compose"), sample_post(soc, action="send"))
    letter = Letter.objects.get(agency=etda)

    response = alice_client.get(reverse("letter-edit", args=[letter.pk]), follow=True)

    assert "แก้ไขได้เฉพาะหนังสือที่เป็นร่าง" in response.content.decode()


def test_bob_gets_404_for_alice_s_draft_whatever_he_tries(client, alice, bob, etda, soc):
    client.force_login(alice)
    client.post(reverse("letter-compose"), sample_post(soc))
    letter = Letter.objects.get(agency=etda)
    client.force_login(bob)

    assert client.get(reverse("letter-edit", args=[letter.pk])).status_code == 404
    assert client.post(reverse("letter-edit", args=[letter.pk]), {}).status_code == 404
    assert client.post(reverse("letter-number", args=[letter.pk])).status_code == 404
    assert client.post(reverse("letter-send", args=[letter.pk])).status_code == 404
    letter.refresh_from_db()
    assert letter.status == LetterStatus.DRAFT


def test_charlie_without_an_agency_is_told_whom_to_ask(client, charlie):
    client.force_login(charlie)

    assert client.get(reverse("letter-compose")).status_code == 403
