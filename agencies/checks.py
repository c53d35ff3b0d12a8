"""System checks: catch a malformed key-encryption key at start-up, not at the first signature."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def check_key_encryption_key(**kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse a HUB_KEY_ENCRYPTION_KEY that is not base64 of 32 bytes (unset is allowed here:
    production settings already require it, and a hub without hosted keys never reads it)."""
    from agencies.pki.keystore import master_key_from_setting

    value = getattr(settings, "HUB_KEY_ENCRYPTION_KEY", "")
    if not value:
        return []
    try:
        master_key_from_setting(value)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="agencies.E001")]
    return []
