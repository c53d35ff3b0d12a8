"""The pull queue over HTTP, for agencies whose own e-saraban system fetches its letters.

Like the national e-CMS InboundRequest / LetterDelete: fetch leases the next items; each is
acknowledged with the agency's own signed receipt for the exact envelope bytes, which
dequeues it (and, for a letter relayed from a peer hub, sends the receipt on to the sender).
At least once: an item not acknowledged before its lease runs out is offered again, so the
system de-duplicates by message id. Services: ``exchange/services/pull.py``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Agency
from config.api.downloads import FileDownloadMixin, bytes_response, file_response
from config.api.links import absolute_url
from config.api.permissions import ActsForAgency
from config.api.views import HubAPIView
from config.errors import ApiNotFound
from exchange.envelope.types import MessageType
from exchange.models import Delivery, DeliveryStatus
from exchange.selectors import pull_item
from exchange.services.pull import pull_acknowledge, pull_fetch
from exchange.transports import attachments_by_manifest_id

TAG = "pull"
MAX_FETCH = 50


class PullFetchSerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_FETCH, default=10, help_text="How many items at most."
    )
    inline_envelope = serializers.BooleanField(
        default=False,
        help_text="Also put each envelope in the answer, base64-encoded (`envelope_base64`); "
        "otherwise download it from `envelope_url`.",
    )


class PullPartySerializer(serializers.Serializer[Agency]):
    key = serializers.CharField()
    name_th = serializers.CharField()


class PullFileSerializer(serializers.Serializer[Any]):
    manifest_id = serializers.CharField(help_text="The file's id in the envelope's manifest.")
    name = serializers.CharField()
    media_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="As in the manifest the sender signed.")
    url = serializers.URLField(help_text="Download (streamed).")


class PullItemSerializer(serializers.Serializer[Any]):
    """One queued envelope: a letter, or an acknowledgement of a letter the agency sent."""

    message_id = serializers.UUIDField()
    message_type = serializers.ChoiceField(choices=[t.value for t in MessageType])
    sender = PullPartySerializer()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    envelope_sha256 = serializers.CharField(
        help_text="SHA-256 of the envelope bytes: the receipt must acknowledge exactly these."
    )
    envelope_url = serializers.SerializerMethodField()
    envelope_base64 = serializers.SerializerMethodField(
        help_text="The envelope itself when `inline_envelope` was asked for, else null."
    )
    files = serializers.SerializerMethodField(help_text="A letter's files; none otherwise.")
    lease_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Acknowledge before this, or the item is offered again."
    )
    expires_at = serializers.DateTimeField(help_text="Never acknowledged, it expires then.")
    delivered_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_envelope_url(self, item: Delivery) -> str:
        return absolute_url(self.context, "api-pull-envelope", message_id=item.message_id)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_envelope_base64(self, item: Delivery) -> str | None:
        if not self.context.get("inline_envelope"):
            return None
        return base64.b64encode(bytes(item.envelope)).decode("ascii")

    @extend_schema_field(PullFileSerializer(many=True))
    def get_files(self, item: Delivery) -> list[dict[str, Any]]:
        if item.message_type != MessageType.LETTER.value:
            return []
        files = [
            {
                "manifest_id": manifest_id,
                "name": attachment.name,
                "media_type": attachment.media_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "url": absolute_url(
                    self.context,
                    "api-pull-attachment",
                    message_id=item.message_id,
                    manifest_id=manifest_id,
                ),
            }
            for manifest_id, attachment in attachments_by_manifest_id(item).items()
        ]
        return list(PullFileSerializer(files, many=True).data)


class PullFetchAnswerSerializer(serializers.Serializer[Any]):
    items = PullItemSerializer(many=True)


class PullAcknowledgeSerializer(serializers.Serializer[Any]):
    receipt = serializers.CharField(
        help_text="The signed receipt envelope (XML), base64-encoded: its signature covers "
        "exact bytes, which base64 carries through JSON unchanged."
    )

    def validate_receipt(self, value: str) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError(_("Not valid base64.")) from exc


class PullStateSerializer(serializers.Serializer[Delivery]):
    message_id = serializers.UUIDField()
    status = serializers.ChoiceField(
        choices=DeliveryStatus.choices, help_text="`delivered` once acknowledged."
    )
    delivered_at = serializers.DateTimeField(allow_null=True)


def _agency(view: HubAPIView) -> Agency:
    agency = view.caller.agency
    assert agency is not None  # ActsForAgency let the request in
    return agency


def _item_of_caller(view: HubAPIView, message_id: str) -> Delivery:
    item = pull_item(agency=_agency(view), message_id=message_id)
    if item is None:
        raise ApiNotFound(details={"message_id": str(message_id)})
    return item


_FIRST_ITEM = {"message_id": "$response.body#/items/0/message_id"}


@extend_schema(
    tags=[TAG],
    summary="Lease the next items of the agency's pull queue",
    description="Oldest first. Each item stays leased to this call until acknowledged or until "
    "`lease_expires_at`, then it is offered again (at least once: de-duplicate by "
    "`message_id`). A repeat call skips leased items; the same call repeated with its "
    "`Idempotency-Key` returns the same items. An agency whose letters are not pulled gets "
    "409 `exchange.not_pull_mode`.",
    request=PullFetchSerializer,
    responses={200: PullFetchAnswerSerializer},
)
@extend_schema_view(post=extend_schema(operation_id="pull_fetch"))
class PullFetchView(HubAPIView):
    permission_classes = [ActsForAgency]
    openapi_links = {
        "POST": {
            "GetFirstEnvelope": {"operationId": "pull_envelope", "parameters": _FIRST_ITEM},
            "AcknowledgeFirst": {"operationId": "pull_ack", "parameters": _FIRST_ITEM},
        }
    }

    def post(self, request: Request) -> Response:
        form = PullFetchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        items = pull_fetch(
            agency=_agency(self), limit=form.validated_data["limit"], actor=self.caller.actor
        )
        context = {
            "request": request,
            "inline_envelope": form.validated_data["inline_envelope"],
        }
        return Response({"items": PullItemSerializer(items, many=True, context=context).data})


@extend_schema(
    tags=[TAG],
    summary="A queued item's signed envelope, byte for byte",
    responses={
        (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="The envelope.")
    },
)
@extend_schema_view(get=extend_schema(operation_id="pull_envelope"))
class PullEnvelopeView(FileDownloadMixin, HubAPIView):
    permission_classes = [ActsForAgency]

    def get(self, request: Request, message_id: str) -> HttpResponse:
        item = _item_of_caller(self, message_id)
        return bytes_response(
            data=bytes(item.envelope),
            name=f"{item.message_id}.xml",
            media_type="application/xml",
            sha256_hex=item.envelope_sha256,
        )


@extend_schema(
    tags=[TAG],
    summary="A file of a queued letter, by its manifest id (streamed)",
    responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")},
)
@extend_schema_view(get=extend_schema(operation_id="pull_attachment"))
class PullAttachmentView(FileDownloadMixin, HubAPIView):
    permission_classes = [ActsForAgency]

    def get(self, request: Request, message_id: str, manifest_id: str) -> FileResponse:
        item = _item_of_caller(self, message_id)
        files = (
            attachments_by_manifest_id(item)
            if item.message_type == MessageType.LETTER.value
            else {}
        )
        attachment = files.get(manifest_id)
        if attachment is None:
            raise ApiNotFound(details={"message_id": str(message_id), "manifest_id": manifest_id})
        return file_response(attachment)


@extend_schema(
    tags=[TAG],
    summary="Acknowledge (dequeue) an item with the agency's signed receipt",
    description="The body carries the receipt envelope the agency's system signed with the "
    "agency's key, base64-encoded, acknowledging the item's message id and the SHA-256 of "
    "its exact bytes. The hub verifies it like any envelope (`envelope.*` codes), checks it "
    "names this item (`exchange.receipt_mismatch`), marks the item `delivered` and, for a "
    "letter relayed from a peer hub, forwards the receipt to the sender. Acknowledging again "
    "answers the same state.",
    request=PullAcknowledgeSerializer,
    responses={200: PullStateSerializer},
)
@extend_schema_view(post=extend_schema(operation_id="pull_ack"))
class PullAcknowledgeView(HubAPIView):
    permission_classes = [ActsForAgency]

    def post(self, request: Request, message_id: str) -> Response:
        item = _item_of_caller(self, message_id)
        form = PullAcknowledgeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        acknowledged = pull_acknowledge(
            agency=_agency(self),
            message_id=str(item.message_id),
            receipt=form.validated_data["receipt"],
            actor=self.caller.actor,
        )
        return Response(PullStateSerializer(acknowledged).data)
