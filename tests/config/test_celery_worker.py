"""A real Celery worker consumes the configured broker: filesystem by default, Redis in CI."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app, ping
from tests.conftest import celery_worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker() -> Iterator[subprocess.Popen[bytes]]:
    with celery_worker() as process:
        yield process


@pytest.mark.worker
def test_a_real_worker_answers_ping_through_the_configured_broker(worker):
    result = ping.delay()

    assert result.get(timeout=60) == "pong"
    assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""


def test_celery_settings_keep_delivery_safe_when_a_worker_dies():
    # Late acks + reject on worker loss + prefetch 1: a killed worker's task is redelivered,
    # and the hard limit stays under the visibility timeout so no live task is redelivered.
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    visibility = app.conf.broker_transport_options.get("visibility_timeout", 3600)
    assert app.conf.task_time_limit < visibility
    assert app.conf.broker_url == getattr(settings, "CELERY_BROKER_URL")  # noqa: B009
