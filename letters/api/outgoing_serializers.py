"""Wire shapes of outgoing letters: what a system sends to create or change a draft, and what
it reads back (the letter, its files, its number, its copies on their way)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency
from agencies.selectors import agency_in_directory
from config.api.fields import MomentField
from exchange.api.outgoing_serializers import DeliverySerializer
from letters.letter_number import Series
from letters.models import (
    Attachment,
    AttachmentRole,
    Letter,
    LetterKind,
    LetterRecipient,
    LetterReference,
    RecipientRole,
    Secrecy,
    Urgency,
)
from letters.services.letters import LetterFields, RecipientInput, ReferenceInput
from letters.services.sealed import letter_holds_sealed
from letters.thai import to_arabic_digits

# -- Input -------------------------------------------------------------------------------------


# The number series a letter may ask for (named in the schema: settings ENUM_NAME_OVERRIDES).
LETTER_SERIES_VALUES = [series.value for series in Series]


class RecipientInputSerializer(serializers.Serializer[Any]):
    agency = serializers.SlugField(
        max_length=50,
        help_text="The recipient's directory key (`GET /agencies?q=`), e.g. `soc`.",
    )
    role = serializers.ChoiceField(
        choices=RecipientRole.choices,
        default=RecipientRole.TO,
        help_text="`to`: a main recipient (เรียน); `cc`: a copy (สำเนาส่ง).",
    )
    addressee = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="The addressee's position at that agency, e.g. `เลขาธิการคณะรัฐมนตรี`.",
    )

    def validate_agency(self, key: str) -> Agency:
        agency = agency_in_directory(key=key)
        if agency is None:
            raise serializers.ValidationError(_("No active agency has this directory key."))
        return agency


class ReferenceInputSerializer(serializers.Serializer[Any]):
    number_text = serializers.CharField(
        max_length=100, help_text="The cited letter's number as printed, e.g. `นร ๐๕๐๖/ว ๑๑๕๖๑`."
    )
    date = serializers.DateField(required=False, allow_null=True, default=None)
    subject = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class LetterInputSerializer(serializers.Serializer[Any]):
    """A draft's metadata: every field of the letter, its recipients and its references.

    On create, an omitted field takes its default; on PATCH, only the fields sent change
    (``recipients`` or ``references``, when sent, replace the whole list).
    """

    subject = serializers.CharField(max_length=1000, help_text="เรื่อง")
    kind = serializers.ChoiceField(choices=LetterKind.choices, required=False)
    series = serializers.ChoiceField(
        choices=LETTER_SERIES_VALUES,
        required=False,
        help_text="Number series: `normal`, `circular` (ว) or `secret`; secret letters "
        "(ลับ, ลับมาก) are numbered from the secret series whatever is chosen.",
    )
    ministry_code = serializers.CharField(
        max_length=5,
        required=False,
        allow_blank=True,
        help_text="Ministry letter code, e.g. `ดศ`; empty: the agency's own.",
    )
    sub_agency_code = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Sub-agency code printed in brackets, e.g. `สพขอ`; null: the agency's own.",
    )
    unit_number = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Owner (unit) number, e.g. `511.04` or `๕๑๑.๐๔` (stored with Arabic "
        "digits); null: the agency's own.",
    )
    letter_date = serializers.DateField(
        required=False, allow_null=True, help_text="ISO date; null: the day it is numbered."
    )
    salutation = serializers.CharField(max_length=50, required=False, allow_blank=True)
    addressee = serializers.CharField(max_length=500, required=False, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    closing = serializers.CharField(max_length=100, required=False, allow_blank=True)
    signer_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    signer_position = serializers.CharField(max_length=500, required=False, allow_blank=True)
    owning_unit = serializers.CharField(max_length=255, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    urgency = serializers.ChoiceField(
        choices=Urgency.choices, required=False, help_text="ชั้นความเร็ว (`GET /codes/urgency`)."
    )
    secrecy = serializers.ChoiceField(
        choices=Secrecy.choices,
        required=False,
        help_text="ชั้นความลับ (`GET /codes/secrecy`); `004` ลับที่สุด is refused "
        "(`letters.top_secret_refused`): it must never travel electronically.",
    )
    urgent_deadline = MomentField(
        required=False, allow_null=True, help_text="ด่วนภายใน: act by this time."
    )
    recipients = RecipientInputSerializer(many=True, required=False)
    references = ReferenceInputSerializer(many=True, required=False, help_text="อ้างถึง")

    def validate_unit_number(self, value: str | None) -> str | None:
        # Clerks type Thai digits; numbers are stored with Arabic ones and rendered either way.
        return to_arabic_digits(value) if value is not None else None

    def letter_changes(self) -> dict[str, Any]:
        """Return the LetterFields values that were sent (all of them on create)."""
        names = {name for name in LetterFields.__dataclass_fields__}
        return {name: value for name, value in self.validated_data.items() if name in names}

    def letter_fields(self) -> LetterFields:
        return LetterFields(**self.letter_changes())

    def recipients_given(self) -> list[RecipientInput] | None:
        given = self.validated_data.get("recipients")
        if given is None:
            return None
        return [RecipientInput(**recipient) for recipient in given]

    def references_given(self) -> list[ReferenceInput] | None:
        given = self.validated_data.get("references")
        if given is None:
            return None
        return [ReferenceInput(**reference) for reference in given]


class LetterCreateMultipartSerializer(serializers.Serializer[Any]):
    """The multipart form of a new draft (for the schema; the view reads the parts)."""

    metadata = serializers.CharField(
        help_text="The letter's metadata as JSON, exactly the JSON body of this operation "
        "(a text part, or a file part of type application/json)."
    )
    main = serializers.FileField(
        required=False,
        help_text="The main document (the signed letter), usually a PDF; at most one.",
    )
    enclosure = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Enclosures (สิ่งที่ส่งมาด้วย), in order; repeat the part for each file.",
    )


class AttachmentAddSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        help_text="The file. Its part's Content-Type is its media type (guessed from the "
        "name when it is missing or application/octet-stream)."
    )
    role = serializers.ChoiceField(choices=AttachmentRole.choices, default=AttachmentRole.ENCLOSURE)
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )


# -- Output ------------------------------------------------------------------------------------


class OutgoingRecipientSerializer(serializers.ModelSerializer[LetterRecipient]):
    agency: serializers.SlugRelatedField[Agency] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    name_th = serializers.CharField(source="agency.name_th", read_only=True)

    class Meta:
        model = LetterRecipient
        fields = ["agency", "name_th", "role", "addressee"]
        read_only_fields = fields


class OutgoingReferenceSerializer(serializers.ModelSerializer[LetterReference]):
    class Meta:
        model = LetterReference
        fields = ["number_text", "date", "subject"]
        read_only_fields = fields


class OutgoingAttachmentSerializer(serializers.ModelSerializer[Attachment]):
    download_url = serializers.SerializerMethodField(
        help_text="Where the file is streamed from (the same API key)."
    )

    class Meta:
        model = Attachment
        fields = [
            "id",
            "role",
            "name",
            "media_type",
            "size",
            "sha256",
            "description",
            "position",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment: Attachment) -> str:
        path = reverse(
            "api-letter-attachment",
            kwargs={"letter_id": attachment.letter_id, "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class _NumberFields(serializers.ModelSerializer[Letter]):
    number = serializers.SerializerMethodField(
        help_text="ที่: the number as printed (Thai digits), once numbered; null before."
    )
    number_arabic = serializers.SerializerMethodField(help_text="The same with Arabic digits.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_number(self, letter: Letter) -> str | None:
        return letter.number_display() or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_number_arabic(self, letter: Letter) -> str | None:
        return letter.number_display(thai_digits=False) or None


class OutgoingLetterSerializer(_NumberFields):
    # Not an EmailField: most letters have no e-mail, and "" is no valid "format: email".
    email = serializers.CharField(read_only=True, help_text="The contact e-mail, or empty.")
    recipients = OutgoingRecipientSerializer(many=True, read_only=True)
    references = OutgoingReferenceSerializer(many=True, read_only=True)
    attachments = OutgoingAttachmentSerializer(many=True, read_only=True)
    content_sealed = serializers.SerializerMethodField(
        help_text="True for a secret letter (ลับ, ลับมาก): its subject reads หนังสือลับ, its "
        "content fields are empty and its files are ciphertext under neutral names; the content "
        "is kept encrypted and opened only by the agency's secret-registry officers in the hub."
    )

    class Meta:
        model = Letter
        fields = [
            "id",
            "status",
            "content_sealed",
            "kind",
            "series",
            "number",
            "number_arabic",
            "running_number",
            "number_year",
            "ministry_code",
            "sub_agency_code",
            "unit_number",
            "letter_date",
            "subject",
            "salutation",
            "addressee",
            "body",
            "closing",
            "signer_name",
            "signer_position",
            "owning_unit",
            "phone",
            "email",
            "urgency",
            "secrecy",
            "urgent_deadline",
            "recipients",
            "references",
            "attachments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_content_sealed(self, letter: Letter) -> bool:
        return letter_holds_sealed(letter)


class LetterNumberSerializer(_NumberFields):
    """The dispatch number (เลขทะเบียนส่ง) a draft was given."""

    class Meta:
        model = Letter
        fields = [
            "id",
            "status",
            "number",
            "number_arabic",
            "series",
            "running_number",
            "number_year",
            "letter_date",
        ]
        read_only_fields = fields


class OutboxLetterSerializer(_NumberFields):
    """A line of the outbox: the letter and how far each recipient's copy has got."""

    deliveries = DeliverySerializer(
        many=True,
        read_only=True,
        source="copies",
        help_text="One per recipient (a resent copy follows its withdrawn one); empty until "
        "the letter is sent.",
    )

    class Meta:
        model = Letter
        fields = [
            "id",
            "status",
            "number",
            "number_arabic",
            "subject",
            "urgency",
            "secrecy",
            "letter_date",
            "created_at",
            "updated_at",
            "deliveries",
        ]
        read_only_fields = fields


class SendResultSerializer(_NumberFields):
    """The letter as sent, and its copies queued for each recipient (to and cc)."""

    deliveries = serializers.SerializerMethodField()

    class Meta:
        model = Letter
        fields = ["id", "status", "number", "number_arabic", "letter_date", "deliveries"]
        read_only_fields = fields

    @extend_schema_field(DeliverySerializer(many=True))
    def get_deliveries(self, letter: Letter) -> list[dict[str, Any]]:
        return list(DeliverySerializer(self.context["deliveries"], many=True).data)
