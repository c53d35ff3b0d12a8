"""Attaching files to a draft: attachment_add streams, hashes and stores them."""

from __future__ import annotations

import hashlib
import io
import random
import re
import tracemalloc
import unicodedata
from pathlib import Path

import pytest

from audit.models import AuditEvent
from letters.errors import AttachmentInvalid, AttachmentTooLarge, LetterNotEditable
from letters.models import Attachment, AttachmentRole, LetterStatus
from letters.services.attachments import attachment_add
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    letter_allocate_number,
    letter_create_draft,
)

MIB = 1024 * 1024
COVER_NAME = "หนังสือนำส่ง ฉบับที่ ๑.pdf"
# Enough of a PDF for a clerk's viewer to try; the hub does not parse it.
PDF_BYTES = (
    b"%PDF-1.7\n1 0 obj\n<< /Title (\xe0\xb8\xab\xe0\xb8\x99\xe0\xb8\xb1\xe0\xb8\x87) >>\n"
    b"endobj\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
)
STORAGE_NAME = re.compile(r"attachments/[0-9]{4}/[0-9]{2}/[0-9a-f]{32}(\.[a-z0-9]{1,10})?")


class PseudoRandomStream(io.RawIOBase):
    """``size`` reproducible pseudo-random bytes, made one block at a time as they are read.

    Not seekable, like a request body or a pipe; holds one block, never the whole file. The
    bytes depend only on the seed, not on how the reader sizes its reads.
    """

    BLOCK = 64 * 1024

    def __init__(self, size: int, *, seed: int = 2563) -> None:
        super().__init__()
        self._random = random.Random(seed)
        self._remaining = size
        self._block = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._remaining == 0:
            return 0
        if self._offset == len(self._block):
            self._block = self._random.randbytes(min(self.BLOCK, self._remaining))
            self._offset = 0
        count = min(len(buffer), len(self._block) - self._offset)
        buffer[:count] = self._block[self._offset : self._offset + count]
        self._offset += count
        self._remaining -= count
        return count


def sha256_of_stream(stream: io.RawIOBase, read_size: int = MIB) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while data := stream.read(read_size):
        digest.update(data)
        size += len(data)
    return size, digest.hexdigest()


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while data := file.read(MIB):
            digest.update(data)
    return digest.hexdigest()


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


@pytest.fixture
def draft(etda, soc, alice):
    return letter_create_draft(
        agency=etda,
        actor=alice,
        values=LetterFields(subject="ขอส่งรายชื่อผู้เข้าร่วมการประชุม"),
        parts=LetterParts(recipients=[RecipientInput(agency=soc)]),
    )


def attach(letter, actor, *, stream=None, name=COVER_NAME, role=AttachmentRole.MAIN, **kwargs):
    kwargs.setdefault("media_type", "application/pdf")
    return attachment_add(
        letter=letter,
        actor=actor,
        stream=io.BytesIO(PDF_BYTES) if stream is None else stream,
        name=name,
        role=role,
        **kwargs,
    )


def test_alice_attaches_a_thai_named_pdf_and_the_exact_bytes_are_kept(media, draft, alice):
    attachment = attach(
        draft, alice, media_type=" Application/PDF ", description="หนังสือนำส่งฉบับลงนาม"
    )

    stored = Attachment.objects.get(pk=attachment.pk)
    assert stored.letter == draft
    assert stored.name == COVER_NAME
    assert unicodedata.is_normalized("NFC", stored.name)
    assert (stored.role, stored.position) == (AttachmentRole.MAIN, 0)
    assert stored.media_type == "application/pdf"
    assert stored.description == "หนังสือนำส่งฉบับลงนาม"
    assert stored.uploaded_by == alice
    assert stored.size == len(PDF_BYTES)
    assert stored.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()

    # Stored under a random name: nothing of the clerk's file name reaches the disk path.
    assert STORAGE_NAME.fullmatch(stored.file.name)
    assert stored.file.name.endswith(".pdf")
    assert "หนังสือ" not in stored.file.name
    [on_disk] = stored_files(media)
    assert on_disk == media / stored.file.name
    assert on_disk.read_bytes() == PDF_BYTES
    with stored.file.open("rb") as file:
        assert file.read() == PDF_BYTES

    [event] = AuditEvent.objects.filter(action="letters.attachment.added")
    assert (event.actor_user, event.agency) == (alice, draft.agency)
    assert (event.target_type, event.target_id) == ("letters.attachment", str(attachment.pk))
    assert event.after == {
        "letter": draft.pk,
        "name": COVER_NAME,
        "media_type": "application/pdf",
        "size": len(PDF_BYTES),
        "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
        "role": "main",
    }


def test_two_uploads_of_the_same_name_get_different_storage_names(media, draft, alice):
    first = attach(draft, alice, role=AttachmentRole.ENCLOSURE)
    second = attach(draft, alice, role=AttachmentRole.ENCLOSURE)

    assert first.file.name != second.file.name
    assert (first.position, second.position) == (0, 1)
    assert len(stored_files(media)) == 2


def test_a_thai_name_typed_tone_mark_first_is_stored_nfc_normalised(media, draft, alice):
    # "ผู้" typed as ผ + ไม้โท + สระอู (as some keyboards send it); NFC puts สระอู first.
    typed = "สรุปความเห็น\u0e1c\u0e49\u0e39บริหาร.pdf"

    attachment = attach(draft, alice, name=typed)

    stored = Attachment.objects.get(pk=attachment.pk)
    assert stored.name == "สรุปความเห็น\u0e1c\u0e39\u0e49บริหาร.pdf"
    assert stored.name != typed
    assert unicodedata.is_normalized("NFC", stored.name)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("/var/lib/saraban/../../root/.ssh/authorized_keys", "authorized_keys"),
        ("C:\\Users\\alice\\Desktop\\บันทึกข้อความ.docx", "บันทึกข้อความ.docx"),
    ],
)
def test_a_name_with_a_path_keeps_only_its_last_part(media, draft, alice, given, kept):
    attachment = attach(draft, alice, name=given, role=AttachmentRole.ENCLOSURE)

    stored = Attachment.objects.get(pk=attachment.pk)
    assert stored.name == kept
    assert STORAGE_NAME.fullmatch(stored.file.name)
    [on_disk] = stored_files(media)
    assert on_disk.resolve().is_relative_to(media.resolve())
    assert on_disk.read_bytes() == PDF_BYTES


@pytest.mark.parametrize("name", ["", "   ", "..", "../", "ไฟล์\x00.pdf", "ไฟล์\n.pdf"])
def test_a_name_that_is_no_file_name_is_refused_before_anything_is_stored(
    media, draft, alice, name
):
    with pytest.raises(AttachmentInvalid) as raised:
        attach(draft, alice, name=name)

    assert raised.value.code == "letters.attachment_invalid"
    assert stored_files(media) == []
    assert not Attachment.objects.exists()


def test_a_media_type_without_a_slash_is_refused(media, draft, alice):
    with pytest.raises(AttachmentInvalid) as raised:
        attach(draft, alice, media_type="pdf")

    assert raised.value.details == {"media_type": "pdf"}
    assert stored_files(media) == []
    assert not Attachment.objects.exists()


def test_a_64_mib_stream_is_stored_without_holding_it_in_memory(media, draft, alice):
    size = 64 * MIB
    expected_size, expected_sha256 = sha256_of_stream(PseudoRandomStream(size))
    assert expected_size == size

    tracemalloc.start()
    try:
        attachment = attach(
            draft,
            alice,
            stream=PseudoRandomStream(size),
            name="ภาคผนวก ก ข้อมูลดิบ.bin",
            media_type="application/octet-stream",
            role=AttachmentRole.ENCLOSURE,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 8 * MIB, f"peak traced memory {peak / MIB:.1f} MiB"
    stored = Attachment.objects.get(pk=attachment.pk)
    assert (stored.size, stored.sha256) == (size, expected_sha256)
    [on_disk] = stored_files(media)
    assert on_disk.stat().st_size == size
    assert sha256_of_file(on_disk) == expected_sha256


def test_an_oversize_stream_is_refused_and_leaves_no_file_and_no_row(media, settings, draft, alice):
    settings.HUB_MAX_ATTACHMENT_BYTES = 100 * 1024
    # Several storage chunks, so the refusal comes after part of the file was written.
    stream = PseudoRandomStream(1 * MIB)

    with pytest.raises(AttachmentTooLarge) as raised:
        attach(
            draft,
            alice,
            stream=stream,
            name="ไฟล์ใหญ่เกินกำหนด.bin",
            media_type="application/octet-stream",
        )

    assert raised.value.code == "letters.attachment_too_large"
    assert raised.value.details == {"max_bytes": 100 * 1024}
    assert stored_files(media) == []
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="letters.attachment.added").exists()


def test_a_stream_of_exactly_the_limit_is_accepted(media, settings, draft, alice):
    settings.HUB_MAX_ATTACHMENT_BYTES = len(PDF_BYTES)

    attachment = attach(draft, alice)

    assert Attachment.objects.get(pk=attachment.pk).size == len(PDF_BYTES)
    assert len(stored_files(media)) == 1


def test_a_second_main_document_is_refused_and_its_file_removed(media, draft, alice):
    first = attach(draft, alice)
    enclosure = attach(draft, alice, name="สิ่งที่ส่งมาด้วย ๑.pdf", role=AttachmentRole.ENCLOSURE)
    first_files = stored_files(media)

    with pytest.raises(AttachmentInvalid) as raised:
        attach(draft, alice, stream=io.BytesIO(b"%PDF-1.7\nsecond\n%%EOF\n"), name="ฉบับที่ ๒.pdf")

    assert raised.value.code == "letters.attachment_invalid"
    assert stored_files(media) == first_files
    assert len(first_files) == 2
    assert list(Attachment.objects.order_by("id")) == [first, enclosure]
    assert AuditEvent.objects.filter(action="letters.attachment.added").count() == 2


def test_attaching_to_a_numbered_letter_is_refused_and_the_file_removed(media, draft, alice):
    letter_allocate_number(letter=draft, actor=alice)

    with pytest.raises(LetterNotEditable) as raised:
        attach(draft, alice)

    assert raised.value.code == "letters.not_editable"
    draft.refresh_from_db()
    assert draft.status == LetterStatus.NUMBERED
    assert stored_files(media) == []
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="letters.attachment.added").exists()
