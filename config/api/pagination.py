"""Cursor pagination for every list: stable under inserts, and no COUNT(*) over big tables.

A page is ``{"next": url|null, "previous": url|null, "results": [...]}``; clients follow
``next`` and never build cursors. Pages hold ``page_size`` items (default 50, at most 200).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class HubCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Newest first unless the view says otherwise with ``cursor_ordering``.
    ordering = ("-id",)

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> tuple[str, ...]:
        """Use the view's ``cursor_ordering``: the cursor's position is read from its first
        field, so that field should be unique and unchanging (end with "id" when it is not)."""
        ordering = getattr(view, "cursor_ordering", None)
        if ordering:
            return tuple(ordering)
        return tuple(super().get_ordering(request, queryset, view))

    def get_page_size(self, request: Request) -> int:
        """The asked page size, or 400: a typo must not silently give another page size."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        raw = values[-1]
        if len(values) > 1 or not raw.isascii() or not raw.isdigit():
            raise ValidationError({self.page_size_query_param: [_("Give one whole number.")]})
        size = int(raw)
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
