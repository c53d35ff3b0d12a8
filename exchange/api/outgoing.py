"""What an agency sent, one delivery at a time: read, redrive, withdraw, resend, dispute the
receive number; and submit an envelope the agency's own system signed (docs/api.md,
"Outgoing letters"; the ladder itself is docs/delivery.md).

A delivery is the agency's when the agency sent it; any other is 404 ``api.not_found``,
including one another agency sent to this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any, cast

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Agency
from config.api.limits import CappedMultiPartParser
from config.api.permissions import ActsForAgency
from config.api.views import HubAPIView
from config.errors import ApiNotFound, ApiValidation
from exchange.envelope.errors import TooLarge
from exchange.models import Delivery
from exchange.selectors import delivery_acknowledgements, delivery_of_agency
from exchange.services.acknowledgements import delivery_withdraw, receive_number_dispute
from exchange.services.outbox import delivery_redrive
from exchange.services.sending import letter_resend
from exchange.services.submission import envelope_submit

from .outgoing_serializers import (
    DeliveryDetailSerializer,
    EnvelopeSubmitSerializer,
    ReasonSerializer,
)

TAGS = ["deliveries"]
ENVELOPE_PART = "envelope"

_GET_DELIVERY = {
    "GetDelivery": {
        "operationId": "delivery_retrieve",
        "parameters": {"delivery_id": "$response.body#/id"},
        "description": "Follow this delivery.",
    }
}


def _agency(view: HubAPIView) -> Agency:
    agency = view.caller.agency
    assert agency is not None  # ActsForAgency let the request in
    return agency


def _delivery_or_404(view: HubAPIView, delivery_id: int) -> Delivery:
    delivery = delivery_of_agency(agency=_agency(view), delivery_id=delivery_id)
    if delivery is None:
        # Another agency's delivery is "not found", exactly like one that does not exist.
        raise ApiNotFound(details={"delivery": delivery_id})
    return delivery


def _detail(view: HubAPIView, delivery: Delivery) -> dict[str, Any]:
    # Read again: the answer shows the state the service committed, with every attempt.
    fresh = _delivery_or_404(view, delivery.pk)
    context = {"acknowledgements": delivery_acknowledgements(deliveries=[fresh])}
    data: dict[str, Any] = DeliveryDetailSerializer(fresh, context=context).data
    return data


def _location(delivery: Delivery) -> dict[str, str]:
    return {"Location": reverse("api-delivery-detail", kwargs={"delivery_id": delivery.pk})}


@extend_schema(tags=TAGS)
class DeliveryDetailView(HubAPIView):
    permission_classes = [ActsForAgency]

    @extend_schema(
        operation_id="delivery_retrieve",
        summary="One delivery the agency sent, with its attempts and acknowledgements",
        responses={200: DeliveryDetailSerializer},
    )
    def get(self, request: Request, delivery_id: int) -> Response:
        return Response(_detail(self, _delivery_or_404(self, delivery_id)))


@extend_schema(tags=TAGS)
class DeliveryRedriveView(HubAPIView):
    permission_classes = [ActsForAgency]
    openapi_links = {"POST": {200: _GET_DELIVERY}}

    @extend_schema(
        operation_id="delivery_redrive",
        summary="Try a failed or expired delivery again",
        description="The same envelope and message id (the recipient de-duplicates), for a "
        "fresh time-to-live. Only a `failed` or `expired` delivery (`exchange.not_redrivable`).",
        request=None,
        responses={200: DeliveryDetailSerializer},
    )
    def post(self, request: Request, delivery_id: int) -> Response:
        delivery = delivery_redrive(
            delivery=_delivery_or_404(self, delivery_id), actor=self.caller.actor
        )
        return Response(_detail(self, delivery))


@extend_schema(tags=TAGS)
class DeliveryWithdrawView(HubAPIView):
    permission_classes = [ActsForAgency]
    openapi_links = {
        "POST": {
            200: {
                **_GET_DELIVERY,
                "ResendDelivery": {
                    "operationId": "delivery_resend",
                    "parameters": {"delivery_id": "$response.body#/id"},
                    "description": "Send the letter to this recipient again.",
                },
            }
        }
    }

    @extend_schema(
        operation_id="delivery_withdraw",
        summary="Withdraw one recipient's copy (ถอนเพื่อส่งใหม่)",
        description="After the recipient rejected it or said it was sent to the wrong agency, "
        "or after it failed or expired (`exchange.acknowledgement_out_of_order` otherwise). "
        "The copy becomes `withdrawn` and a signed withdrawal with the reason is queued to "
        "the recipient, together. Then `resend` sends the letter again.",
        request=ReasonSerializer,
        responses={200: DeliveryDetailSerializer},
    )
    def post(self, request: Request, delivery_id: int) -> Response:
        delivery = _delivery_or_404(self, delivery_id)
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        withdrawn = delivery_withdraw(
            delivery=delivery, reason=form.validated_data["reason"], actor=self.caller.actor
        )
        return Response(_detail(self, withdrawn))


@extend_schema(tags=TAGS)
class DeliveryResendView(HubAPIView):
    permission_classes = [ActsForAgency]
    openapi_links = {"POST": {201: _GET_DELIVERY}}

    @extend_schema(
        operation_id="delivery_resend",
        summary="Send a withdrawn copy again to the same recipient",
        description="A new envelope, signed by the hub as the agency, under a new message id; "
        "the answer is the new delivery. Only a withdrawn letter copy "
        "(`exchange.not_sendable`).",
        request=None,
        responses={201: DeliveryDetailSerializer},
    )
    def post(self, request: Request, delivery_id: int) -> Response:
        resent = letter_resend(
            delivery=_delivery_or_404(self, delivery_id), actor=self.caller.actor
        )
        return Response(
            _detail(self, resent), status=status.HTTP_201_CREATED, headers=_location(resent)
        )


@extend_schema(tags=TAGS)
class DeliveryDisputeView(HubAPIView):
    permission_classes = [ActsForAgency]
    openapi_links = {"POST": {202: _GET_DELIVERY}}

    @extend_schema(
        operation_id="delivery_dispute",
        summary="Tell the recipient the receive number it reported looks wrong (แจ้งเลขรับผิด)",
        description="For a `registered` copy (`exchange.acknowledgement_out_of_order` "
        "otherwise). The answer is the signed dispute queued to the recipient, a delivery of "
        "its own (message type `receive-number-dispute`).",
        request=ReasonSerializer,
        responses={202: DeliveryDetailSerializer},
    )
    def post(self, request: Request, delivery_id: int) -> Response:
        delivery = _delivery_or_404(self, delivery_id)
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        dispute = receive_number_dispute(
            delivery=delivery, reason=form.validated_data["reason"], actor=self.caller.actor
        )
        return Response(
            _detail(self, dispute), status=status.HTTP_202_ACCEPTED, headers=_location(dispute)
        )


class EnvelopeXMLParser(BaseParser):
    """A bare signed envelope (no attachments), read up to HUB_ENVELOPE_MAX_BYTES.

    Handed on as an uploaded file named ``envelope``, the shape of the multipart form: the
    view reads one shape, and the Idempotency-Key fingerprint hashes it like any file.
    """

    media_type = "application/xml"

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, UploadedFile[Any]]:
        limit: int = settings.HUB_ENVELOPE_MAX_BYTES
        request = (parser_context or {}).get("request")
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if declared > limit:
            raise TooLarge(details={"max_bytes": limit})
        # One byte past the cap is enough to know it is too large, whatever was declared.
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise TooLarge(details={"max_bytes": limit})
        return {ENVELOPE_PART: SimpleUploadedFile("envelope.xml", data, self.media_type)}


class TextXMLParser(EnvelopeXMLParser):
    media_type = "text/xml"


def _submitted_parts(request: Request) -> tuple[bytes, dict[str, IO[bytes]]]:
    limit: int = settings.HUB_ENVELOPE_MAX_BYTES
    # Both parsers give a mapping (a QueryDict, or the XML parser's dict), never a list.
    envelope = cast(Mapping[str, Any], request.data).get(ENVELOPE_PART)
    if isinstance(envelope, str):
        # Sent as a text part rather than a file part: the same bytes, as UTF-8.
        data = envelope.encode("utf-8")
    elif isinstance(envelope, UploadedFile):
        if envelope.size is not None and envelope.size > limit:
            raise TooLarge(details={"max_bytes": limit})
        data = envelope.read(limit + 1)
    else:
        message = _("This part is required: the signed envelope.")
        raise ApiValidation(details={"fields": {ENVELOPE_PART: [str(message)]}})
    if len(data) > limit:
        raise TooLarge(details={"max_bytes": limit})
    # Every other file part is an attachment, named by its manifest id; the verifier refuses
    # one the signed manifest does not list, and a listed one that is missing.
    attachments = {
        name: cast(IO[bytes], part) for name, part in request.FILES.items() if name != ENVELOPE_PART
    }
    return data, attachments


@extend_schema(tags=TAGS)
class EnvelopeSubmitView(HubAPIView):
    permission_classes = [ActsForAgency]
    parser_classes = [CappedMultiPartParser, EnvelopeXMLParser, TextXMLParser]
    openapi_links = {"POST": {202: _GET_DELIVERY}}

    @extend_schema(
        operation_id="envelope_submit",
        summary="Submit an envelope the agency's own system signed",
        description="A letter, or a registration, rejection or wrong-recipient for a letter "
        "the system pulled. multipart/form-data with the `envelope` part and one part per "
        "manifest entry named by its attachment id, or application/xml when there are no "
        "attachments. The envelope is verified as strictly as one from a peer hub; it must "
        "be signed by the caller's agency (`exchange.not_the_sender`, 403). The very same "
        "bytes are queued to the recipient: the answer is that delivery. The same bytes "
        "again return the same delivery; other bytes under its message id are refused (409 "
        "`envelope.duplicate_message_id`), as is a second copy of one letter to one "
        "recipient (409 `exchange.submitted_twice`). Verification failures answer 400 (413 "
        "for size) with an `envelope.*` code (docs/envelope.md).",
        request={
            "multipart/form-data": EnvelopeSubmitSerializer,
            "application/xml": OpenApiTypes.BINARY,
        },
        responses={202: DeliveryDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        data, attachments = _submitted_parts(request)
        delivery = envelope_submit(
            agency=_agency(self), data=data, attachments=attachments, actor=self.caller.actor
        )
        return Response(
            _detail(self, delivery), status=status.HTTP_202_ACCEPTED, headers=_location(delivery)
        )
