"""A draft created with its files in one go, the PDF header check, the media-type setting,
and partial changes of a draft (letter_change_draft)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from audit.models import AuditEvent
from letters.errors import (
    AttachmentInvalid,
    AttachmentNotPdf,
    AttachmentTypeNotAllowed,
    LetterInvalid,
    LetterNotEditable,
    TopSecretRefused,
)
from letters.models import Attachment, AttachmentRole, Letter
from letters.services.attachments import AttachmentUpload, attachment_add
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    ReferenceInput,
    letter_allocate_number,
    letter_change_draft,
    letter_create_draft,
)
from tests.conftest import make_agency

PDF = b"%PDF-1.7\n1 0 obj\n<< /Title (\xe0\xb8\xab\xe0\xb8\x99\xe0\xb8\xb1\xe0\xb8\x87) >>\n%%EOF\n"
NOTE = "บันทึกประกอบการพิจารณา ๓ หน้า".encode()


class OneWayStream(io.RawIOBase):
    """Bytes that can be read once, in small pieces, and never rewound (like a socket)."""

    def __init__(self, data: bytes, piece: int = 3) -> None:
        super().__init__()
        self._data, self._piece = data, piece

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self._piece, len(self._data))
        buffer[:count], self._data = self._data[:count], self._data[count:]
        return count


@pytest.fixture
def dga(db):
    return make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)")


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def upload(data: bytes = PDF, *, name="หนังสือ.pdf", media_type="application/pdf", role="main"):
    return AttachmentUpload(
        stream=io.BytesIO(data), name=name, media_type=media_type, role=AttachmentRole(role)
    )


def draft(etda, soc, alice, **kwargs):
    return letter_create_draft(
        agency=etda,
        actor=alice,
        values=LetterFields(subject="ขอส่งรายงานผลการดำเนินงาน ไตรมาสที่ ๒"),
        parts=kwargs.pop("parts", LetterParts(recipients=[RecipientInput(agency=soc)])),
        **kwargs,
    )


def test_a_draft_and_its_files_are_kept_together(media, etda, soc, alice):
    letter = draft(
        etda,
        soc,
        alice,
        attachments=[
            upload(),
            upload(NOTE, name="บันทึก.txt", media_type="text/plain", role="enclosure"),
        ],
    )

    [main, note] = letter.attachments.order_by("position")
    assert (main.role, main.position, main.size) == ("main", 0, len(PDF))
    assert (note.role, note.position, note.uploaded_by) == ("enclosure", 1, alice)
    assert len(stored_files(media)) == 2
    assert list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True)) == [
        "letters.letter.drafted",
        "letters.attachment.added",
        "letters.attachment.added",
    ]


def test_a_draft_refused_after_its_files_were_stored_leaves_no_file(media, etda, soc, alice):
    twice = LetterParts(recipients=[RecipientInput(agency=soc), RecipientInput(agency=soc)])

    with pytest.raises(LetterInvalid):
        draft(etda, soc, alice, parts=twice, attachments=[upload()])

    assert not Letter.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_a_top_secret_draft_is_refused_before_any_file_is_stored(media, etda, soc, alice):
    stream = OneWayStream(PDF)

    with pytest.raises(TopSecretRefused):
        letter_create_draft(
            agency=etda,
            actor=alice,
            values=LetterFields(subject="ลับที่สุด", secrecy="004"),
            attachments=[
                AttachmentUpload(
                    stream=stream, name="ลับ.pdf", media_type="application/pdf", role="main"
                )
            ],
        )

    assert stream.read() == PDF  # not a byte was read
    assert stored_files(media) == []


def test_the_pdf_header_is_checked_on_a_stream_that_cannot_rewind(media, etda, soc, alice):
    letter = draft(etda, soc, alice)

    attachment = attachment_add(
        letter=letter,
        actor=alice,
        stream=OneWayStream(PDF),
        name="หนังสือ.pdf",
        media_type="application/pdf",
        role=AttachmentRole.MAIN,
    )
    with pytest.raises(AttachmentNotPdf) as raised:
        attachment_add(
            letter=letter,
            actor=alice,
            stream=OneWayStream(b"%PDX-1.7 not a pdf" * 1000),
            name="ปลอม.PDF",
            media_type="application/octet-stream",
            role=AttachmentRole.ENCLOSURE,
        )

    assert raised.value.code == "letters.attachment_not_pdf"
    assert raised.value.details["name"] == "ปลอม.PDF"
    assert list(letter.attachments.all()) == [attachment]
    assert stored_files(media) == [media / attachment.file.name]


def test_a_file_not_called_a_pdf_is_not_held_to_the_header(media, etda, soc, alice):
    letter = draft(
        etda, soc, alice, attachments=[upload(NOTE, name="บันทึก.txt", media_type="text/plain")]
    )

    assert letter.attachments.get().size == len(NOTE)


def test_the_media_type_setting_refuses_before_storing(media, settings, etda, soc, alice):
    settings.HUB_ATTACHMENT_MEDIA_TYPES = ["application/pdf", "image/png"]

    with pytest.raises(AttachmentTypeNotAllowed) as raised:
        draft(
            etda,
            soc,
            alice,
            attachments=[upload(), upload(NOTE, media_type="Text/Plain", role="enclosure")],
        )

    assert raised.value.details == {
        "media_type": "text/plain",
        "allowed": ["application/pdf", "image/png"],
    }
    assert not Letter.objects.exists()
    assert stored_files(media) == []


def test_two_main_documents_are_refused_before_storing(media, etda, soc, alice):
    with pytest.raises(AttachmentInvalid):
        draft(etda, soc, alice, attachments=[upload(), upload(name="ฉบับที่ ๒.pdf")])

    assert not Letter.objects.exists()
    assert stored_files(media) == []


def test_the_same_client_token_with_files_returns_the_first_draft_and_stores_nothing(
    media, etda, soc, alice
):
    first = draft(etda, soc, alice, client_token="form-1", attachments=[upload()])

    again = draft(etda, soc, alice, client_token="form-1", attachments=[upload()])

    assert again == first
    assert len(stored_files(media)) == 1


# -- letter_change_draft -----------------------------------------------------------------------


def test_only_the_named_fields_change(etda, soc, dga, alice):
    letter = letter_create_draft(
        agency=etda,
        actor=alice,
        values=LetterFields(
            subject="ขอเชิญประชุม", body="รายละเอียดเดิม", urgency="002", unit_number="511.04"
        ),
        parts=LetterParts(
            recipients=[RecipientInput(agency=soc)],
            references=[ReferenceInput(number_text="นร ๐๕๐๖/ว ๑๑๕๖๑")],
        ),
    )

    changed = letter_change_draft(
        letter=letter,
        actor=alice,
        changes={"subject": "ขอเลื่อนการประชุม"},
        recipients=[RecipientInput(agency=dga, role="cc")],
    )

    changed.refresh_from_db()
    assert (changed.subject, changed.body, changed.urgency) == (
        "ขอเลื่อนการประชุม",
        "รายละเอียดเดิม",
        "002",
    )
    assert (changed.ministry_code, changed.sub_agency_code, changed.unit_number) == (
        "ดศ",
        "สพขอ",
        "511.04",
    )
    assert [(r.agency, r.role) for r in changed.recipients.all()] == [(dga, "cc")]
    assert [r.number_text for r in changed.references.all()] == ["นร ๐๕๐๖/ว ๑๑๕๖๑"]
    event = AuditEvent.objects.get(action="letters.letter.updated")
    assert (event.before["subject"], event.after["subject"]) == ("ขอเชิญประชุม", "ขอเลื่อนการประชุม")
    assert event.before["body"] == event.after["body"] == "รายละเอียดเดิม"


def test_an_unknown_field_is_refused(etda, soc, alice):
    letter = draft(etda, soc, alice)

    with pytest.raises(LetterInvalid) as raised:
        letter_change_draft(letter=letter, actor=alice, changes={"status": "sent"})

    assert raised.value.details == {"fields": {"status": ["Unknown field."]}}
    assert not AuditEvent.objects.filter(action="letters.letter.updated").exists()


def test_a_change_to_top_secret_is_refused(etda, soc, alice):
    letter = draft(etda, soc, alice)

    with pytest.raises(TopSecretRefused):
        letter_change_draft(letter=letter, actor=alice, changes={"secrecy": "004"})

    letter.refresh_from_db()
    assert letter.secrecy == "001"


def test_a_numbered_letter_is_not_changed(etda, soc, alice):
    letter = draft(etda, soc, alice)
    letter_allocate_number(letter=letter, actor=alice)

    with pytest.raises(LetterNotEditable):
        letter_change_draft(letter=letter, actor=alice, changes={"subject": "แก้ไขภายหลัง"})
