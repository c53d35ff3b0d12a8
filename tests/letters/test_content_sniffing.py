"""A file is what it says: first bytes against declared type and name (letters/content_sniffing)."""

from __future__ import annotations

import io

import pytest

from letters.errors import AttachmentContentMismatch, AttachmentNotPdf, AttachmentTypeForbidden
from letters.models import Attachment, AttachmentRole

from .test_attachments import attach, stored_files

PDF = "%PDF-1.7\n% หนังสือเชิญประชุม\n%%EOF\n".encode()


@pytest.mark.parametrize(
    ("content", "name", "media_type", "error"),
    [
        (
            b"<!DOCTYPE html><script>alert(1)</script>",
            "หนังสือ.pdf",
            "application/pdf",
            AttachmentNotPdf,
        ),
        (
            "ไม่ใช่ PDF แต่ตั้งชื่อว่า PDF".encode(),
            "หนังสือ.pdf",
            "application/pdf",
            AttachmentContentMismatch,
        ),
        (
            "ข้อความธรรมดา".encode(),
            "หนังสือ.pdf",
            "application/octet-stream",
            AttachmentContentMismatch,
        ),
        (PDF, "รูปภาพ.png", "image/png", AttachmentContentMismatch),
        (b"MZ\x90\x00\x03", "โปรแกรม.txt", "text/plain", AttachmentTypeForbidden),
        (b"\x7fELF\x02\x01", "ข้อมูล.csv", "text/csv", AttachmentTypeForbidden),
        (b"<svg onload=alert(1)>", "ภาพ.svg", "image/svg+xml", AttachmentTypeForbidden),
        (b"  <html><body>", "หน้าเว็บ.txt", "text/plain", AttachmentTypeForbidden),
        (
            b"plain words",
            "แบบฟอร์ม.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            AttachmentContentMismatch,
        ),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_kept(
    media, draft, alice, content, name, media_type, error
):
    with pytest.raises(error) as raised:
        attach(draft, alice, stream=io.BytesIO(content), name=name, media_type=media_type)

    assert raised.value.code.startswith("letters.attachment_")
    assert stored_files(media) == []
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "media_type"),
    [
        (PDF, "หนังสือเชิญประชุม.pdf", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "แผนที่.png", "image/png"),
        ("ชื่อ,ตำแหน่ง\nสมชาย,ผู้อำนวยการ\n".encode(), "รายชื่อ.csv", "text/csv"),
        (
            b"PK\x03\x04\x14\x00",
            "แบบฟอร์ม.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_files_that_are_what_they_claim_are_kept_byte_for_byte(
    media, draft, alice, content, name, media_type
):
    attachment = attach(
        draft,
        alice,
        stream=io.BytesIO(content),
        name=name,
        media_type=media_type,
        role=AttachmentRole.ENCLOSURE,
    )

    assert attachment.file.read() == content


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, like a request body read as it arrives."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_stream_that_cannot_seek_is_checked_and_kept_whole(media, draft, alice):
    content = PDF + b"x" * 200_000

    attachment = attach(draft, alice, stream=_Pipe(content), name="หนังสือ.pdf")

    assert attachment.size == len(content)
    assert attachment.file.read() == content
