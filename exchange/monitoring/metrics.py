"""/metrics in the Prometheus text format, read from the database at scrape time.

Deliveries by state and the age of the oldest due work are gauges; attempt latency is a
cumulative histogram over all recorded attempts (attempt rows are only ever added); refused
inbound envelopes are counters per error code.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from exchange.models import Delivery, DeliveryAttempt, DeliveryStatus, InboundRefusal

LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics_lines() -> Iterator[str]:
    yield "# HELP saraban_deliveries Deliveries (letters and acknowledgements) by state."
    yield "# TYPE saraban_deliveries gauge"
    counts = dict(Delivery.objects.values_list("status").annotate(n=Count("id")))
    for status in DeliveryStatus.values:
        yield f'saraban_deliveries{{state="{status}"}} {counts.get(status, 0)}'

    now = timezone.now()
    oldest = Delivery.objects.filter(
        status=DeliveryStatus.QUEUED, next_attempt_at__lte=now
    ).aggregate(oldest=Min("next_attempt_at"))["oldest"]
    yield "# HELP saraban_queue_age_seconds How long the longest-waiting due delivery has waited."
    yield "# TYPE saraban_queue_age_seconds gauge"
    yield f"saraban_queue_age_seconds {(now - oldest).total_seconds() if oldest else 0:.3f}"

    finished = DeliveryAttempt.objects.filter(duration_ms__isnull=False)
    buckets = finished.aggregate(
        total=Count("id"),
        total_ms=Sum("duration_ms"),
        **{f"le_{le}": Count("id", filter=Q(duration_ms__lte=le)) for le in LATENCY_BUCKETS_MS},
    )
    total_ms = buckets["total_ms"] or 0
    yield "# HELP saraban_attempt_duration_seconds Time to hand an envelope over, per attempt."
    yield "# TYPE saraban_attempt_duration_seconds histogram"
    for le in LATENCY_BUCKETS_MS:
        yield f'saraban_attempt_duration_seconds_bucket{{le="{le / 1000:g}"}} {buckets[f"le_{le}"]}'
    yield f'saraban_attempt_duration_seconds_bucket{{le="+Inf"}} {buckets["total"]}'
    yield f"saraban_attempt_duration_seconds_sum {total_ms / 1000:.3f}"
    yield f"saraban_attempt_duration_seconds_count {buckets['total']}"

    yield "# HELP saraban_inbound_refused_total Envelopes refused by the inbound endpoint, by code."
    yield "# TYPE saraban_inbound_refused_total counter"
    for code, count in InboundRefusal.objects.order_by("code").values_list("code", "count"):
        yield f'saraban_inbound_refused_total{{code="{_escape(code)}"}} {count}'
