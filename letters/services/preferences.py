"""A user's display preferences for the clerk UI."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from audit.services import audit_chain_lock, audit_record
from letters.models import DisplayPreference


def display_preference_set(*, user: User, thai_digits: bool) -> DisplayPreference:
    """Record whether the user reads numbers and dates in Thai digits (๐–๙) or 0–9."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        preference, _created = DisplayPreference.objects.select_for_update().get_or_create(
            user=user
        )
        before = preference.thai_digits
        if before != thai_digits or _created:
            preference.thai_digits = thai_digits
            preference.save(update_fields=["thai_digits"])
            audit_record(
                action="letters.display_preference.changed",
                actor=user,
                target=preference,
                before={"thai_digits": before},
                after={"thai_digits": thai_digits},
            )
    return preference
