"""Attach files to letters, hashing them while they stream into storage."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import IO, Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency
from audit.services import Actor, audit_chain_lock, audit_record
from letters.content_sniffing import HEAD_BYTES, content_check
from letters.errors import (
    AttachmentInvalid,
    AttachmentNotPdf,
    AttachmentTooLarge,
    AttachmentTypeNotAllowed,
    LetterNotEditable,
)
from letters.models import Attachment, AttachmentRole, Letter, LetterStatus
from letters.sealing import TAG_BYTES, FileSealer, SealedFile, file_associated_data
from letters.selectors import letter_is_secret

from .sealed import (
    SEALED_MEDIA_TYPE,
    attachments_seal,
    attachments_unseal,
    letter_holds_sealed,
    sealed_add_files,
    sealed_file_name,
    storage_name,
)

CHUNK_SIZE = 64 * 1024
PDF_MEDIA_TYPE = "application/pdf"
# Every PDF begins with its header "%PDF-1.x" (ISO 32000-1, 7.5.2). Checking it catches the
# Word file or HTML error page saved as ".pdf" before a recipient's clerk tries to open it.
PDF_HEADER = b"%PDF-"


@dataclass(frozen=True)
class AttachmentUpload:
    """A file for a draft: its stream is read once, in chunks, straight into storage."""

    stream: IO[bytes]
    name: str
    media_type: str
    role: AttachmentRole
    description: str = ""


class HashingFile(File):  # type: ignore[type-arg]
    """A file wrapper that counts and hashes every byte the storage reads from it.

    Storage backends copy uploads chunk by chunk; hashing those same chunks means the file
    is read once and never held whole in memory, whatever its size. Reading past the cap
    stops the copy at once instead of filling the disk first.
    """

    def __init__(
        self, stream: IO[bytes], *, name: str, max_bytes: int, required_header: bytes = b""
    ) -> None:
        super().__init__(stream, name=name)
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0
        self.max_bytes = max_bytes
        self.required_header = required_header
        self.head = b""

    def _count(self, data: bytes) -> bytes:
        self.bytes_read += len(data)
        if self.bytes_read > self.max_bytes:
            raise AttachmentTooLarge(details={"max_bytes": self.max_bytes})
        if len(self.head) < len(self.required_header):
            # Checked on the bytes as they stream by: the stream may not be seekable, and a
            # wrong file is stopped at its first chunk rather than after it is all on disk.
            self.head += data[: len(self.required_header) - len(self.head)]
            if not self.required_header.startswith(self.head):
                raise AttachmentNotPdf(details={"name": self.name})
        self.sha256.update(data)
        return data

    def header_complete(self) -> bool:
        """Say whether the whole required header was read (a shorter file lacks it)."""
        return self.head == self.required_header

    def read(self, size: int = -1) -> bytes:
        return self._count(self.stream.read(size))

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        if self.stream.seekable():
            self.stream.seek(0)
        while True:
            data = self.stream.read(chunk_size or CHUNK_SIZE)
            if not data:
                return
            yield self._count(data)

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True

    @property
    def size(self) -> int:
        # Storage must not ask the stream for its size up front: it may not know it.
        return self.bytes_read


def _clean_name(name: str) -> str:
    # NFC so that the same Thai name typed on two systems compares equal; no paths.
    cleaned = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not cleaned or cleaned in {".", ".."} or any(ord(ch) < 32 for ch in cleaned):
        raise AttachmentInvalid(details={"name": name})
    return cleaned[:255]


def _suffix(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


class _Replayed(io.RawIOBase):
    """A non-seekable stream with its first bytes put back in front, after they were read."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            size = len(self._head) if size < 0 else size
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._rest.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_head(stream: IO[bytes]) -> bytes:
    """Read the first HEAD_BYTES (fewer only at the end of the file).

    A raw stream (a socket, a pipe) may return fewer bytes than asked for from one read;
    sniffing a three-byte head would call a real PDF "not a PDF".
    """
    head = b""
    while len(head) < HEAD_BYTES:
        data = stream.read(HEAD_BYTES - len(head))
        if not data:
            break
        head += data
    return head


def _checked(stream: IO[bytes], *, media_type: str, name: str) -> IO[bytes]:
    """Check the file's first bytes (content_check) and return a stream that starts over."""
    if stream.seekable():
        stream.seek(0)
        head = _read_head(stream)
        stream.seek(0)
        content_check(head=head, media_type=media_type, name=name)
        return stream
    head = _read_head(stream)
    content_check(head=head, media_type=media_type, name=name)
    return cast(IO[bytes], _Replayed(head, stream))


def attachment_store(
    attachment: Attachment,
    stream: IO[bytes],
    *,
    required_header: bytes = b"",
    sealed: bool = False,
    max_bytes: int | None = None,
) -> None:
    """Stream a file into storage for an unsaved attachment; fill in its size and SHA-256.

    Stored under a random name: the clerk's file name is data, never a path on our disk. A
    partly written file (oversize, wrong header, I/O error) is removed before the error
    propagates. A ``sealed`` file (a secret letter's ciphertext) is not sniffed: its first bytes
    are random, and one in 65,536 would otherwise look like a program.
    """
    if not sealed:
        stream = _checked(stream, media_type=attachment.media_type, name=attachment.name)
    hashing = HashingFile(
        stream,
        name=attachment.name,
        max_bytes=max_bytes or settings.HUB_MAX_ATTACHMENT_BYTES,
        required_header=required_header,
    )
    storage = attachment.file.storage
    storage_name = (
        f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{_suffix(attachment.name)}"
    )
    try:
        storage_name = storage.save(storage_name, hashing)
        if not hashing.header_complete():
            raise AttachmentNotPdf(details={"name": attachment.name})
    except Exception:
        if storage.exists(storage_name):
            storage.delete(storage_name)
        raise
    attachment.file.name = storage_name
    attachment.size = hashing.bytes_read
    attachment.sha256 = hashing.sha256.hexdigest()


def _is_pdf(name: str, media_type: str) -> bool:
    return media_type == PDF_MEDIA_TYPE or name.lower().endswith(".pdf")


def attachment_store_sealing(
    attachment: Attachment, stream: IO[bytes], *, agency: Agency, required_header: bytes = b""
) -> SealedFile:
    """Stream a secret letter's file into storage encrypted, for an unsaved attachment.

    The clerk's file is checked (sniffed, capped, PDF header) on its plaintext as it streams
    through, encrypted chunk by chunk under a key of its own, and stored as ciphertext: no byte
    of it reaches the storage in the clear. The row gets a neutral name and media type and the
    ciphertext's size and SHA-256; the real facts and the key are returned, for the letter's
    sealed content.
    """
    plaintext = HashingFile(
        _checked(stream, media_type=attachment.media_type, name=attachment.name),
        name=attachment.name,
        max_bytes=settings.HUB_MAX_ATTACHMENT_BYTES,
        required_header=required_header,
    )
    sealer = FileSealer(plaintext, associated_data=file_associated_data(agency_key=agency.key))
    facts = SealedFile(
        key=sealer.key,
        name=attachment.name,
        media_type=attachment.media_type,
        size=0,
        sha256="",
        description=attachment.description,
    )
    attachment.name = sealed_file_name()
    attachment.media_type, attachment.description, attachment.sealed = SEALED_MEDIA_TYPE, "", True
    # The cap is the clerk's file's: the ciphertext is its tag longer.
    attachment_store(
        attachment,
        cast(IO[bytes], sealer),
        sealed=True,
        max_bytes=settings.HUB_MAX_ATTACHMENT_BYTES + TAG_BYTES,
    )
    if not plaintext.header_complete():
        attachment.file.delete(save=False)
        raise AttachmentNotPdf(details={"name": facts.name})
    return replace(facts, size=plaintext.bytes_read, sha256=plaintext.sha256.hexdigest())


def attachment_checked(upload: AttachmentUpload) -> AttachmentUpload:
    """Return the upload with its name and media type cleaned; refuse what cannot be kept.

    A media type outside HUB_ATTACHMENT_MEDIA_TYPES (when that list is set) is refused here,
    before a byte is stored.
    """
    clean_name = _clean_name(upload.name)
    media_type = upload.media_type.strip().lower()
    if "/" not in media_type or len(media_type) > 100:
        raise AttachmentInvalid(details={"media_type": media_type})
    allowed: list[str] = settings.HUB_ATTACHMENT_MEDIA_TYPES
    if allowed and media_type not in allowed:
        raise AttachmentTypeNotAllowed(details={"media_type": media_type, "allowed": allowed})
    return AttachmentUpload(
        stream=upload.stream,
        name=clean_name,
        media_type=media_type,
        role=upload.role,
        description=upload.description,
    )


@dataclass(frozen=True)
class StoredUploads:
    """Files in storage for a draft not yet saved: the unsaved rows, and for a secret letter
    each file's sealed facts by storage name."""

    attachments: list[Attachment]
    sealed: dict[str, SealedFile]


def attachments_store(
    *, uploads: Sequence[AttachmentUpload], actor: Actor, seal_for: Agency | None = None
) -> StoredUploads:
    """Check and stream files into storage for a draft not yet saved; return unsaved rows.

    With ``seal_for`` (a secret letter's agency) each file is stored encrypted. Nothing is
    locked meanwhile. If any file is refused, the ones already stored are removed. The caller
    saves the rows with ``attachment_save`` in its transaction, or discards them.
    """
    checked = [attachment_checked(upload) for upload in uploads]
    if sum(upload.role == AttachmentRole.MAIN for upload in checked) > 1:
        raise AttachmentInvalid(details={"role": "A letter has only one main document."})
    stored: list[Attachment] = []
    sealed: dict[str, SealedFile] = {}
    try:
        for upload in checked:
            attachment = Attachment(
                role=upload.role,
                name=upload.name,
                media_type=upload.media_type,
                description=upload.description,
                uploaded_by=actor if isinstance(actor, User) else None,
            )
            header = PDF_HEADER if _is_pdf(upload.name, upload.media_type) else b""
            if seal_for is not None:
                facts = attachment_store_sealing(
                    attachment, upload.stream, agency=seal_for, required_header=header
                )
                sealed[storage_name(attachment)] = facts
            else:
                attachment_store(attachment, upload.stream, required_header=header)
            stored.append(attachment)
    except Exception:
        attachments_discard(stored)
        raise
    return StoredUploads(attachments=stored, sealed=sealed)


def attachments_discard(attachments: Sequence[Attachment]) -> None:
    """Remove the stored files of attachments whose rows were never saved."""
    for attachment in attachments:
        attachment.file.delete(save=False)


def attachment_save(*, letter: Letter, attachment: Attachment, position: int, actor: Actor) -> None:
    """Save a stored attachment of a draft and its audit row, in the caller's transaction."""
    attachment.letter = letter
    attachment.position = position
    attachment.save()
    audit_record(
        action="letters.attachment.added",
        actor=actor,
        agency=letter.agency,
        target=attachment,
        after={
            "letter": letter.pk,
            # A secret letter's file names are content (docs/security.md, "Secret letters").
            "name": "[ลับ]" if letter_is_secret(letter) else attachment.name,
            "media_type": attachment.media_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "role": str(attachment.role),
        },
    )


def attachment_add(
    *,
    letter: Letter,
    actor: Actor,
    stream: IO[bytes],
    name: str,
    media_type: str,
    role: AttachmentRole,
    description: str = "",
) -> Attachment:
    """Store a file for a draft and record its name, media type, size and SHA-256.

    The file is written to storage before the row; if the row cannot be written (a second
    main letter, a letter no longer a draft) the stored file is removed again. A file called
    a PDF (by its media type or its name) must start with the PDF header.
    """
    upload = AttachmentUpload(
        stream=stream, name=name, media_type=media_type, role=role, description=description
    )
    # A secret draft's file is encrypted as it streams in; the letter is checked again under
    # its lock below, in case its secrecy changed meanwhile.
    sealing = letter_holds_sealed(letter)
    # Streaming happens outside the transaction: no row lock is held during a long upload.
    stored = attachments_store(
        uploads=[upload], actor=actor, seal_for=letter.agency if sealing else None
    )
    [attachment] = stored.attachments
    try:
        with transaction.atomic(durable=True):
            audit_chain_lock()
            locked = Letter.objects.select_for_update().select_related("agency").get(pk=letter.pk)
            if locked.status != LetterStatus.DRAFT:
                raise LetterNotEditable()
            attachment_save(
                letter=locked,
                attachment=attachment,
                position=locked.attachments.count(),
                actor=actor,
            )
            if letter_holds_sealed(locked):
                sealed = stored.sealed or attachments_seal([attachment], agency=locked.agency)
                sealed_add_files(letter=locked, files=sealed)
            elif attachment.sealed:
                attachments_unseal([attachment], files=stored.sealed)
    except IntegrityError as exc:
        attachments_discard([attachment])
        raise AttachmentInvalid(details={"role": "A letter has only one main document."}) from exc
    except Exception:
        attachments_discard([attachment])
        raise
    return attachment
