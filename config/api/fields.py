"""Serializer fields the API's conventions share."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


class IsoDateField(serializers.DateField):
    """An ISO 8601 calendar date, C.E., in ASCII digits: ``2026-01-31``.

    Python reads Thai digits as numbers, so ``๒๕๖๙-๐๑-๓๑`` (a B.E. date, as a clerk writes it)
    would silently become the Common Era year 2569 and match nothing; refuse it instead.
    """

    # Bangkok midnights of these days, and of the day after, still convert to UTC (0001-01-01
    # and 9999-12-31 overflow Python's datetime on the way to a query).
    earliest = datetime.date(1900, 1, 1)
    latest = datetime.date(9999, 12, 30)
    default_error_messages = {
        "invalid": _("Use an ISO 8601 date in the Common Era with Arabic digits: 2026-01-31."),
        "out_of_range": _("Use a date from 1900-01-01 to 9999-12-30."),
    }

    def get_value(self, dictionary: Any) -> Any:
        # DRF reads "?received_to=" from a query string as "not given" (HTML form manners);
        # for an API it is a date that is not a date.
        if hasattr(dictionary, "getlist") and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)

    def to_internal_value(self, value: Any) -> datetime.date:
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            self.fail("invalid")
        day = super().to_internal_value(value)
        if not self.earliest <= day <= self.latest:
            self.fail("out_of_range")
        return day


class MomentField(serializers.DateTimeField):
    """A date and time with its offset, between 1970 and 9999.

    Earlier moments are refused: before 1920 Bangkok ran on local mean time (+06:42:04), an
    offset that RFC 3339 cannot write, and no letter of this hub is due before 1970 anyway.
    """

    earliest = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    latest = datetime.datetime(9999, 12, 30, tzinfo=datetime.UTC)
    default_error_messages = {
        "out_of_range": _("Use a moment from 1970 to 9999."),
    }

    def to_internal_value(self, value: Any) -> datetime.datetime:
        moment = super().to_internal_value(value)
        if not self.earliest <= moment <= self.latest:
            self.fail("out_of_range")
        return moment
