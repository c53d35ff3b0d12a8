"""/healthz: can this node do its job right now? Database, broker, and a worker running beat.

Each check is quick and bounded (the broker connection times out after two seconds); the
answer names every component, so an operator sees which one is down.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from exchange.models import WorkerHeartbeat
from exchange.services.operations import SWEEPER

# The sweeper runs every 5 s; three missed runs mean no worker or no beat.
HEARTBEAT_STALE_AFTER = datetime.timedelta(seconds=15)
BROKER_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def database_check() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return Check("database", False, type(error).__name__)
    return Check("database", True, connection.vendor)


def broker_check() -> Check:
    from config.celery import app

    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            transport = broker.transport_cls
    except Exception as error:
        return Check("broker", False, type(error).__name__)
    return Check("broker", True, str(transport))


def worker_check(now: datetime.datetime | None = None) -> Check:
    now = now or timezone.now()
    beat = WorkerHeartbeat.objects.filter(name=SWEEPER).first()
    if beat is None:
        return Check("worker", False, "no heartbeat yet")
    age = (now - beat.seen_at).total_seconds()
    return Check(
        "worker", age <= HEARTBEAT_STALE_AFTER.total_seconds(), f"last seen {age:.0f} s ago"
    )


def health_checks() -> list[Check]:
    checks = [database_check(), broker_check()]
    if checks[0].ok:
        checks.append(worker_check())
    return checks
