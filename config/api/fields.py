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

    default_error_messages = {
        "invalid": _("Use an ISO 8601 date in the Common Era with Arabic digits: 2026-01-31.")
    }

    def to_internal_value(self, value: Any) -> datetime.date:
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            self.fail("invalid")
        return super().to_internal_value(value)
