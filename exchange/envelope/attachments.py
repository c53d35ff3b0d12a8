"""Check attachment bytes against the signed manifest, chunk by chunk (flat memory)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import IO

from . import errors
from .types import ManifestEntry

CHUNK_SIZE = 64 * 1024


def digest_chunks(entry: ManifestEntry, chunks: Iterable[bytes]) -> None:
    """Hash a stream against its manifest entry; stop as soon as it runs past the signed size."""
    sha256 = hashlib.sha256()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > entry.size:
            raise errors.AttachmentSizeMismatch(details={"attachment": entry.attachment_id})
        sha256.update(chunk)
    if size != entry.size:
        raise errors.AttachmentSizeMismatch(details={"attachment": entry.attachment_id})
    if sha256.hexdigest() != entry.sha256:
        raise errors.AttachmentDigestMismatch(details={"attachment": entry.attachment_id})


def read_chunks(stream: IO[bytes], chunk_size: int = CHUNK_SIZE) -> Iterable[bytes]:
    while chunk := stream.read(chunk_size):
        yield chunk


def attachments_verify(manifest: Iterable[ManifestEntry], streams: Mapping[str, IO[bytes]]) -> None:
    """Check that exactly the manifest's files arrived, each with its signed size and digest."""
    entries = {entry.attachment_id: entry for entry in manifest}
    unexpected = sorted(set(streams) - set(entries))
    if unexpected:
        raise errors.AttachmentUnexpected(details={"attachments": unexpected})
    missing = sorted(set(entries) - set(streams))
    if missing:
        raise errors.AttachmentMissing(details={"attachments": missing})
    for attachment_id, entry in entries.items():
        digest_chunks(entry, read_chunks(streams[attachment_id]))
