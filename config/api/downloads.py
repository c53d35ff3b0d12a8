"""Endpoints that answer with a file (an envelope, an attachment): the bytes, or a JSON error.

A file is whatever type it is, so the client's ``Accept`` does not choose a renderer here
(``Accept: application/pdf`` must not earn a 406); errors still answer in the API's JSON shape.
Files are streamed from storage, never read into memory.
"""

from __future__ import annotations

import base64
from typing import Any, Protocol

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request


class FileDownloadMixin:
    """Put before a Hub view class: success is a file response, errors stay JSON."""

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        renderer = JSONRenderer()
        return renderer, renderer.media_type


def repr_digest(sha256_hex: str) -> str:
    """The RFC 9530 ``Repr-Digest`` value of a SHA-256 digest: lets a client check the bytes."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode('ascii')}:"


class StoredFile(Protocol):
    """A row naming a stored file with its facts: an attachment, a sealed delivery file."""

    file: FieldFile
    name: str
    media_type: str
    sha256: str
    size: int


def file_response(stored: StoredFile) -> FileResponse:
    """Stream a stored file as a download under its own (Thai) name, with its digest."""
    response = FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.name,
        content_type=stored.media_type,
    )
    response["Content-Length"] = str(stored.size)
    response["Repr-Digest"] = repr_digest(stored.sha256)
    return response


def bytes_response(
    *, data: bytes, name: str, media_type: str, sha256_hex: str, **headers: Any
) -> HttpResponse:
    """Answer bytes already held in memory (an envelope is stored in the database)."""
    response = HttpResponse(data, content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Repr-Digest"] = repr_digest(sha256_hex)
    for header, value in headers.items():
        response[header] = value
    return response
