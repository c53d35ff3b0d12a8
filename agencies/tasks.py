"""Thin Celery wrappers for agencies' periodic housekeeping."""

from __future__ import annotations

from celery import shared_task

from config.api.idempotency import idempotency_purge as purge


@shared_task(name="agencies.idempotency_purge", acks_late=True, ignore_result=True)
def idempotency_purge() -> str:
    """Forget stored answers to POSTs older than HUB_IDEMPOTENCY_TTL_SECONDS (beat, hourly)."""
    return f"purged {purge()}"
