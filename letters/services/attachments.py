"""Attach files to letters, hashing them while they stream into storage."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO, Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from letters.content_sniffing import HEAD_BYTES, content_check
from letters.errors import AttachmentInvalid, AttachmentTooLarge, LetterNotEditable
from letters.models import Attachment, AttachmentRole, Letter, LetterStatus

CHUNK_SIZE = 64 * 1024


class HashingFile(File):  # type: ignore[type-arg]
    """A file wrapper that counts and hashes every byte the storage reads from it.

    Storage backends copy uploads chunk by chunk; hashing those same chunks means the file
    is read once and never held whole in memory, whatever its size. Reading past the cap
    stops the copy at once instead of filling the disk first.
    """

    def __init__(self, stream: IO[bytes], *, name: str, max_bytes: int) -> None:
        super().__init__(stream, name=name)
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0
        self.max_bytes = max_bytes

    def _count(self, data: bytes) -> bytes:
        self.bytes_read += len(data)
        if self.bytes_read > self.max_bytes:
            raise AttachmentTooLarge(details={"max_bytes": self.max_bytes})
        self.sha256.update(data)
        return data

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


def _checked(stream: IO[bytes], *, media_type: str, name: str) -> IO[bytes]:
    """Check the file's first bytes (content_check) and return a stream that starts over."""
    if stream.seekable():
        stream.seek(0)
        head = stream.read(HEAD_BYTES)
        stream.seek(0)
        content_check(head=head, media_type=media_type, name=name)
        return stream
    head = stream.read(HEAD_BYTES)
    content_check(head=head, media_type=media_type, name=name)
    return cast(IO[bytes], _Replayed(head, stream))


def attachment_store(attachment: Attachment, stream: IO[bytes]) -> None:
    """Stream a file into storage for an unsaved attachment; fill in its size and SHA-256.

    Stored under a random name: the clerk's file name is data, never a path on our disk. A
    partly written file (oversize, I/O error) is removed before the error propagates.
    """
    stream = _checked(stream, media_type=attachment.media_type, name=attachment.name)
    hashing = HashingFile(stream, name=attachment.name, max_bytes=settings.HUB_MAX_ATTACHMENT_BYTES)
    storage = attachment.file.storage
    storage_name = (
        f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{_suffix(attachment.name)}"
    )
    try:
        attachment.file.name = storage.save(storage_name, hashing)
    except Exception:
        if storage.exists(storage_name):
            storage.delete(storage_name)
        raise
    attachment.size = hashing.bytes_read
    attachment.sha256 = hashing.sha256.hexdigest()


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
    main letter, a letter no longer a draft) the stored file is removed again.
    """
    clean_name = _clean_name(name)
    media_type = media_type.strip().lower()
    if "/" not in media_type or len(media_type) > 100:
        raise AttachmentInvalid(details={"media_type": media_type})
    attachment = Attachment(
        letter=letter,
        role=role,
        name=clean_name,
        media_type=media_type,
        description=description,
        uploaded_by=actor if isinstance(actor, User) else None,
    )
    # Streaming happens outside the transaction: no row lock is held during a long upload.
    attachment_store(attachment, stream)
    try:
        with transaction.atomic(durable=True):
            locked = Letter.objects.select_for_update().get(pk=letter.pk)
            if locked.status != LetterStatus.DRAFT:
                raise LetterNotEditable()
            attachment.position = locked.attachments.count()
            attachment.save()
            audit_record(
                action="letters.attachment.added",
                actor=actor,
                agency=locked.agency,
                target=attachment,
                after={
                    "letter": locked.pk,
                    "name": clean_name,
                    "media_type": media_type,
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                    "role": str(role),
                },
            )
    except IntegrityError as exc:
        attachment.file.delete(save=False)
        raise AttachmentInvalid(details={"role": "A letter has only one main document."}) from exc
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment
