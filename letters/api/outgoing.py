"""Outgoing letters for an agency's own system: draft (with files), read, change, number, send,
and follow each recipient's copy (docs/api.md, "Outgoing letters").

Everything is scoped to the caller's agency: another agency's letter, or the agency's own
incoming copy, is 404 ``api.not_found``. State changes go through the letters and exchange
services, which own their transactions and audit rows.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterable
from typing import IO, Any, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from agencies.models import Agency
from config.api.downloads import file_response
from config.api.limits import CappedJSONParser, CappedMultiPartParser
from config.api.permissions import ActsForAgency
from config.api.views import HubAPIView, HubListAPIView
from config.errors import ApiMalformedRequest, ApiNotFound, ApiValidation, RequestTooLarge
from exchange.api.outgoing_serializers import DeliveryDetailSerializer
from exchange.models import Delivery
from exchange.selectors import (
    delivery_acknowledgements,
    letter_deliveries_with_attempts,
    outbox_with_deliveries,
)
from exchange.services.sending import letter_send
from letters.errors import SecretContentSealed
from letters.models import AttachmentRole, Letter
from letters.selectors import attachment_of_letter, outgoing_letter_of_agency
from letters.services.attachments import AttachmentUpload, attachment_add
from letters.services.letters import (
    LetterParts,
    letter_allocate_number,
    letter_change_draft,
    letter_create_draft,
)

from .outgoing_serializers import (
    AttachmentAddSerializer,
    LetterCreateMultipartSerializer,
    LetterInputSerializer,
    LetterNumberSerializer,
    OutboxLetterSerializer,
    OutgoingAttachmentSerializer,
    OutgoingLetterSerializer,
    SendResultSerializer,
)

TAGS = ["outgoing letters"]
# Multipart parts of a new draft: its metadata and its files, by role.
METADATA_PART = "metadata"
FILE_PARTS = {"main": AttachmentRole.MAIN, "enclosure": AttachmentRole.ENCLOSURE}
OCTET_STREAM = "application/octet-stream"


def _link(operation_id: str, description: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation_id, "parameters": parameters, "description": description}


# What a client can call next with the id of a letter it was just given.
_LETTER_LINKS = {
    "GetLetter": _link("letter_retrieve", "Read the letter.", letter_id="$response.body#/id"),
    "UpdateLetter": _link("letter_update", "Change the draft.", letter_id="$response.body#/id"),
    "AddAttachment": _link(
        "letter_attachment_add", "Attach a file to the draft.", letter_id="$response.body#/id"
    ),
    "AllocateNumber": _link(
        "letter_number", "Give the draft its number (ออกเลข).", letter_id="$response.body#/id"
    ),
    "SendLetter": _link("letter_send", "Send the letter.", letter_id="$response.body#/id"),
    "ListDeliveries": _link(
        "letter_deliveries", "Follow each recipient's copy.", letter_id="$response.body#/id"
    ),
}


def _letter_or_404(view: HubAPIView, letter_id: int) -> Letter:
    letter = outgoing_letter_of_agency(agency=_agency(view), letter_id=letter_id)
    if letter is None:
        # Another agency's letter is "not found", exactly like one that does not exist.
        raise ApiNotFound(details={"letter": letter_id})
    return letter


def _agency(view: HubAPIView) -> Agency:
    agency = view.caller.agency
    assert agency is not None  # ActsForAgency let the request in
    return agency


def _media_type_of(upload: UploadedFile[Any]) -> str:
    declared = (upload.content_type or "").strip().lower()
    if declared and declared != OCTET_STREAM:
        return declared
    # curl and many HTTP libraries send octet-stream for every file; the name says more.
    guessed, _encoding = mimetypes.guess_type(upload.name or "")
    return guessed or OCTET_STREAM


def _upload(
    upload: UploadedFile[Any], role: AttachmentRole, description: str = ""
) -> AttachmentUpload:
    return AttachmentUpload(
        # Django's uploaded file (in memory when small, spooled to disk past
        # FILE_UPLOAD_MAX_MEMORY_SIZE); attachment_add reads it in chunks into storage.
        stream=cast(IO[bytes], upload),
        name=upload.name or "",
        media_type=_media_type_of(upload),
        role=role,
        description=description,
    )


def _multipart_draft(request: Request) -> tuple[Any, list[AttachmentUpload]]:
    """Read a multipart draft: its JSON metadata part and its files, in the order sent."""
    unknown = (set(request.data) | set(request.FILES)) - {METADATA_PART, *FILE_PARTS}
    if unknown:
        message = _("Unknown part: send 'metadata' and files as 'main' or 'enclosure'.")
        raise ApiValidation(details={"fields": {name: [str(message)] for name in sorted(unknown)}})
    part = request.FILES.get(METADATA_PART)
    if part is not None:
        limit: int = settings.HUB_API_MAX_JSON_BYTES
        if part.size is not None and part.size > limit:
            raise RequestTooLarge(details={"max_bytes": limit})
        raw: Any = part.read()
    else:
        # A multipart body parses to a QueryDict, never a list.
        raw = cast(Any, request.data).get(METADATA_PART)
    if raw is None:
        message = _("This part is required: the letter's metadata as JSON.")
        raise ApiValidation(details={"fields": {METADATA_PART: [str(message)]}})
    try:
        metadata = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiMalformedRequest(details={"reason": f"{METADATA_PART}: {exc}"}) from exc
    uploads = [
        _upload(upload, role)
        for name, role in FILE_PARTS.items()
        for upload in request.FILES.getlist(name)
    ]
    return metadata, uploads


def _detail(view: HubAPIView, letter: Letter) -> dict[str, Any]:
    # Read again through the selector: the answer shows what was stored, with every part.
    fresh = _letter_or_404(view, letter.pk)
    data: dict[str, Any] = OutgoingLetterSerializer(fresh, context={"request": view.request}).data
    return data


def _letter_location(letter: Letter) -> dict[str, str]:
    return {"Location": reverse("api-letter-detail", kwargs={"letter_id": letter.pk})}


@extend_schema(tags=TAGS)
class LetterCreateView(HubAPIView):
    permission_classes = [ActsForAgency]
    parser_classes = [CappedJSONParser, CappedMultiPartParser]
    openapi_links = {"POST": {201: _LETTER_LINKS}}

    @extend_schema(
        operation_id="letter_create",
        summary="Create a draft (JSON metadata, or multipart with files)",
        description="JSON: the letter's metadata. multipart/form-data: a `metadata` part "
        "with the same JSON, a `main` part (the letter, usually a PDF) and `enclosure` parts "
        "(repeat for each file, in order). Files stream into storage; each is at most "
        "HUB_MAX_ATTACHMENT_BYTES (`letters.attachment_too_large`), of a type in "
        "HUB_ATTACHMENT_MEDIA_TYPES when that is set (`letters.attachment_type_not_allowed`), "
        "and a file called a PDF must be one (`letters.attachment_not_pdf`). The draft and "
        "its files are kept together or not at all. ลับที่สุด is refused "
        "(`letters.top_secret_refused`).",
        request={
            "application/json": LetterInputSerializer,
            "multipart/form-data": LetterCreateMultipartSerializer,
        },
        responses={201: OutgoingLetterSerializer},
    )
    def post(self, request: Request) -> Response:
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        if media_type == "multipart/form-data":
            metadata, uploads = _multipart_draft(request)
        else:
            metadata, uploads = request.data, []
        form = LetterInputSerializer(data=metadata)
        form.is_valid(raise_exception=True)
        letter = letter_create_draft(
            agency=_agency(self),
            actor=self.caller.actor,
            values=form.letter_fields(),
            parts=LetterParts(
                recipients=form.recipients_given() or (),
                references=form.references_given() or (),
            ),
            attachments=uploads,
        )
        return Response(
            _detail(self, letter), status=status.HTTP_201_CREATED, headers=_letter_location(letter)
        )


@extend_schema(tags=TAGS)
class LetterDetailView(HubAPIView):
    permission_classes = [ActsForAgency]
    # PATCH takes JSON only: a partial change has no files (add them with /attachments).
    parser_classes = [CappedJSONParser]

    @extend_schema(
        operation_id="letter_retrieve",
        summary="One outgoing letter with its recipients, references and files",
        responses={200: OutgoingLetterSerializer},
    )
    def get(self, request: Request, letter_id: int) -> Response:
        return Response(_detail(self, _letter_or_404(self, letter_id)))

    @extend_schema(
        operation_id="letter_update",
        summary="Change a draft",
        description="Only the fields sent change; `recipients` or `references`, when sent, "
        "replace the whole list. A letter that is no longer a draft answers 409 "
        "`letters.not_editable`; ลับที่สุด is refused (`letters.top_secret_refused`).",
        request=LetterInputSerializer(partial=True),
        responses={200: OutgoingLetterSerializer},
    )
    def patch(self, request: Request, letter_id: int) -> Response:
        letter = _letter_or_404(self, letter_id)
        form = LetterInputSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        letter = letter_change_draft(
            letter=letter,
            actor=self.caller.actor,
            changes=form.letter_changes(),
            recipients=form.recipients_given(),
            references=form.references_given(),
        )
        return Response(_detail(self, letter))


@extend_schema(tags=TAGS)
class LetterAttachmentAddView(HubAPIView):
    permission_classes = [ActsForAgency]
    parser_classes = [CappedMultiPartParser]

    @extend_schema(
        operation_id="letter_attachment_add",
        summary="Attach a file to a draft",
        description="multipart/form-data with a `file` part, `role` (`main` or `enclosure`) "
        "and an optional `description`. The same limits as on create; a second main "
        "document is refused (`letters.attachment_invalid`), and so is a letter that is no "
        "longer a draft (`letters.not_editable`).",
        request={"multipart/form-data": AttachmentAddSerializer},
        responses={201: OutgoingAttachmentSerializer},
    )
    def post(self, request: Request, letter_id: int) -> Response:
        letter = _letter_or_404(self, letter_id)
        form = AttachmentAddSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = _upload(
            form.validated_data["file"],
            AttachmentRole(form.validated_data["role"]),
            form.validated_data["description"],
        )
        attachment = attachment_add(
            letter=letter,
            actor=self.caller.actor,
            stream=upload.stream,
            name=upload.name,
            media_type=upload.media_type,
            role=upload.role,
            description=upload.description,
        )
        data = OutgoingAttachmentSerializer(attachment, context={"request": request}).data
        path = reverse(
            "api-letter-attachment", kwargs={"letter_id": letter.pk, "attachment_id": attachment.pk}
        )
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": path})


class _AnyAccept(BaseContentNegotiation):
    """A download answers with the file's own type whatever Accept says; errors stay JSON."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


@extend_schema(tags=TAGS)
class LetterAttachmentDownloadView(HubAPIView):
    permission_classes = [ActsForAgency]
    content_negotiation_class = _AnyAccept

    @extend_schema(
        operation_id="letter_attachment_download",
        summary="Download a file of an outgoing letter (streamed)",
        description="The bytes as stored, with the file's media type, its name in "
        "Content-Disposition (UTF-8), and `Repr-Digest: sha-256=:…:` (RFC 9530) to check "
        "them against the letter's `sha256`.",
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, in its own media type."
            )
        },
        parameters=[
            OpenApiParameter(
                "Repr-Digest",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description="SHA-256 of the file, `sha-256=:<base64>:`.",
            )
        ],
    )
    def get(self, request: Request, letter_id: int, attachment_id: int) -> FileResponse:
        letter = _letter_or_404(self, letter_id)
        attachment = attachment_of_letter(letter=letter, attachment_id=attachment_id)
        if attachment is None:
            raise ApiNotFound(details={"attachment": attachment_id})
        if attachment.sealed:
            # The agency's own secret letter: the file's key is sealed to the agency's key on
            # the hub, so its ciphertext would be of no use to a system; the officers open it
            # in the hub, audited.
            raise SecretContentSealed(details={"attachment": attachment_id})
        response = file_response(attachment)
        response["X-Content-Type-Options"] = "nosniff"
        return response


@extend_schema(tags=TAGS)
class LetterNumberView(HubAPIView):
    permission_classes = [ActsForAgency]
    openapi_links = {
        "POST": {
            200: {
                "GetLetter": _LETTER_LINKS["GetLetter"],
                "SendLetter": _LETTER_LINKS["SendLetter"],
            }
        }
    }

    @extend_schema(
        operation_id="letter_number",
        summary="Give a draft its dispatch number (ออกเลข)",
        description="Draws the next number of the dispatch register (its own series for "
        "circulars and secret letters) and dates the letter. Asking again returns the same "
        "number: a retry never costs a second one. Only a draft can be numbered "
        "(`letters.not_numberable`).",
        request=None,
        responses={200: LetterNumberSerializer},
    )
    def post(self, request: Request, letter_id: int) -> Response:
        letter = _letter_or_404(self, letter_id)
        letter_allocate_number(letter=letter, actor=self.caller.actor)
        letter.refresh_from_db()
        return Response(LetterNumberSerializer(letter).data)


@extend_schema(tags=TAGS)
class LetterSendView(HubAPIView):
    permission_classes = [ActsForAgency]
    openapi_links = {
        "POST": {
            202: {
                "GetLetter": _LETTER_LINKS["GetLetter"],
                "ListDeliveries": _LETTER_LINKS["ListDeliveries"],
                "GetDelivery": _link(
                    "delivery_retrieve",
                    "Follow the first recipient's copy.",
                    delivery_id="$response.body#/deliveries/0/id",
                ),
            }
        }
    }

    @extend_schema(
        operation_id="letter_send",
        summary="Send the letter: the hub signs it as the agency and queues one copy per recipient",
        description="Numbers the letter first if it has no number yet, signs one envelope per "
        "recipient (to and cc) with the agency's key held by the hub, and queues them, all in "
        "one transaction. Sending again returns the same copies. Errors: "
        "`exchange.not_sendable` (not a draft or numbered letter, or no recipients), "
        "`pki.no_signing_key` (the hub holds no key of the agency: submit a self-signed "
        "envelope to /envelopes instead).",
        request=None,
        responses={202: SendResultSerializer},
    )
    def post(self, request: Request, letter_id: int) -> Response:
        letter = _letter_or_404(self, letter_id)
        deliveries = letter_send(letter=letter, actor=self.caller.actor)
        letter.refresh_from_db()
        data = SendResultSerializer(letter, context={"deliveries": deliveries}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=TAGS,
    summary="The outbox: outgoing letters, newest first, with each recipient's status",
    description="Drafts, numbered and sent letters (those the agency's system submitted "
    "signed too). Each carries its copies: status, receive number and registration time, "
    "reason, last error code and attempt count.",
)
class OutboxView(HubListAPIView[Letter]):
    serializer_class = OutboxLetterSerializer
    permission_classes = [ActsForAgency]
    cursor_ordering = ("-id",)

    def get_queryset(self) -> QuerySet[Letter]:
        return outbox_with_deliveries(agency=_agency(self))

    @extend_schema(operation_id="outbox_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(
    tags=TAGS,
    summary="Each recipient's copy of a letter, with its attempts and acknowledgements",
    description="One delivery per recipient (a resent copy follows its withdrawn one), in the "
    "order they were queued: status, receive number, reason, every delivery attempt, and the "
    "acknowledgements recorded (receipt with its message id, registration with the "
    "recipient's receive number, rejection, wrong recipient, withdrawal, dispute).",
)
class LetterDeliveriesView(HubListAPIView[Delivery]):
    serializer_class = DeliveryDetailSerializer
    permission_classes = [ActsForAgency]
    cursor_ordering = ("id",)

    def get_queryset(self) -> QuerySet[Delivery]:
        letter = _letter_or_404(self, self.kwargs["letter_id"])
        return letter_deliveries_with_attempts(letter=letter)

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer[Any]:
        if args:
            # The acknowledgements of the whole page in one query.
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["acknowledgements"] = delivery_acknowledgements(
                deliveries=list(args[0])
            )
        return super().get_serializer(*args, **kwargs)

    @extend_schema(operation_id="letter_deliveries")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
