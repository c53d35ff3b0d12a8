"""A file must be what it says it is: its first bytes against its declared type and name.

Files are served back to clerks' browsers (a PDF inline, the rest as downloads). A "PDF" that
is really HTML, or any executable, must never get that far: checked when a file is stored,
whether a clerk uploaded it, an agency's system posted it, or it arrived in an envelope.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from letters.errors import AttachmentContentMismatch, AttachmentNotPdf, AttachmentTypeForbidden

HEAD_BYTES = 16

# Types a browser would run or render as a page: never stored, whatever the content.
FORBIDDEN_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "application/javascript",
        "text/javascript",
        "application/ecmascript",
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-executable",
        "application/x-sh",
        "application/java-archive",
    }
)
FORBIDDEN_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe")
HTML_STARTS = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<body", b"<iframe")

_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
EXPECTED_MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    "application/zip": _ZIP,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _ZIP,
    "application/vnd.oasis.opendocument.text": _ZIP,
    "application/vnd.oasis.opendocument.spreadsheet": _ZIP,
    "application/msword": _OLE,
    "application/vnd.ms-excel": _OLE,
    "application/vnd.ms-powerpoint": _OLE,
}
# A file named like these must be one, whatever type was declared.
EXTENSION_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}


def content_check(*, head: bytes, media_type: str, name: str) -> None:
    """Refuse a file whose first bytes contradict its type or name, or that a browser or an
    operating system would run."""
    if media_type in FORBIDDEN_TYPES:
        raise AttachmentTypeForbidden(details={"media_type": media_type})
    if head.startswith(FORBIDDEN_MAGIC):
        raise AttachmentTypeForbidden(details={"name": name, "content": "executable"})
    for declared in (media_type, EXTENSION_TYPES.get(PurePosixPath(name).suffix.lower(), "")):
        expected = EXPECTED_MAGIC.get(declared)
        if expected is not None and not head.startswith(expected):
            error = AttachmentNotPdf if declared == "application/pdf" else AttachmentContentMismatch
            raise error(details={"name": name, "declared": declared})
    if head.lstrip().lower().startswith(HTML_STARTS):
        raise AttachmentTypeForbidden(details={"name": name, "content": "html"})
