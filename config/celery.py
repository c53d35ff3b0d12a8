"""The Celery application: configured from Django settings (``CELERY_`` names)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("saraban")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping", ignore_result=False, acks_late=True)
def ping() -> str:
    """Answer "pong": lets operators and tests prove a worker consumes the configured broker."""
    return "pong"
