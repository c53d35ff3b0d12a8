"""The verification policy of this deployment, from settings (docs/operations.md)."""

from __future__ import annotations

import datetime

from django.conf import settings

from exchange.envelope import VerificationPolicy


def verification_policy() -> VerificationPolicy:
    """Return the frozen policy with this deployment's limits; algorithms are not settings."""
    return VerificationPolicy(
        max_bytes=settings.HUB_ENVELOPE_MAX_BYTES,
        max_depth=settings.HUB_ENVELOPE_MAX_DEPTH,
        clock_skew=datetime.timedelta(seconds=settings.HUB_ENVELOPE_CLOCK_SKEW_SECONDS),
    )
