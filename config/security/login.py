"""Login throttling: a guessed password costs time, and a hammered account locks for a while.

Failures are counted per username and per client address in Django's cache (Redis in
production, so every web process counts together): after LOCK_AFTER failures for one username
within WINDOW the account refuses logins for LOCK_FOR, even with the right password; one
address gets ADDRESS_LIMIT failures per window whatever usernames it tries. A success clears
the username's count. Every lock is an audit event; each failure already is one
(audit/signals.py).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.context import current_request
from audit.services import audit_record

LOCK_AFTER = 5
ADDRESS_LIMIT = 20
WINDOW_SECONDS = 15 * 60
LOCK_FOR_SECONDS = 15 * 60


def _key(kind: str, value: str) -> str:
    # Hashed: usernames and addresses are not kept in clear in the cache.
    return f"login:{kind}:{hashlib.sha256(value.lower().encode()).hexdigest()[:32]}"


def _bump(key: str) -> int:
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        return 1


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _(
            "Too many failed sign-ins. This account is locked for 15 minutes; ask your agency's "
            "administrator if you cannot wait."
        ),
        "address_limited": _("Too many failed sign-ins from this address. Try again later."),
    }

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username", ""))[:150]
        address = current_request.get().ip or "unknown"
        if cache.get(_key("locked", username)):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        if (cache.get(_key("address", address)) or 0) >= ADDRESS_LIMIT:
            raise forms.ValidationError(
                self.error_messages["address_limited"], code="address_limited"
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            self._failed(username, address)
            raise
        cache.delete(_key("user", username))
        return cleaned

    def _failed(self, username: str, address: str) -> None:
        _bump(_key("address", address))
        if _bump(_key("user", username)) >= LOCK_AFTER:
            cache.set(_key("locked", username), True, LOCK_FOR_SECONDS)
            cache.delete(_key("user", username))
            with transaction.atomic():
                audit_record(
                    action="audit.session.locked_out",
                    actor="anonymous",
                    after={"username": username, "minutes": LOCK_FOR_SECONDS // 60},
                )
