"""Request size limits, enforced while the body is read (not after it sits in memory).

JSON bodies: HUB_API_MAX_JSON_BYTES (1 MiB by default). Multipart: each file at most
HUB_MAX_ATTACHMENT_BYTES (the hub's attachment cap), the other fields within Django's
DATA_UPLOAD_MAX_MEMORY_SIZE, and at most DATA_UPLOAD_MAX_NUMBER_FILES files. Too large: 413
``api.request_too_large`` with the limit in ``details``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from rest_framework.parsers import DataAndFiles, JSONParser, MultiPartParser

from config.errors import RequestTooLarge


class CappedJSONParser(JSONParser):
    """JSON, refused past the cap whatever Content-Length claims."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit: int = settings.HUB_API_MAX_JSON_BYTES
        request = (parser_context or {}).get("request")
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if declared > limit:
            raise RequestTooLarge(details={"max_bytes": limit})
        # One byte past the cap is enough to know it is too large.
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise RequestTooLarge(details={"max_bytes": limit})
        return super().parse(io.BytesIO(data), media_type, parser_context)


class AttachmentCapHandler(FileUploadHandler):
    """Stop a multipart upload as soon as one file passes HUB_MAX_ATTACHMENT_BYTES."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit: int = settings.HUB_MAX_ATTACHMENT_BYTES
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise RequestTooLarge(details={"max_file_bytes": self.limit, "field": self.field_name})
        # Hand the chunk on to the next handler (memory or temporary file) unchanged.
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class CappedMultiPartParser(MultiPartParser):
    """multipart/form-data with per-file, field and file-count caps."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> DataAndFiles[Any, Any]:
        request = (parser_context or {}).get("request")
        if request is not None:
            django_request: HttpRequest = request._request
            django_request.upload_handlers.insert(0, AttachmentCapHandler(django_request))
        try:
            return super().parse(stream, media_type, parser_context)
        except RequestDataTooBig as exc:
            raise RequestTooLarge(
                details={"max_field_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
            ) from exc
        except (TooManyFieldsSent, TooManyFilesSent) as exc:
            raise RequestTooLarge(
                details={
                    "max_fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
                    "max_files": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
                }
            ) from exc
