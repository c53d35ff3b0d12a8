"""Logins and failed logins belong in the audit trail (who tried to get in, from where)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from .services import audit_record


@receiver(user_logged_in)
def record_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        audit_record(action="audit.session.login", actor=user, target=user)


@receiver(user_login_failed)
def record_failed_login(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The password is never stored; the attempted username is, so brute force shows up.
    username = str(credentials.get(get_user_model().USERNAME_FIELD, ""))[:150]
    with transaction.atomic():
        audit_record(
            action="audit.session.login_failed",
            actor="anonymous",
            after={"username": username},
        )
