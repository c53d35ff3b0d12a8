"""Admin changes go through the audit trail like every other change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.db import models, transaction
from django.forms import ModelForm
from django.forms.models import model_to_dict
from django.http import HttpRequest

from .services import audit_record


def _jsonable(instance: models.Model) -> dict[str, Any]:
    return {
        key: value if isinstance(value, (int, bool, type(None))) else str(value)
        for key, value in model_to_dict(instance).items()
    }


class AuditedModelAdmin(admin.ModelAdmin[Any]):
    """Write an audit row, in the same transaction, for every add, change and delete."""

    def _actor(self, request: HttpRequest) -> User | str:
        return request.user if isinstance(request.user, User) else "anonymous"

    def _action(self, obj: models.Model, verb: str) -> str:
        return f"{obj._meta.app_label}.{obj._meta.model_name}.admin_{verb}"

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        with transaction.atomic():
            before = _jsonable(type(obj).objects.get(pk=obj.pk)) if change else None
            super().save_model(request, obj, form, change)
            audit_record(
                action=self._action(obj, "changed" if change else "added"),
                actor=self._actor(request),
                target=obj,
                before=before,
                after=_jsonable(obj),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_record(
                action=self._action(obj, "deleted"),
                actor=self._actor(request),
                target=obj,
                before=_jsonable(obj),
            )
            super().delete_model(request, obj)
