"""Wire shapes of the directory, API keys and the caller (read-only)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency, AgencyCertificate, ApiKey, CertificatePurpose, DeliveryMode
from agencies.pki.selectors import (
    agency_certificates_published,
    agency_signs_on_hub,
    certificate_status,
)
from exchange.envelope.types import PROTOCOL_VERSION, MessageType

# What an agency can be sent: letters and every acknowledgement that travels through the
# outbox. A receipt is never sent on its own: it is the synchronous answer to a delivery.
RECEIVABLE_MESSAGE_TYPES = [str(kind) for kind in MessageType if kind != MessageType.RECEIPT]
CERTIFICATE_STATUSES = ["valid", "not_yet_valid", "expired", "revoked", "inactive"]


class AgencySummarySerializer(serializers.ModelSerializer[Agency]):
    # DRF's metaclass moves declared fields off the class, so this does not shadow
    # Field.parent at run time; the stubs cannot know that.
    parent: serializers.SlugRelatedField[Agency] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="key", read_only=True, allow_null=True
    )

    class Meta:
        model = Agency
        fields = [
            "key",
            "name_th",
            "name_en",
            "abbreviation",
            "ministry_letter_code",
            "sub_agency_code",
            "unit_number",
            "ecms_ministry_code",
            "ecms_department_code",
            "parent",
            "delivery_mode",
        ]
        read_only_fields = fields


class CertificateSerializer(serializers.ModelSerializer[AgencyCertificate]):
    status = serializers.SerializerMethodField(
        help_text="Whether the hub would accept it now: " + ", ".join(CERTIFICATE_STATUSES)
    )

    class Meta:
        model = AgencyCertificate
        fields = [
            "fingerprint_sha256",
            "purpose",
            "subject",
            "issuer",
            "serial_hex",
            "not_before",
            "not_after",
            "status",
            "certificate_pem",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=CERTIFICATE_STATUSES))
    def get_status(self, certificate: AgencyCertificate) -> str:
        now = self.context.get("now") or timezone.now()
        return certificate_status(certificate=certificate, now=now)


class CapabilitiesSerializer(serializers.Serializer[Any]):
    delivery_mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    endpoint_url = serializers.URLField(
        allow_null=True,
        help_text="Where signed envelopes for this agency are posted: this hub's inbound "
        "endpoint for an agency hosted here, the agency's own for push; null for pull (its "
        "system fetches its queue).",
    )
    message_types = serializers.ListField(
        child=serializers.ChoiceField(choices=RECEIVABLE_MESSAGE_TYPES),
        help_text="Envelope types the agency can be sent.",
    )
    envelope_version = serializers.CharField()
    hub_signs = serializers.BooleanField(
        help_text="The hub holds the agency's signing key and signs its letters."
    )
    accepts_encryption = serializers.BooleanField(
        help_text="An active encryption certificate is registered (needed for secret letters)."
    )


class AgencyDetailSerializer(AgencySummarySerializer):
    email = serializers.EmailField(read_only=True)
    address = serializers.CharField(read_only=True)
    certificates = serializers.SerializerMethodField()
    capabilities = serializers.SerializerMethodField()

    class Meta(AgencySummarySerializer.Meta):
        fields = [
            *AgencySummarySerializer.Meta.fields,
            "email",
            "address",
            "certificates",
            "capabilities",
        ]
        read_only_fields = fields

    def _certificates(self, agency: Agency) -> list[AgencyCertificate]:
        # Certificates and capabilities both read them: one query per agency.
        cache: dict[int, list[AgencyCertificate]] = self.__dict__.setdefault(
            "_certificate_cache", {}
        )
        if agency.pk not in cache:
            cache[agency.pk] = list(agency_certificates_published(agency=agency))
        return cache[agency.pk]

    @extend_schema_field(CertificateSerializer(many=True))
    def get_certificates(self, agency: Agency) -> list[dict[str, Any]]:
        context = {**self.context, "now": self.context.get("now") or timezone.now()}
        return list(
            CertificateSerializer(self._certificates(agency), many=True, context=context).data
        )

    @extend_schema_field(CapabilitiesSerializer)
    def get_capabilities(self, agency: Agency) -> dict[str, Any]:
        endpoint: str | None = None
        if agency.delivery_mode == DeliveryMode.HOSTED:
            request = self.context.get("request")
            path = reverse("exchange-inbound")
            endpoint = request.build_absolute_uri(path) if request is not None else path
        elif agency.delivery_mode == DeliveryMode.PUSH:
            endpoint = agency.endpoint_url
        now = self.context.get("now") or timezone.now()
        encryption = any(
            certificate.purpose == CertificatePurpose.ENCRYPTION
            and certificate_status(certificate=certificate, now=now) == "valid"
            for certificate in self._certificates(agency)
        )
        data: dict[str, Any] = CapabilitiesSerializer(
            {
                "delivery_mode": agency.delivery_mode,
                "endpoint_url": endpoint,
                "message_types": RECEIVABLE_MESSAGE_TYPES,
                "envelope_version": PROTOCOL_VERSION,
                "hub_signs": agency_signs_on_hub(agency=agency),
                "accepts_encryption": encryption,
            }
        ).data
        return data


class ApiKeySerializer(serializers.ModelSerializer[ApiKey]):
    """A key as anyone may see it: never the secret, nor its hash."""

    agency: serializers.SlugRelatedField[Agency] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )

    class Meta:
        model = ApiKey
        fields = ["prefix", "name", "agency", "created_at", "revoked_at", "last_used_at"]
        read_only_fields = fields


class ApiKeyRevokeSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Recorded in the audit trail."
    )


class CallerAgencySerializer(serializers.ModelSerializer[Agency]):
    class Meta:
        model = Agency
        fields = ["key", "name_th", "name_en", "abbreviation"]
        read_only_fields = fields


class CallerSerializer(serializers.Serializer[Any]):
    agency = CallerAgencySerializer(allow_null=True)
    api_key = ApiKeySerializer(allow_null=True)
    username = serializers.CharField(allow_null=True, help_text="Session callers only.")
