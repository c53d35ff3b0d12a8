"""Cursor pagination for every list: stable under inserts, and no COUNT(*) over big tables.

A page is ``{"next": url|null, "previous": url|null, "results": [...]}``; clients follow
``next`` and never build cursors. Pages hold ``page_size`` items (default 50, at most 200).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
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
