"""The clock check (like e-CMS TimeCheck): envelopes are refused when their creation time is
further from the hub's clock than HUB_ENVELOPE_CLOCK_SKEW_SECONDS, so systems that sign
their own envelopes compare clocks here first."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.views import HubAPIView
from letters.thai import be_year, format_thai_date

BANGKOK = zoneinfo.ZoneInfo("Asia/Bangkok")


class TimeSerializer(serializers.Serializer[Any]):
    utc = serializers.DateTimeField(
        default_timezone=datetime.UTC, help_text="The hub's clock, UTC (ISO 8601, `Z`)."
    )
    bangkok = serializers.DateTimeField(
        default_timezone=BANGKOK, help_text="The same instant in Asia/Bangkok (+07:00)."
    )
    unix_ms = serializers.IntegerField(help_text="Milliseconds since 1970-01-01T00:00:00Z.")
    bangkok_date = serializers.DateField(help_text="Today's date in Bangkok (ISO, C.E.).")
    be_year = serializers.IntegerField(help_text="Buddhist Era year of that date (C.E. + 543).")
    thai_date = serializers.CharField(help_text="That date as printed on letters: ๑ มกราคม ๒๕๖๙.")
    clock_skew_seconds = serializers.IntegerField(
        help_text="How far an envelope's creation time may be from this clock."
    )


@extend_schema(tags=["reference"], summary="The hub's clock (UTC, Bangkok, B.E. date)")
class TimeView(HubAPIView):
    @extend_schema(responses={200: TimeSerializer})
    def get(self, request: Request) -> Response:
        now = datetime.datetime.now(tz=datetime.UTC)
        local = now.astimezone(BANGKOK)
        data = {
            "utc": now,
            "bangkok": local,
            "unix_ms": int(now.timestamp() * 1000),
            "bangkok_date": local.date(),
            "be_year": be_year(local.year),
            "thai_date": format_thai_date(local.date()),
            "clock_skew_seconds": settings.HUB_ENVELOPE_CLOCK_SKEW_SECONDS,
        }
        return Response(TimeSerializer(data).data)
