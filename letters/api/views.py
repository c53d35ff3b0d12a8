"""Code lists (like e-CMS SpeedCode, SecretCode, MimeCode): codes with Thai and English labels.

Labels come from the same translated choices the clerk UI shows, so the two never disagree.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django_stubs_ext import StrPromise
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.views import HubAPIView
from letters.errors import TopSecretRefused
from letters.media_types import KNOWN_MEDIA_TYPES
from letters.models import Secrecy, Urgency


def _labels(label: StrPromise | str) -> dict[str, str]:
    with translation.override("th"):
        thai = str(label)
    with translation.override("en"):
        english = str(label)
    return {"label_th": thai, "label_en": english}


class CodeSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="The national exchange standard's code.")
    label_th = serializers.CharField()
    label_en = serializers.CharField()


class SecrecyCodeSerializer(CodeSerializer):
    allowed_electronically = serializers.BooleanField(
        help_text="False for ลับที่สุด: it must never travel electronically; the hub refuses "
        "it (`letters.top_secret_refused`)."
    )
    note = serializers.CharField(allow_blank=True, help_text="Why, in the request's language.")


class MediaTypeSerializer(serializers.Serializer[Any]):
    media_type = serializers.CharField()
    extension = serializers.CharField()
    label_th = serializers.CharField()
    label_en = serializers.CharField()
    main_document = serializers.BooleanField(
        help_text="Suitable as the letter itself (the signed main document)."
    )


@extend_schema(tags=["reference"], summary="Urgency codes (ชั้นความเร็ว)")
class UrgencyCodesView(HubAPIView):
    @extend_schema(responses={200: CodeSerializer(many=True)})
    def get(self, request: Request) -> Response:
        codes = [{"code": value, **_labels(label)} for value, label in Urgency.choices]
        return Response(CodeSerializer(codes, many=True).data)


@extend_schema(tags=["reference"], summary="Secrecy codes (ชั้นความลับ)")
class SecrecyCodesView(HubAPIView):
    @extend_schema(responses={200: SecrecyCodeSerializer(many=True)})
    def get(self, request: Request) -> Response:
        codes = [
            {
                "code": value,
                **_labels(label),
                "allowed_electronically": value != Secrecy.TOP_SECRET,
                "note": str(TopSecretRefused.default_message)
                if value == Secrecy.TOP_SECRET
                else "",
            }
            for value, label in Secrecy.choices
        ]
        return Response(SecrecyCodeSerializer(codes, many=True).data)


@extend_schema(tags=["reference"], summary="Media types for attachments")
class MediaTypeCodesView(HubAPIView):
    """Recommended types; the hub stores any type/subtype it is given."""

    @extend_schema(responses={200: MediaTypeSerializer(many=True)})
    def get(self, request: Request) -> Response:
        codes = [
            {
                "media_type": known.media_type,
                "extension": known.extension,
                **_labels(known.label),
                "main_document": known.main_document,
            }
            for known in KNOWN_MEDIA_TYPES
        ]
        return Response(MediaTypeSerializer(codes, many=True).data)
