"""Facts operators watch: worker heartbeats and refused inbound envelopes (for /healthz and
/metrics). Each is one small UPDATE-or-INSERT; neither is part of the audit trail."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from exchange.models import InboundRefusal, WorkerHeartbeat

SWEEPER = "sweeper"


def heartbeat_record(name: str = SWEEPER) -> None:
    now = timezone.now()
    if WorkerHeartbeat.objects.filter(name=name).update(seen_at=now):
        return
    try:
        with transaction.atomic():
            WorkerHeartbeat.objects.create(name=name, seen_at=now)
    except IntegrityError:  # another worker created it first
        WorkerHeartbeat.objects.filter(name=name).update(seen_at=now)


def inbound_refusal_count(code: str) -> None:
    now = timezone.now()
    if InboundRefusal.objects.filter(code=code).update(count=F("count") + 1, last_at=now):
        return
    try:
        with transaction.atomic():
            InboundRefusal.objects.create(code=code, count=1, last_at=now)
    except IntegrityError:
        InboundRefusal.objects.filter(code=code).update(count=F("count") + 1, last_at=now)
