"""The inbound endpoint: other hubs and agencies' systems POST signed envelopes here.

Authentication is the envelope's signature, checked by the verification pipeline; there is no
session, so no CSRF token either. Errors are JSON ``{"code", "message", "details"}`` with 4xx.
"""

from __future__ import annotations

from typing import IO, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.errors import HubError
from exchange.envelope.errors import Malformed, TooLarge
from exchange.services.inbound import envelope_receive
from exchange.services.operations import inbound_refusal_count


def _served() -> frozenset[str] | None:
    return frozenset(settings.HUB_SERVED_AGENCIES) or None


def _envelope_bytes(request: HttpRequest) -> tuple[bytes, dict[str, IO[bytes]]]:
    limit = settings.HUB_ENVELOPE_MAX_BYTES
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        upload = request.FILES.get("envelope")
        if upload is None:
            raise Malformed(details={"reason": "the multipart body has no 'envelope' part"})
        if upload.size is not None and upload.size > limit:
            raise TooLarge(details={"max_bytes": limit})
        # Uploaded parts are file objects (spooled to disk past FILE_UPLOAD_MAX_MEMORY_SIZE).
        attachments = {
            name: cast(IO[bytes], part)
            for name, part in request.FILES.items()
            if name != "envelope"
        }
        return upload.read(), attachments
    if content_type in ("application/xml", "text/xml"):
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > limit:
            raise TooLarge(details={"max_bytes": limit})
        # Read at most one byte past the cap, whatever Content-Length claimed.
        return request.read(limit + 1), {}
    raise Malformed(details={"reason": f"unsupported content type {content_type!r}"})


@csrf_exempt
@require_POST
def inbound_envelope(request: HttpRequest) -> HttpResponse:
    try:
        data, attachments = _envelope_bytes(request)
        result = envelope_receive(
            data=data,
            attachments=attachments,
            served_keys=_served(),
        )
    except HubError as error:
        inbound_refusal_count(error.code)
        return JsonResponse(error.as_dict(), status=error.http_status)
    if result.relayed:
        # Kept and queued for the recipient's own system; its receipt will follow by itself.
        header = {"message_id": str(result.inbound.message_id), "status": "relayed"}
        return JsonResponse(header, status=202)
    response = HttpResponse(result.receipt, content_type="application/xml")
    response["X-Replayed"] = "true" if result.replayed else "false"
    return response
