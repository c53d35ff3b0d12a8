"""Outgoing letters through the API: ETDA's own e-saraban system drafts, changes, attaches,
downloads and numbers its letters; SOC's system can reach none of them.

Every test checks the answer, what was stored, and the audit rows the services wrote.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from letters.models import (
    Attachment,
    AttachmentRole,
    Direction,
    Letter,
    LetterStatus,
    RegisterEntry,
    RegisterKind,
)
from tests.conftest import make_agency

from .outgoing_support import (
    ENCLOSURE,
    ENCLOSURE_NAME,
    PDF,
    PDF_NAME,
    SUBJECT,
    letter_metadata,
    sha256,
)

LETTERS = "/api/v1/letters"


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def dga(db):
    return make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)")


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def actor_of(key) -> str:
    return f"apikey:{key.api_key.prefix}"


def create_json(client, **overrides):
    return client.post(LETTERS, letter_metadata(**overrides), format="json")


def create_multipart(client, *, metadata=None, **files):
    body = {"metadata": json.dumps(metadata or letter_metadata(), ensure_ascii=False), **files}
    return client.post(LETTERS, body, format="multipart")


def pdf_part(content: bytes = PDF, name: str = PDF_NAME, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def enclosure_part(content: bytes = ENCLOSURE, name: str = ENCLOSURE_NAME):
    return SimpleUploadedFile(name, content, content_type="text/plain")


@pytest.fixture
def draft(etda_system, soc, media):
    response = create_json(etda_system)
    assert response.status_code == 201, response.json()
    return Letter.objects.get(pk=response.json()["id"])


# -- Create ------------------------------------------------------------------------------------


def test_etdas_system_creates_a_draft_from_json_metadata(etda_system, etda_key, etda, soc, dga):
    response = create_json(
        etda_system,
        unit_number="๕๑๑.๐๔",
        letter_date="2026-04-22",
        recipients=[
            {"agency": "soc", "role": "to", "addressee": "เลขาธิการคณะรัฐมนตรี"},
            {"agency": "dga", "role": "cc", "addressee": "ผู้อำนวยการสำนักงานพัฒนารัฐบาลดิจิทัล"},
        ],
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == f"{LETTERS}/{body['id']}"
    assert body["status"] == "draft"
    assert body["number"] is None
    assert body["subject"] == SUBJECT
    assert body["unit_number"] == "511.04"  # Thai digits typed, Arabic stored
    assert [(r["agency"], r["role"]) for r in body["recipients"]] == [("soc", "to"), ("dga", "cc")]
    assert body["references"] == [
        {
            "number_text": "นร ๐๕๐๖/ว(ล) ๑๑๕๖๑",
            "date": "2026-03-02",
            "subject": "การปรับปรุงการออกเอกสารหลักฐานของทางราชการ",
        }
    ]
    assert body["attachments"] == []

    letter = Letter.objects.get(pk=body["id"])
    assert (letter.agency, letter.direction, letter.status) == (
        etda,
        Direction.OUTGOING,
        LetterStatus.DRAFT,
    )
    assert (letter.ministry_code, letter.sub_agency_code) == ("ดศ", "สพขอ")  # ETDA's own
    assert letter.urgency == "004"
    assert letter.owning_unit == "สำนักกฎหมาย"
    assert [r.agency for r in letter.recipients.all()] == [soc, dga]
    [event] = AuditEvent.objects.filter(action="letters.letter.drafted")
    assert (event.actor_label, event.agency, event.target_id) == (
        actor_of(etda_key),
        etda,
        str(letter.pk),
    )
    assert event.after["subject"] == SUBJECT


def test_a_multipart_draft_keeps_its_pdf_and_enclosures_in_order(etda_system, etda_key, soc, media):
    second = "สิ่งที่ส่งมาด้วย ๒ กำหนดการ.txt"
    response = create_multipart(
        etda_system,
        main=pdf_part(),
        enclosure=[enclosure_part(), enclosure_part(b"\xe0\xb8\x81\xe0\xb8\x82", second)],
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    files = [(a["role"], a["name"], a["size"], a["sha256"]) for a in body["attachments"]]
    assert files == [
        ("enclosure", ENCLOSURE_NAME, len(ENCLOSURE), sha256(ENCLOSURE)),
        ("enclosure", second, 6, sha256(b"\xe0\xb8\x81\xe0\xb8\x82")),
        ("main", PDF_NAME, len(PDF), sha256(PDF)),
    ]
    main = next(a for a in body["attachments"] if a["role"] == "main")
    assert main["media_type"] == "application/pdf"
    assert main["download_url"] == (
        f"http://testserver{LETTERS}/{body['id']}/attachments/{main['id']}"
    )
    stored = Attachment.objects.get(pk=main["id"])
    with stored.file.open("rb") as file:
        assert file.read() == PDF
    assert len(stored_files(media)) == 3
    events = AuditEvent.objects.filter(action="letters.attachment.added").order_by("sequence")
    assert [e.after["name"] for e in events] == [PDF_NAME, ENCLOSURE_NAME, second]
    assert {e.actor_label for e in events} == {actor_of(etda_key)}


def test_the_metadata_may_be_a_json_file_part(etda_system, soc, media):
    metadata = SimpleUploadedFile(
        "metadata.json",
        json.dumps(letter_metadata(), ensure_ascii=False).encode(),
        content_type="application/json",
    )

    response = etda_system.post(
        LETTERS, {"metadata": metadata, "main": pdf_part()}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["subject"] == SUBJECT
    assert [a["role"] for a in response.json()["attachments"]] == ["main"]


def test_a_file_sent_as_octet_stream_gets_the_type_its_name_says(etda_system, soc, media):
    response = create_multipart(etda_system, main=pdf_part(content_type="application/octet-stream"))

    assert response.status_code == 201, response.json()
    assert response.json()["attachments"][0]["media_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", PDF_NAME, "application/pdf"),
        (b"PK\x03\x04 word document", "หนังสือ.pdf", "application/octet-stream"),
        (b"%PD", "สั้นเกินไป.pdf", "application/pdf"),
    ],
)
def test_a_file_called_a_pdf_that_is_not_one_is_refused_and_nothing_is_kept(
    etda_system, soc, media, content, name, content_type
):
    response = create_multipart(
        etda_system, main=pdf_part(content, name, content_type), enclosure=[enclosure_part()]
    )

    assert response.status_code == 400
    assert response.json()["code"] == "letters.attachment_not_pdf"
    assert response.json()["message"] == "ไฟล์ระบุว่าเป็น PDF แต่เนื้อหาไม่ใช่เอกสาร PDF"
    assert not Letter.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
    assert not AuditEvent.objects.filter(action__startswith="letters.").exists()


def test_a_media_type_outside_the_setting_is_refused(etda_system, soc, media, settings):
    settings.HUB_ATTACHMENT_MEDIA_TYPES = ["application/pdf"]

    response = create_multipart(etda_system, main=pdf_part(), enclosure=[enclosure_part()])

    assert response.status_code == 400
    assert response.json()["code"] == "letters.attachment_type_not_allowed"
    assert response.json()["details"] == {
        "media_type": "text/plain",
        "allowed": ["application/pdf"],
    }
    assert not Letter.objects.exists()
    assert stored_files(media) == []


def test_a_file_over_the_size_limit_is_413_and_nothing_is_kept(etda_system, soc, media, settings):
    settings.HUB_MAX_ATTACHMENT_BYTES = len(PDF) - 1

    response = create_multipart(etda_system, main=pdf_part())

    assert response.status_code == 413
    assert response.json()["code"] == "api.request_too_large"
    assert response.json()["details"] == {"max_file_bytes": len(PDF) - 1, "field": "main"}
    assert not Letter.objects.exists()
    assert stored_files(media) == []


def test_two_main_documents_are_refused(etda_system, soc, media):
    response = create_multipart(etda_system, main=[pdf_part(), pdf_part(name="ฉบับที่ ๒.pdf")])

    assert response.status_code == 400
    assert response.json()["code"] == "letters.attachment_invalid"
    assert not Letter.objects.exists()
    assert stored_files(media) == []


def test_an_unknown_part_is_refused_rather_than_dropped(etda_system, soc, media):
    response = create_multipart(etda_system, enclosures=[enclosure_part()])

    assert response.status_code == 400
    assert response.json()["code"] == "api.validation"
    assert list(response.json()["details"]["fields"]) == ["enclosures"]
    assert not Letter.objects.exists()


def test_multipart_without_metadata_is_refused(etda_system, soc, media):
    response = etda_system.post(LETTERS, {"main": pdf_part()}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "api.validation"
    assert list(response.json()["details"]["fields"]) == ["metadata"]


def test_metadata_that_is_not_json_is_a_malformed_request(etda_system, soc, media):
    response = etda_system.post(LETTERS, {"metadata": "{เรื่อง:"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "api.malformed_request"
    assert not Letter.objects.exists()


def test_an_unknown_recipient_key_names_the_field(etda_system, soc):
    response = create_json(etda_system, recipients=[{"agency": "no-such-agency"}])

    assert response.status_code == 400
    assert response.json()["code"] == "api.validation"
    # DRF names the failing item of a list by its index.
    assert response.json()["details"]["fields"]["recipients"] == {
        "0": {"agency": ["ไม่มีส่วนราชการที่ใช้งานอยู่ซึ่งมีรหัสในทำเนียบนี้"]}
    }
    assert not Letter.objects.exists()


def test_a_subject_is_required(etda_system, soc):
    metadata = letter_metadata()
    del metadata["subject"]

    response = etda_system.post(LETTERS, metadata, format="json")

    assert response.status_code == 400
    assert "subject" in response.json()["details"]["fields"]


# -- ลับที่สุด ------------------------------------------------------------------------------------


def test_a_top_secret_letter_is_refused_at_create(etda_system, soc, media):
    json_answer = create_json(etda_system, secrecy="004")
    multipart_answer = create_multipart(
        etda_system, metadata=letter_metadata(secrecy="004"), main=pdf_part()
    )

    for response in (json_answer, multipart_answer):
        assert response.status_code == 400
        assert response.json()["code"] == "letters.top_secret_refused"
        assert "ลับที่สุด" in response.json()["message"]
    assert not Letter.objects.exists()
    assert stored_files(media) == []  # refused before a byte of the PDF was stored


def test_a_draft_cannot_be_made_top_secret(etda_system, draft):
    response = etda_system.patch(f"{LETTERS}/{draft.pk}", {"secrecy": "004"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "letters.top_secret_refused"
    draft.refresh_from_db()
    assert draft.secrecy == "001"
    assert not AuditEvent.objects.filter(action="letters.letter.updated").exists()


# -- Read --------------------------------------------------------------------------------------


def test_etdas_system_reads_its_letter(etda_system, draft):
    response = etda_system.get(f"{LETTERS}/{draft.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["subject"], body["status"]) == (draft.pk, SUBJECT, "draft")
    assert body["recipients"] == [
        {
            "agency": "soc",
            "name_th": "สำนักเลขาธิการคณะรัฐมนตรี",
            "role": "to",
            "addressee": "เลขาธิการคณะรัฐมนตรี",
        }
    ]


def test_a_letter_without_an_email_answers_an_empty_string(etda_system, soc):
    # Not a "format: email" field in the schema: "" would not conform to it.
    response = create_json(etda_system, email="")

    assert response.status_code == 201
    assert response.json()["email"] == ""


def test_a_letter_that_does_not_exist_is_404(etda_system, etda):
    response = etda_system.get(f"{LETTERS}/999999")

    assert response.status_code == 404
    assert response.json()["code"] == "api.not_found"


def test_without_a_key_nothing_is_answered(anonymous, draft):
    response = anonymous.get(f"{LETTERS}/{draft.pk}")

    assert response.status_code == 401
    assert response.json()["code"] == "auth.missing_key"


# -- Change ------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(etda_system, etda_key, draft, dga):
    response = etda_system.patch(
        f"{LETTERS}/{draft.pk}",
        {
            "subject": "ขอเลื่อนการประชุม ครั้งที่ ๑/๒๕๖๙",
            "recipients": [{"agency": "dga", "addressee": "ผู้อำนวยการ"}],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["subject"] == "ขอเลื่อนการประชุม ครั้งที่ ๑/๒๕๖๙"
    assert body["body"] == letter_metadata()["body"]  # not sent, not changed
    assert [r["agency"] for r in body["recipients"]] == ["dga"]
    assert [r["number_text"] for r in body["references"]] == ["นร ๐๕๐๖/ว(ล) ๑๑๕๖๑"]
    draft.refresh_from_db()
    assert draft.subject == "ขอเลื่อนการประชุม ครั้งที่ ๑/๒๕๖๙"
    assert draft.urgency == "004"
    [event] = AuditEvent.objects.filter(action="letters.letter.updated")
    assert event.actor_label == actor_of(etda_key)
    assert event.before["subject"] == SUBJECT
    assert event.after["subject"] == "ขอเลื่อนการประชุม ครั้งที่ ๑/๒๕๖๙"


def test_a_numbered_letter_can_no_longer_be_changed(etda_system, draft):
    etda_system.post(f"{LETTERS}/{draft.pk}/number")

    response = etda_system.patch(f"{LETTERS}/{draft.pk}", {"subject": "แก้ไข"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "letters.not_editable"
    draft.refresh_from_db()
    assert draft.subject == SUBJECT


def test_patch_takes_json_only(etda_system, draft):
    response = etda_system.patch(f"{LETTERS}/{draft.pk}", {"subject": "แก้ไข"}, format="multipart")

    assert response.status_code == 415
    assert response.json()["code"] == "api.unsupported_media_type"


# -- Attach and download -----------------------------------------------------------------------


def test_a_file_is_attached_to_a_draft_and_downloaded_byte_for_byte(etda_system, etda_key, draft):
    response = etda_system.post(
        f"{LETTERS}/{draft.pk}/attachments",
        {"file": pdf_part(), "role": "main", "description": "หนังสือฉบับลงนาม"},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["role"], body["name"], body["description"]) == ("main", PDF_NAME, "หนังสือฉบับลงนาม")
    assert (body["size"], body["sha256"]) == (len(PDF), sha256(PDF))
    assert response["Location"] == f"{LETTERS}/{draft.pk}/attachments/{body['id']}"
    [event] = AuditEvent.objects.filter(action="letters.attachment.added")
    assert event.actor_label == actor_of(etda_key)

    download = etda_system.get(response["Location"], HTTP_ACCEPT="application/pdf")

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Length"] == str(len(PDF))
    assert "filename*=utf-8''" in download["Content-Disposition"]
    assert download["Repr-Digest"] == (
        f"sha-256=:{base64.b64encode(bytes.fromhex(sha256(PDF))).decode()}:"
    )


def test_an_enclosure_is_the_default_role(etda_system, draft):
    response = etda_system.post(
        f"{LETTERS}/{draft.pk}/attachments", {"file": enclosure_part()}, format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["role"] == "enclosure"
    assert Attachment.objects.get(pk=response.json()["id"]).role == AttachmentRole.ENCLOSURE


def test_a_second_main_document_is_refused(etda_system, draft, media):
    url = f"{LETTERS}/{draft.pk}/attachments"
    etda_system.post(url, {"file": pdf_part(), "role": "main"}, format="multipart")

    response = etda_system.post(
        url, {"file": pdf_part(name="ฉบับแก้ไข.pdf"), "role": "main"}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "letters.attachment_invalid"
    assert draft.attachments.count() == 1
    assert len(stored_files(media)) == 1


def test_a_not_pdf_added_later_is_refused_too(etda_system, draft, media):
    response = etda_system.post(
        f"{LETTERS}/{draft.pk}/attachments",
        {"file": pdf_part(b"just text", "บันทึก.pdf")},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "letters.attachment_not_pdf"
    assert not draft.attachments.exists()
    assert stored_files(media) == []


def test_no_file_is_added_to_a_numbered_letter(etda_system, draft, media):
    etda_system.post(f"{LETTERS}/{draft.pk}/number")

    response = etda_system.post(
        f"{LETTERS}/{draft.pk}/attachments", {"file": pdf_part()}, format="multipart"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "letters.not_editable"
    assert stored_files(media) == []


def test_a_file_of_another_letter_is_not_found_under_this_one(etda_system, draft, soc):
    other = create_multipart(etda_system, main=pdf_part()).json()

    response = etda_system.get(f"{LETTERS}/{draft.pk}/attachments/{other['attachments'][0]['id']}")

    assert response.status_code == 404
    assert response.json()["code"] == "api.not_found"


# -- Number ------------------------------------------------------------------------------------


def test_the_draft_gets_its_dispatch_number_once(etda_system, etda_key, draft):
    first = etda_system.post(f"{LETTERS}/{draft.pk}/number")
    again = etda_system.post(f"{LETTERS}/{draft.pk}/number")

    assert first.status_code == again.status_code == 200
    body = first.json()
    assert body["number"] == "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑"
    assert body["number_arabic"] == "ดศ (สพขอ) 511.04/0001"
    assert (body["status"], body["running_number"], body["series"]) == ("numbered", 1, "normal")
    assert again.json() == body
    [entry] = RegisterEntry.objects.filter(letter=draft, register=RegisterKind.DISPATCH)
    assert (entry.number, entry.letter_number) == (1, "ดศ (สพขอ) ๕๑๑.๐๔/๐๐๐๑")
    [event] = AuditEvent.objects.filter(action="letters.letter.numbered")
    assert event.actor_label == actor_of(etda_key)
    draft.refresh_from_db()
    assert draft.status == LetterStatus.NUMBERED


def test_a_letter_without_an_owner_number_cannot_be_numbered(etda_system, soc):
    created = create_json(etda_system, unit_number="").json()

    response = etda_system.post(f"{LETTERS}/{created['id']}/number")

    assert response.status_code == 400
    assert response.json()["code"] == "letters.invalid"
    assert not RegisterEntry.objects.exists()


# -- Another agency ----------------------------------------------------------------------------


def test_soc_reaches_none_of_etdas_letter(soc_system, etda_system, draft, media):
    attachment = etda_system.post(
        f"{LETTERS}/{draft.pk}/attachments", {"file": pdf_part()}, format="multipart"
    ).json()
    base = f"{LETTERS}/{draft.pk}"

    answers = [
        soc_system.get(base),
        soc_system.patch(base, {"subject": "ของ สลค."}, format="json"),
        soc_system.post(f"{base}/attachments", {"file": pdf_part()}, format="multipart"),
        soc_system.get(f"{base}/attachments/{attachment['id']}"),
        soc_system.post(f"{base}/number"),
        soc_system.post(f"{base}/send"),
        soc_system.get(f"{base}/deliveries"),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    assert {a.json()["code"] for a in answers} == {"api.not_found"}
    draft.refresh_from_db()
    assert (draft.subject, draft.status) == (SUBJECT, LetterStatus.DRAFT)
    assert draft.attachments.count() == 1
    assert not RegisterEntry.objects.exists()
    assert len(stored_files(media)) == 1


def test_an_incoming_copy_is_not_an_outgoing_letter(etda_system, etda, soc):
    incoming = Letter.objects.create(
        agency=etda,
        sender_agency=soc,
        direction=Direction.INCOMING,
        status=LetterStatus.RECEIVED,
        ministry_code="นร",
        subject="หนังสือจาก สลค.",
    )

    response = etda_system.get(f"{LETTERS}/{incoming.pk}")

    assert response.status_code == 404


def test_a_file_past_the_memory_threshold_is_stored_whole(etda_system, draft, media, settings):
    # Past FILE_UPLOAD_MAX_MEMORY_SIZE Django spools the part to a temporary file, which the
    # service copies into storage chunk by chunk (tests/letters covers the memory bound).
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    big = PDF + b"%" + b"\x00" * (3 * 1024 * 1024)

    response = etda_system.post(
        f"{LETTERS}/{draft.pk}/attachments",
        {"file": SimpleUploadedFile("ภาคผนวก.pdf", big, "application/pdf")},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["sha256"] == sha256(big)
    [on_disk] = stored_files(media)
    assert on_disk.stat().st_size == len(big)
    assert sha256(on_disk.read_bytes()) == sha256(big)
