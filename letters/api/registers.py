"""The receive and dispatch registers by date range, as JSON pages or one streamed CSV.

Both shapes come from ``letters/exports.py``, the same rows the clerk's export uses: machine
dates (ISO 8601, Bangkok time) beside the B.E. date a clerk reads.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.fields import IsoDateField
from config.api.pagination import KeysetCursorPagination
from config.api.permissions import ActsForAgency
from config.api.views import HubGenericAPIView
from config.errors import ApiNotFound
from letters.exports import register_csv, register_row
from letters.models import RegisterEntry, RegisterKind, RegisterSeries
from letters.selectors import register_lines

# Rows fetched per database round trip while the CSV streams: memory stays flat for a year.
CSV_CHUNK_ROWS = 500


class CSVRenderer(BaseRenderer):
    """Lets content negotiation pick CSV (``Accept: text/csv`` or ``?format=csv``); the view
    then streams the file itself, so this renderer never renders anything."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        # Never called: the view streams the CSV itself and answers errors in JSON.
        raise RuntimeError("register CSV is streamed by the view")


class RegisterQuerySerializer(serializers.Serializer[Any]):
    """``from`` and ``to`` (Bangkok days, both included) and an optional series."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "from" is a Python keyword, so the fields are named here rather than as attributes.
        return {
            "from": IsoDateField(),
            "to": IsoDateField(),
            "series": serializers.ChoiceField(choices=RegisterSeries.choices, required=False),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": [_("The end date is before the start date.")]})
        return attrs


class RegisterRowSerializer(serializers.Serializer[Any]):
    """One register line as exported (``letters.exports.register_row``), with its letter."""

    series = serializers.ChoiceField(choices=RegisterSeries.choices)
    year_be = serializers.IntegerField(help_text="Numbering year, B.E.")
    number = serializers.IntegerField(help_text="The register number (เลขทะเบียน).")
    revision = serializers.IntegerField(help_text="0, or the correction's revision.")
    registered_at = serializers.DateTimeField(help_text="ISO 8601, Bangkok time.")
    registered_on_be = serializers.CharField(help_text="The date as a clerk reads it (B.E.).")
    registered_time = serializers.CharField(help_text="The time as printed: 14.35 น.")
    letter_number = serializers.CharField(allow_blank=True, help_text="ที่ of the letter.")
    letter_date = serializers.CharField(
        allow_blank=True, help_text="The letter's own date, ISO 8601, or empty."
    )
    from_party = serializers.CharField(allow_blank=True)
    to_party = serializers.CharField(allow_blank=True)
    subject = serializers.CharField(allow_blank=True)
    action_taken = serializers.CharField(allow_blank=True)
    remarks = serializers.CharField(allow_blank=True)
    cancelled = serializers.BooleanField(help_text="The number is ยกเลิก (kept, never reused).")
    letter_id = serializers.IntegerField(
        allow_null=True, help_text="The letter the line registers, if any."
    )


class RegisterPageSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RegisterRowSerializer(many=True)


def _row(line: RegisterEntry) -> dict[str, Any]:
    return {**register_row(line), "letter_id": line.letter_id}


def csv_filename(kind: str, start: datetime.date, end: datetime.date) -> str:
    return f"{kind}-register_{start.isoformat()}_{end.isoformat()}.csv"


@extend_schema(
    tags=["registers"],
    summary="A register's lines by date range, as JSON or CSV",
    description="The register as printed: the latest revision of each number registered "
    "between `from` and `to` (Bangkok days, both included), cancelled numbers included and "
    "marked, in series, year and number order. JSON is cursor-paginated; CSV "
    "(`Accept: text/csv` or `format=csv`) is the whole range in one streamed file, UTF-8 with "
    "a byte-order mark, headers in Thai and English.",
    parameters=[
        OpenApiParameter(
            "register",
            str,
            location=OpenApiParameter.PATH,
            enum=[kind.value for kind in RegisterKind],
            description="`receive` (ทะเบียนหนังสือรับ) or `dispatch` (ทะเบียนหนังสือส่ง).",
        ),
        OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day."),
        OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Last day."),
        OpenApiParameter(
            "series",
            str,
            enum=[series.value for series in RegisterSeries],
            description="One series only.",
        ),
        OpenApiParameter("format", str, enum=["json", "csv"], description="Overrides Accept."),
        OpenApiParameter("cursor", str, description="The pagination cursor (JSON only)."),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": 200},
            description="Lines per page (JSON only), at most 200.",
        ),
    ],
    responses={
        (200, "application/json"): RegisterPageSerializer,
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR, description="The whole range, streamed, as an attachment."
        ),
    },
)
@extend_schema_view(get=extend_schema(operation_id="registers_retrieve"))
class RegisterView(HubGenericAPIView[RegisterEntry]):
    permission_classes = [ActsForAgency]
    pagination_class = KeysetCursorPagination
    # Unique per line: register_lines keeps one revision of each number.
    cursor_ordering = ("series", "year", "number")
    extra_error_statuses = (400,)  # invalid filters
    wants_csv = False

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        # Choose between JSON and CSV like DRF would (406 for anything else), but render
        # errors as JSON even when CSV was asked for: a client must be able to read them.
        json_renderer = JSONRenderer()
        if not force:
            chosen, _media_type = self.get_content_negotiator().select_renderer(
                request, [json_renderer, CSVRenderer()], self.format_kwarg
            )
            self.wants_csv = isinstance(chosen, CSVRenderer)
        return json_renderer, json_renderer.media_type

    def get(self, request: Request, register: str) -> Response | StreamingHttpResponse:
        if register not in RegisterKind.values:
            raise ApiNotFound(details={"register": register})
        query = RegisterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start: datetime.date = query.validated_data["from"]
        end: datetime.date = query.validated_data["to"]
        series = query.validated_data.get("series")
        agency = self.caller.agency
        assert agency is not None  # ActsForAgency let the request in
        lines = register_lines(
            agency=agency,
            register=RegisterKind(register),
            date_from=start,
            date_to=end,
            series=RegisterSeries(series) if series else None,
        )
        if self.wants_csv:
            response = StreamingHttpResponse(
                register_csv(lines.iterator(chunk_size=CSV_CHUNK_ROWS)),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = (
                f'attachment; filename="{csv_filename(register, start, end)}"'
            )
            return response
        page = self.paginate_queryset(lines)
        assert page is not None  # the view always paginates
        return self.get_paginated_response([_row(line) for line in page])
