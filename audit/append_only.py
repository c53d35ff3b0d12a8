"""Rows that are records, not working data: inserted once, never updated or deleted.

Used by the audit trail and the registers. The guard covers the ORM paths (save, delete,
queryset update and delete); database triggers add a second wall where a table needs it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

_Record = TypeVar("_Record", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_Record]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError(f"{self.model.__name__} rows are immutable.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{self.model.__name__} rows are immutable.")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{type(self).__name__} rows are immutable.")
