"""The inbox of the caller's agency: list, read, download, and ลงรับ / ปฏิเสธ / แจ้งหนังสือผิด.

Every read goes through a selector scoped to the caller's agency, so another agency's letter
is 404 like one that does not exist. Registering and refusing call the exchange services that
also queue the signed acknowledgement to the sender, in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Agency
from config.api.downloads import FileDownloadMixin, bytes_response, file_response
from config.api.pagination import KeysetCursorPagination
from config.api.permissions import ActsForAgency
from config.api.views import HubAPIView, HubListAPIView
from config.errors import ApiNotFound
from exchange.selectors import acknowledgements_of_letter, inbound_envelope_of_letter
from exchange.services.acknowledgements import incoming_letter_refuse, incoming_letter_register
from letters.models import Letter, LetterStatus, Secrecy, Urgency
from letters.selectors import (
    InboxFilter,
    inbox_attachment,
    inbox_letter,
    inbox_letters,
    receive_entry_of_letter,
)
from letters.services.incoming import secret_letter_read_record

from .inbox_serializers import (
    INBOX_STATUSES,
    InboxItemSerializer,
    InboxLetterSerializer,
    InboxQuerySerializer,
    RefusalSerializer,
    RegistrationSerializer,
)

TAG = "inbox"


def _codes(name: str, values: list[str], description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, str, many=True, explode=False, enum=values, description=description
    )


INBOX_FILTERS = [
    _codes("status", [str(s) for s in INBOX_STATUSES], "Any of these statuses."),
    _codes("urgency", list(Urgency.values), "Any of these urgency codes (`004,003`)."),
    _codes("secrecy", list(Secrecy.values), "Any of these secrecy codes."),
    OpenApiParameter("sender", str, description="The sending agency's directory key."),
    OpenApiParameter(
        "received_from", OpenApiTypes.DATE, description="Filed on or after this Bangkok day."
    ),
    OpenApiParameter(
        "received_to", OpenApiTypes.DATE, description="Filed on or before this Bangkok day."
    ),
]

# OpenAPI links: an answer's ids feed the next operations (Schemathesis' stateful tests).
_THIS_LETTER = {"letter_id": "$request.path.letter_id"}
_DETAIL_LINKS = {
    "GetEnvelope": {"operationId": "inbox_envelope_retrieve", "parameters": _THIS_LETTER},
    "Register": {"operationId": "inbox_register", "parameters": _THIS_LETTER},
    "Reject": {"operationId": "inbox_reject", "parameters": _THIS_LETTER},
    "MarkWrongRecipient": {"operationId": "inbox_wrong_recipient", "parameters": _THIS_LETTER},
    "GetFirstAttachment": {
        "operationId": "inbox_attachment_retrieve",
        "parameters": {**_THIS_LETTER, "attachment_id": "$response.body#/attachments/0/id"},
    },
}
_FIRST_ITEM = {"letter_id": "$response.body#/results/0/id"}
_LIST_LINKS = {
    "GetFirstLetter": {"operationId": "inbox_letter_retrieve", "parameters": _FIRST_ITEM},
    "RegisterFirstLetter": {"operationId": "inbox_register", "parameters": _FIRST_ITEM},
}


def _caller_agency(view: HubAPIView) -> Agency:
    agency = view.caller.agency
    assert agency is not None  # ActsForAgency let the request in
    return agency


def _letter_of_caller(view: HubAPIView, letter_id: int) -> Letter:
    letter = inbox_letter(agency=_caller_agency(view), letter_id=letter_id)
    if letter is None:
        raise ApiNotFound(details={"letter": letter_id})
    return letter


def _letter_answer(view: HubAPIView, letter: Letter) -> Response:
    """The whole letter, with its registration, evidence and acknowledgements."""
    context = {
        "request": view.request,
        "registration": receive_entry_of_letter(letter=letter),
        "inbound": inbound_envelope_of_letter(letter=letter),
        "acknowledgements": list(acknowledgements_of_letter(letter=letter)),
    }
    return Response(InboxLetterSerializer(letter, context=context).data)


@extend_schema(
    tags=[TAG],
    summary="The agency's incoming letters, most urgent first, then by arrival",
    description="Urgency order: ด่วนที่สุด (004), ด่วนมาก, ด่วน, ปกติ; within one urgency, the "
    "order they were filed in. Cursor-paginated over the whole order (urgency, arrival, id), "
    "so following `next` never repeats or skips a letter.",
    parameters=INBOX_FILTERS,
)
@extend_schema_view(get=extend_schema(operation_id="inbox_list"))
class InboxListView(HubListAPIView[Letter]):
    serializer_class = InboxItemSerializer
    permission_classes = [ActsForAgency]
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("urgency_rank", "created_at", "id")
    extra_error_statuses = (400,)  # invalid filters
    openapi_links = {"GET": _LIST_LINKS}

    def get_queryset(self) -> QuerySet[Letter]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return Letter.objects.none()
        query = InboxQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        where: dict[str, Any] = query.validated_data
        return inbox_letters(
            agency=_caller_agency(self),
            where=InboxFilter(
                statuses=where.get("status", ()),
                urgencies=where.get("urgency", ()),
                secrecies=where.get("secrecy", ()),
                sender_key=where.get("sender", ""),
                received_from=where.get("received_from"),
                received_to=where.get("received_to"),
            ),
        )


@extend_schema(
    tags=[TAG],
    summary="One incoming letter: every field, its files and the evidence it arrived with",
    description="Reading a secret letter (ลับ, ลับมาก) is audited (`letters.letter.secret_read`).",
    responses={200: InboxLetterSerializer},
)
@extend_schema_view(get=extend_schema(operation_id="inbox_letter_retrieve"))
class InboxLetterView(HubAPIView):
    permission_classes = [ActsForAgency]
    openapi_links = {"GET": _DETAIL_LINKS}

    def get(self, request: Request, letter_id: int) -> Response:
        letter = _letter_of_caller(self, letter_id)
        secret_letter_read_record(letter=letter, actor=self.caller.actor, part="details")
        return _letter_answer(self, letter)


@extend_schema(
    tags=[TAG],
    summary="The original signed envelope, byte for byte",
    description="What the sender signed, as it arrived: check its signature yourself. "
    "`Repr-Digest` carries its SHA-256.",
    responses={
        (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="The envelope.")
    },
)
@extend_schema_view(get=extend_schema(operation_id="inbox_envelope_retrieve"))
class InboxEnvelopeView(FileDownloadMixin, HubAPIView):
    permission_classes = [ActsForAgency]

    def get(self, request: Request, letter_id: int) -> HttpResponse:
        letter = _letter_of_caller(self, letter_id)
        inbound = inbound_envelope_of_letter(letter=letter)
        if inbound is None:
            raise ApiNotFound(details={"letter": letter_id, "envelope": None})
        secret_letter_read_record(letter=letter, actor=self.caller.actor, part="envelope")
        return bytes_response(
            data=bytes(inbound.envelope),
            name=f"{inbound.message_id}.xml",
            media_type="application/xml",
            sha256_hex=inbound.envelope_sha256,
        )


@extend_schema(
    tags=[TAG],
    summary="Download one file of an incoming letter (streamed)",
    description="Answered in the file's own media type, under its own name; `Repr-Digest` "
    "carries the SHA-256 also listed in the letter's details.",
    responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")},
)
@extend_schema_view(get=extend_schema(operation_id="inbox_attachment_retrieve"))
class InboxAttachmentView(FileDownloadMixin, HubAPIView):
    permission_classes = [ActsForAgency]

    def get(self, request: Request, letter_id: int, attachment_id: int) -> FileResponse:
        attachment = inbox_attachment(
            agency=_caller_agency(self), letter_id=letter_id, attachment_id=attachment_id
        )
        if attachment is None:
            raise ApiNotFound(details={"letter": letter_id, "attachment": attachment_id})
        secret_letter_read_record(
            letter=attachment.letter, actor=self.caller.actor, part=f"attachment:{attachment.pk}"
        )
        return file_response(attachment)


@extend_schema(
    tags=[TAG],
    summary="ลงรับ: register the letter and get its receive number",
    description="Allocates the next number of the receive register and queues the signed "
    "registration (with that number) back to the sender, in one transaction. Registering "
    "again returns the same number and sends nothing more. Only a `received` letter can be "
    "registered (`letters.not_registrable`, 409).",
    request=None,
    responses={200: RegistrationSerializer},
)
@extend_schema_view(post=extend_schema(operation_id="inbox_register"))
class InboxRegisterView(HubAPIView):
    permission_classes = [ActsForAgency]

    def post(self, request: Request, letter_id: int) -> Response:
        letter = _letter_of_caller(self, letter_id)
        entry = incoming_letter_register(letter=letter, actor=self.caller.actor)
        return Response(RegistrationSerializer(entry).data)


class _RefusalView(HubAPIView):
    permission_classes = [ActsForAgency]
    refusal: LetterStatus

    def post(self, request: Request, letter_id: int) -> Response:
        letter = _letter_of_caller(self, letter_id)
        form = RefusalSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        refused = incoming_letter_refuse(
            letter=letter,
            status=self.refusal,
            reason=form.validated_data["reason"],
            actor=self.caller.actor,
        )
        return _letter_answer(self, _letter_of_caller(self, refused.pk))


_REFUSAL_NOTE = (
    " The reason goes to the sender in the signed notice, queued in the same transaction. Only "
    "a `received` letter can be refused (`letters.not_registrable`, 409)."
)


@extend_schema(
    tags=[TAG],
    summary="ปฏิเสธ: reject the letter with a reason",
    description="The sender sees `rejected` and the reason, and may withdraw and resend."
    + _REFUSAL_NOTE,
    request=RefusalSerializer,
    responses={200: InboxLetterSerializer},
)
@extend_schema_view(post=extend_schema(operation_id="inbox_reject"))
class InboxRejectView(_RefusalView):
    refusal = LetterStatus.REJECTED


@extend_schema(
    tags=[TAG],
    summary="แจ้งหนังสือผิด: the letter was sent to the wrong agency",
    description="The sender sees `wrong_recipient` and the reason." + _REFUSAL_NOTE,
    request=RefusalSerializer,
    responses={200: InboxLetterSerializer},
)
@extend_schema_view(post=extend_schema(operation_id="inbox_wrong_recipient"))
class InboxWrongRecipientView(_RefusalView):
    refusal = LetterStatus.WRONG_RECIPIENT
