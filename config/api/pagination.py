"""Cursor pagination for every list: stable under inserts, and no COUNT(*) over big tables.

A page is ``{"next": url|null, "previous": url|null, "results": [...]}``; clients follow
``next`` and never build cursors. Pages hold ``page_size`` items (default 50, at most 200).
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.pagination import CursorPagination, _reverse_ordering
from rest_framework.request import Request
from rest_framework.views import APIView


class HubCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Newest first unless the view says otherwise with ``cursor_ordering``.
    ordering: tuple[str, ...] = ("-id",)

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
            raise ApiValidationError({self.page_size_query_param: [_("Give one whole number.")]})
        size = int(raw)
        if not 1 <= size <= self.max_page_size:
            raise ApiValidationError(
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


class KeysetCursorPagination(HubCursorPagination):
    """Cursor pagination over every field of ``cursor_ordering``, not just the first.

    DRF's cursor keeps the first ordering field's value and an offset past the rows that share
    it, capped at ``offset_cutoff`` (1000). An order whose first field repeats a lot (the
    inbox: urgency first, so every ปกติ letter ties) would page by offset, and past 1000 ties
    would loop. Here the cursor holds the last row's value of *each* field and the next page
    is the rows after it in that order (``(a, b, id) > (x, y, z)`` written out as ORs), so
    offsets stay 0 and a page costs one indexed range read whatever its depth.

    The ordering must end in a unique field (``id``) and its fields must not be NULL.
    """

    def _get_position_from_instance(self, instance: Any, ordering: Sequence[str]) -> str:
        values = [_plain(_field_value(instance, field.lstrip("-"))) for field in ordering]
        return json.dumps(values, separators=(",", ":"))

    def paginate_queryset(
        self,
        queryset: QuerySet[Any, Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        # DRF's algorithm with the position filter replaced by the keyset comparison; with a
        # unique position per row, its offset bookkeeping never produces an offset.
        assert isinstance(queryset, QuerySet), "keyset pagination needs a queryset"
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        self.page_size = page_size
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        offset, reverse = (self.cursor.offset, self.cursor.reverse) if self.cursor else (0, False)
        # DRF keeps the position as the text it decoded (its stubs say int).
        position = None if self.cursor is None else self.cursor.position
        current = None if position is None else str(position)
        queryset = queryset.order_by(
            *(_reverse_ordering(self.ordering) if reverse else self.ordering)
        )
        if current is not None:
            try:
                queryset = queryset.filter(self._after(current, reverse=reverse))
                results = list(queryset[offset : offset + page_size + 1])
            except (ValidationError, ValueError, TypeError) as exc:
                # A cursor whose values do not fit the fields was not made here.
                raise NotFound(self.invalid_cursor_message) from exc
        else:
            results = list(queryset[offset : offset + page_size + 1])
        self.page = results[:page_size]
        following = (
            self._get_position_from_instance(results[-1], self.ordering)
            if len(results) > len(self.page)
            else None
        )
        if reverse:
            self.page = list(reversed(self.page))
            self.has_next = current is not None or offset > 0
            self.has_previous = following is not None
            self.next_position = current
            self.previous_position = following
        else:
            self.has_next = following is not None
            self.has_previous = current is not None or offset > 0
            self.next_position = following
            self.previous_position = current
        return self.page

    def _after(self, position: str, *, reverse: bool) -> Q:
        """Rows strictly after ``position`` in the page's direction of travel."""
        try:
            values = json.loads(position)
        except ValueError as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        if not isinstance(values, list) or len(values) != len(self.ordering):
            raise NotFound(self.invalid_cursor_message)
        after = Q()
        equal: dict[str, Any] = {}
        for field, value in zip(self.ordering, values, strict=True):
            name = field.lstrip("-")
            descending = field.startswith("-") != reverse
            after |= Q(**equal, **{f"{name}__{'lt' if descending else 'gt'}": value})
            equal[name] = value
        return after


def _field_value(instance: Any, name: str) -> Any:
    return instance[name] if isinstance(instance, dict) else getattr(instance, name)


def _plain(value: Any) -> Any:
    """A JSON value that filters back to the same database value (full microseconds)."""
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    return value
