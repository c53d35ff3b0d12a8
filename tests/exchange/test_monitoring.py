"""/healthz and /metrics as an operator and Prometheus see them."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from exchange.models import WorkerHeartbeat
from exchange.services.operations import heartbeat_record
from exchange.services.outbox import delivery_attempt
from exchange.services.sending import letter_send
from exchange.tasks import sweep

from .test_delivery_flow import draft_to


def test_healthz_is_unavailable_until_a_worker_has_swept(client, db):
    answer = client.get(reverse("healthz"))

    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "detail": "no heartbeat yet"}

    sweep()  # what beat makes a worker run every 5 s

    answer = client.get(reverse("healthz"))
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_a_stale_heartbeat_is_reported(client, db):
    heartbeat_record()
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - datetime.timedelta(minutes=2))

    answer = client.get(reverse("healthz"))

    assert answer.status_code == 503
    assert answer.json()["checks"]["worker"]["detail"].startswith("last seen 12")


def test_metrics_need_a_token_or_a_hub_role(client, settings, auditor, alice):
    settings.HUB_METRICS_TOKEN = "prometheus-scrape-token-๑๒๓"

    assert client.get(reverse("metrics")).status_code == 403
    wrong = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    client.force_login(alice)  # a clerk
    assert client.get(reverse("metrics")).status_code == 403
    client.force_login(auditor)
    assert client.get(reverse("metrics")).status_code == 200


def test_metrics_count_deliveries_attempts_and_refusals(client, settings, hosted, etda, soc, alice):
    settings.HUB_METRICS_TOKEN = "scrape"
    [delivery] = letter_send(letter=draft_to(etda, soc, alice), actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    client.post(reverse("exchange-inbound"), data=b"<not-an-envelope/>", content_type="text/xml")
    client.post(reverse("exchange-inbound"), data=b"<still-not/>", content_type="text/xml")

    text = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer scrape").content.decode()

    assert 'saraban_deliveries{state="delivered"} 1' in text
    assert 'saraban_deliveries{state="queued"} 0' in text
    assert 'saraban_attempt_duration_seconds_bucket{le="+Inf"} 1' in text
    assert "saraban_attempt_duration_seconds_count 1" in text
    assert "saraban_queue_age_seconds 0.000" in text
    refused = [line for line in text.splitlines() if line.startswith("saraban_inbound_refused")]
    assert refused and refused[0].endswith(" 2")
