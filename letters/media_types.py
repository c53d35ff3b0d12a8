"""Media types the hub names in its code list (like the e-CMS MimeCode list).

A recommendation for agencies' systems, not a filter: ``attachment_add`` accepts any
``type/subtype`` today. The signed main document of a letter is normally a PDF.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise


@dataclass(frozen=True)
class KnownMediaType:
    media_type: str
    extension: str
    label: StrPromise
    # Suitable as the letter itself (the signed main document), not only as an enclosure.
    main_document: bool = False


KNOWN_MEDIA_TYPES: tuple[KnownMediaType, ...] = (
    KnownMediaType("application/pdf", "pdf", _("PDF document"), main_document=True),
    KnownMediaType("image/jpeg", "jpg", _("JPEG image")),
    KnownMediaType("image/png", "png", _("PNG image")),
    KnownMediaType("image/tiff", "tif", _("TIFF image (scanned document)")),
    KnownMediaType("text/plain", "txt", _("Plain text")),
    KnownMediaType("text/csv", "csv", _("CSV table")),
    KnownMediaType("application/xml", "xml", _("XML data")),
    KnownMediaType("application/msword", "doc", _("Word document (.doc)")),
    KnownMediaType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        _("Word document (.docx)"),
    ),
    KnownMediaType("application/vnd.ms-excel", "xls", _("Excel workbook (.xls)")),
    KnownMediaType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        _("Excel workbook (.xlsx)"),
    ),
    KnownMediaType("application/vnd.ms-powerpoint", "ppt", _("PowerPoint presentation (.ppt)")),
    KnownMediaType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
        _("PowerPoint presentation (.pptx)"),
    ),
    KnownMediaType("application/vnd.oasis.opendocument.text", "odt", _("OpenDocument text")),
    KnownMediaType(
        "application/vnd.oasis.opendocument.spreadsheet", "ods", _("OpenDocument spreadsheet")
    ),
    KnownMediaType("application/zip", "zip", _("ZIP archive")),
)
