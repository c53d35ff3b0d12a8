"""Periodic work of the audit trail (scheduled by beat: config/settings/base.py)."""

from __future__ import annotations

from celery import shared_task

from .checkpoints import audit_checkpoint_create


@shared_task(name="audit.checkpoint", ignore_result=True)
def checkpoint() -> str:
    made = audit_checkpoint_create()
    return f"checkpoint at #{made.sequence}" if made is not None else "unchanged"
