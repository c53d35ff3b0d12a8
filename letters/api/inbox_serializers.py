"""The inbox's wire shapes: a list item, the whole letter, and the answers of its actions.

Links are absolute URLs built from the request, so that a system follows them as they are.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency
from config.api.fields import IsoDateField
from config.api.links import absolute_url
from exchange.models import Delivery, InboundEnvelope
from letters.models import (
    Attachment,
    Letter,
    LetterRecipient,
    LetterReference,
    LetterStatus,
    RegisterEntry,
    Secrecy,
    Urgency,
)
from letters.thai import be_year, to_thai_digits

# What an incoming copy can be in; the inbox filters by these.
INBOX_STATUSES = (
    LetterStatus.RECEIVED,
    LetterStatus.REGISTERED,
    LetterStatus.REJECTED,
    LetterStatus.WRONG_RECIPIENT,
    LetterStatus.WITHDRAWN,
)


class CodeListField(serializers.CharField):
    """A comma-separated list of codes from a fixed set, e.g. ``urgency=004,003``."""

    def __init__(self, *, choices: tuple[str, ...], **kwargs: Any) -> None:
        self.allowed = choices
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> tuple[str, ...]:  # type: ignore[override]
        text = super().to_internal_value(data)
        values = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
        unknown = [value for value in values if value not in self.allowed]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown values: %(unknown)s. Allowed: %(allowed)s.")
                % {"unknown": ", ".join(unknown), "allowed": ", ".join(self.allowed)}
            )
        return values


class InboxQuerySerializer(serializers.Serializer[Any]):
    """The inbox's filters, read from the query string; every one optional."""

    status = CodeListField(choices=tuple(INBOX_STATUSES), required=False)
    urgency = CodeListField(choices=tuple(Urgency.values), required=False)
    secrecy = CodeListField(choices=tuple(Secrecy.values), required=False)
    sender = serializers.SlugField(max_length=50, required=False)
    received_from = IsoDateField(required=False)
    received_to = IsoDateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("received_from"), attrs.get("received_to")
        if start is not None and end is not None and start > end:
            raise serializers.ValidationError(
                {"received_to": [_("The end date is before the start date.")]}
            )
        return attrs


class PartySerializer(serializers.ModelSerializer[Agency]):
    class Meta:
        model = Agency
        fields = ["key", "name_th", "name_en", "abbreviation"]
        read_only_fields = fields


class InboxItemSerializer(serializers.ModelSerializer[Letter]):
    """One line of the inbox: enough to sort, badge and pick a letter; details are a GET away."""

    url = serializers.SerializerMethodField(help_text="This letter's details.")
    number = serializers.SerializerMethodField(
        help_text="The letter's number (ที่) as printed, in Thai digits."
    )
    number_ascii = serializers.SerializerMethodField(help_text="The same in Arabic digits.")
    sender = PartySerializer(source="sender_agency", read_only=True)
    urgency_label = serializers.CharField(source="get_urgency_display", read_only=True)
    secrecy_label = serializers.CharField(source="get_secrecy_display", read_only=True)
    received_at = serializers.DateTimeField(
        source="created_at", read_only=True, help_text="When the copy was filed here."
    )
    overdue = serializers.SerializerMethodField(
        help_text="True when an ด่วนภายใน deadline has passed and the letter is not yet dealt with."
    )

    class Meta:
        model = Letter
        fields = [
            "id",
            "url",
            "status",
            "urgency",
            "urgency_label",
            "secrecy",
            "secrecy_label",
            "number",
            "number_ascii",
            "subject",
            "sender",
            "letter_date",
            "received_at",
            "urgent_deadline",
            "overdue",
        ]
        read_only_fields = fields

    def get_url(self, letter: Letter) -> str:
        return absolute_url(self.context, "api-inbox-detail", letter_id=letter.pk)

    def get_number(self, letter: Letter) -> str:
        return letter.number_display(thai_digits=True)

    def get_number_ascii(self, letter: Letter) -> str:
        return letter.number_display(thai_digits=False)

    def get_overdue(self, letter: Letter) -> bool:
        return (
            letter.urgent_deadline is not None
            and letter.status == LetterStatus.RECEIVED
            and letter.urgent_deadline < timezone.now()
        )


class RecipientSerializer(serializers.ModelSerializer[LetterRecipient]):
    agency = PartySerializer(read_only=True)

    class Meta:
        model = LetterRecipient
        fields = ["agency", "role", "addressee"]
        read_only_fields = fields


class ReferenceSerializer(serializers.ModelSerializer[LetterReference]):
    class Meta:
        model = LetterReference
        fields = ["number_text", "date", "subject"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    url = serializers.SerializerMethodField(help_text="Download (streamed).")

    class Meta:
        model = Attachment
        fields = ["id", "role", "name", "media_type", "size", "sha256", "description", "url"]
        read_only_fields = fields

    def get_url(self, attachment: Attachment) -> str:
        return absolute_url(
            self.context,
            "api-inbox-attachment",
            letter_id=attachment.letter_id,
            attachment_id=attachment.pk,
        )


class RegistrationSerializer(serializers.Serializer[RegisterEntry]):
    """The receive register line of a registered letter (ลงรับ)."""

    letter_id = serializers.IntegerField()
    receive_number = serializers.IntegerField(source="number", help_text="เลขทะเบียนรับ.")
    receive_number_thai = serializers.SerializerMethodField(help_text="The same in Thai digits.")
    series = serializers.CharField(help_text="Register series: normal, circular or secret.")
    year = serializers.IntegerField(help_text="The numbering year (C.E.).")
    year_be = serializers.SerializerMethodField(help_text="The numbering year (B.E.).")
    registered_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField(help_text="The letter's status: `registered`.")

    def get_receive_number_thai(self, entry: RegisterEntry) -> str:
        return to_thai_digits(str(entry.number))

    def get_year_be(self, entry: RegisterEntry) -> int:
        return be_year(entry.year)

    def get_status(self, entry: RegisterEntry) -> str:
        return LetterStatus.REGISTERED.value


class VerificationSerializer(serializers.Serializer[InboundEnvelope]):
    """What the hub checked when the envelope arrived, as it recorded it then."""

    message_id = serializers.UUIDField()
    envelope_sha256 = serializers.CharField()
    received_at = serializers.DateTimeField()
    signer_certificate_subject = serializers.SerializerMethodField(
        help_text="Subject of the certificate that signed the envelope (RFC 4514)."
    )
    signer_certificate_sha256 = serializers.SerializerMethodField(
        help_text="SHA-256 fingerprint of that certificate (hex)."
    )
    signing_time = serializers.SerializerMethodField(
        help_text="The signing time the signature claims (XAdES), if any."
    )
    signature_shape = serializers.SerializerMethodField(help_text="`xades` or `xmldsig`.")
    verified_at = serializers.SerializerMethodField()
    checks = serializers.SerializerMethodField(help_text="Each check the verifier passed.")

    def _evidence(self, inbound: InboundEnvelope) -> dict[str, Any]:
        evidence = inbound.evidence
        return evidence if isinstance(evidence, dict) else {}

    def get_signer_certificate_subject(self, inbound: InboundEnvelope) -> str | None:
        return self._evidence(inbound).get("certificate_subject")

    def get_signer_certificate_sha256(self, inbound: InboundEnvelope) -> str | None:
        return self._evidence(inbound).get("certificate_sha256")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_signing_time(self, inbound: InboundEnvelope) -> str | None:
        return self._evidence(inbound).get("signing_time")

    def get_signature_shape(self, inbound: InboundEnvelope) -> str | None:
        return self._evidence(inbound).get("signature_shape")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_verified_at(self, inbound: InboundEnvelope) -> str | None:
        return self._evidence(inbound).get("verified_at")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_checks(self, inbound: InboundEnvelope) -> list[str]:
        checks = self._evidence(inbound).get("checks", [])
        return [str(check) for check in checks] if isinstance(checks, list) else []


class InboxAcknowledgementSerializer(serializers.ModelSerializer[Delivery]):
    """A signed notice this agency sent back about the letter, and how far it got."""

    class Meta:
        model = Delivery
        fields = ["message_id", "message_type", "status", "created_at", "delivered_at"]
        read_only_fields = fields


class InboxLetterSerializer(InboxItemSerializer):
    """Every field of an incoming letter, its files, registration and the evidence it carries."""

    recipients = RecipientSerializer(many=True, read_only=True)
    references = ReferenceSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    registration = serializers.SerializerMethodField(
        help_text="The receive register line once registered (ลงรับ), else null."
    )
    verification = serializers.SerializerMethodField(
        help_text="The verification evidence of the envelope it arrived in, or null."
    )
    acknowledgements = serializers.SerializerMethodField(
        help_text="Notices sent back to the sender: registration, rejection, wrong recipient."
    )
    envelope_url = serializers.SerializerMethodField(
        help_text="The original signed envelope, byte for byte (null when there is none)."
    )
    # Plain text: a received letter keeps what its sender wrote, even a blank or odd address.
    email = serializers.CharField(read_only=True)

    class Meta(InboxItemSerializer.Meta):
        fields = [
            *InboxItemSerializer.Meta.fields,
            "kind",
            "ministry_code",
            "sub_agency_code",
            "unit_number",
            "series",
            "series_mark",
            "running_number",
            "number_year",
            "salutation",
            "addressee",
            "body",
            "closing",
            "signer_name",
            "signer_position",
            "owning_unit",
            "phone",
            "email",
            "updated_at",
            "recipients",
            "references",
            "attachments",
            "registration",
            "verification",
            "acknowledgements",
            "envelope_url",
        ]
        read_only_fields = fields

    @extend_schema_field(RegistrationSerializer(allow_null=True))
    def get_registration(self, letter: Letter) -> dict[str, Any] | None:
        entry: RegisterEntry | None = self.context.get("registration")
        return dict(RegistrationSerializer(entry).data) if entry is not None else None

    @extend_schema_field(VerificationSerializer(allow_null=True))
    def get_verification(self, letter: Letter) -> dict[str, Any] | None:
        inbound: InboundEnvelope | None = self.context.get("inbound")
        return dict(VerificationSerializer(inbound).data) if inbound is not None else None

    @extend_schema_field(InboxAcknowledgementSerializer(many=True))
    def get_acknowledgements(self, letter: Letter) -> list[dict[str, Any]]:
        sent = self.context.get("acknowledgements", [])
        return list(InboxAcknowledgementSerializer(sent, many=True).data)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_envelope_url(self, letter: Letter) -> str | None:
        if self.context.get("inbound") is None:
            return None
        return absolute_url(self.context, "api-inbox-envelope", letter_id=letter.pk)


class RefusalSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=1000,
        trim_whitespace=True,
        help_text="Why, for the sender (required): e.g. ไม่ใช่เรื่องในอำนาจหน้าที่.",
    )
