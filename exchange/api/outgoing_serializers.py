"""Wire shapes of what an agency sent: deliveries (one per recipient and message), their
attempts and acknowledgements, and the reasons a system gives for withdrawing or disputing."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency
from exchange.envelope import MessageType
from exchange.models import Delivery, DeliveryAttempt
from exchange.selectors import AcknowledgementRecord

# What answers or follows a letter, in the envelope's order (a named enum in the schema).
ACKNOWLEDGEMENT_TYPE_VALUES = [kind.value for kind in MessageType if kind != MessageType.LETTER]
# The envelope schema's Text2000: a reason longer than this could not be signed and sent.
REASON_MAX_LENGTH = 2000


class AgencyReferenceSerializer(serializers.ModelSerializer[Agency]):
    """An agency named in an answer: its directory key (for /agencies/{key}) and names."""

    class Meta:
        model = Agency
        fields = ["key", "name_th", "name_en", "abbreviation"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    """One signed envelope on its way to one recipient, with the latest acknowledgement."""

    recipient = AgencyReferenceSerializer(read_only=True)
    letter_id = serializers.IntegerField(
        read_only=True,
        help_text="The letter it carries or acknowledges: for a letter copy, the sender's "
        "outgoing letter (`GET /letters/{letter_id}`).",
    )
    message_type = serializers.ChoiceField(
        choices=[kind.value for kind in MessageType], read_only=True
    )
    receive_number = serializers.CharField(
        read_only=True,
        help_text="The recipient's receive number (เลขทะเบียนรับ) once it registered the letter.",
    )
    reason = serializers.CharField(
        read_only=True,
        help_text="Why the recipient rejected it or said it was sent to the wrong agency, or "
        "why the sender withdrew it.",
    )
    last_error_code = serializers.CharField(
        read_only=True, help_text="The error code of the last failed attempt, if any."
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "message_id",
            "message_type",
            "letter_id",
            "recipient",
            "status",
            "attempt_count",
            "last_error_code",
            "next_attempt_at",
            "expires_at",
            "delivered_at",
            "receive_number",
            "registered_at",
            "reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DeliveryAttemptSerializer(serializers.ModelSerializer[DeliveryAttempt]):
    succeeded = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="Null while the attempt is under way."
    )
    response_excerpt = serializers.CharField(
        read_only=True, help_text="The start of what the recipient's side answered on failure."
    )

    class Meta:
        model = DeliveryAttempt
        fields = [
            "started_at",
            "duration_ms",
            "transport",
            "http_status",
            "succeeded",
            "error_code",
            "permanent",
            "response_excerpt",
        ]
        read_only_fields = fields


class AcknowledgementSerializer(serializers.Serializer[Any]):
    message_type = serializers.ChoiceField(
        choices=ACKNOWLEDGEMENT_TYPE_VALUES,
        help_text="receipt (ตอบรับ), registration (แจ้งเลขรับ), rejection (ปฏิเสธ), "
        "wrong-recipient (แจ้งหนังสือผิด), withdrawal (ถอนเพื่อส่งใหม่), receive-number-dispute "
        "(แจ้งเลขรับผิด).",
    )
    sent_by = serializers.ChoiceField(
        choices=["recipient", "sender"],
        help_text="`recipient`: the recipient acknowledged; `sender`: the caller's agency told "
        "the recipient.",
    )
    recorded_at = serializers.DateTimeField(help_text="When the hub recorded it.")
    message_id = serializers.CharField(
        allow_null=True,
        help_text="The acknowledgement envelope's message id, for those the recipient signed.",
    )
    receive_number = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)


class DeliveryDetailSerializer(DeliverySerializer):
    """A delivery with every attempt and every acknowledgement, oldest first.

    The view passes the acknowledgements in the context (``acknowledgements``: delivery id to
    records), read for a whole page at once.
    """

    attempts = DeliveryAttemptSerializer(many=True, read_only=True)
    acknowledgements = serializers.SerializerMethodField()

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "attempts", "acknowledgements"]
        read_only_fields = fields

    @extend_schema_field(AcknowledgementSerializer(many=True))
    def get_acknowledgements(self, delivery: Delivery) -> list[dict[str, Any]]:
        found: dict[int, list[AcknowledgementRecord]] = self.context.get("acknowledgements", {})
        return list(AcknowledgementSerializer(found.get(delivery.pk, []), many=True).data)


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH,
        help_text="Why, in words the recipient's clerk will read (Thai), e.g. "
        "`ส่งผิดส่วนราชการ จะจัดส่งใหม่`.",
    )


class EnvelopeSubmitSerializer(serializers.Serializer[Any]):
    """The multipart form of an envelope submission (for the schema; the view reads parts)."""

    envelope = serializers.FileField(
        help_text="The signed envelope XML, byte for byte as the agency's system signed it. "
        "Add one more part per manifest entry, named by its attachment id, with that file."
    )
