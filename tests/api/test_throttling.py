"""Rate limiting per key: HUB_API_RATE requests per period, then 429 with Retry-After."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config.settings.base import cache_settings

ROOT = Path(__file__).resolve().parents[2]


def test_past_the_rate_a_key_gets_429_with_retry_after(etda_system, settings):
    settings.HUB_API_RATE = "2/min"

    answers = [etda_system.get("/api/v1/time") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[2]
    assert refused.json()["code"] == "api.rate_limited"
    retry_after = int(refused["Retry-After"])
    assert 0 < retry_after <= 60
    assert refused.json()["details"] == {"retry_after": retry_after}


def test_each_key_has_its_own_budget(etda_system, soc_system, settings):
    settings.HUB_API_RATE = "1/min"

    assert etda_system.get("/api/v1/time").status_code == 200
    assert etda_system.get("/api/v1/time").status_code == 429
    assert soc_system.get("/api/v1/time").status_code == 200


def test_refused_requests_are_audited_as_uses(etda_system, settings):
    from audit.models import AuditEvent

    settings.HUB_API_RATE = "1/min"
    etda_system.get("/api/v1/time")
    etda_system.get("/api/v1/time")

    statuses = [
        event.after["status"]
        for event in AuditEvent.objects.filter(action="agencies.apikey.used").order_by("id")
    ]
    assert statuses == [200, 429]


def test_the_rate_setting_is_checked_at_start_up():
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings.test"],
        cwd=ROOT,
        env={**os.environ, "HUB_API_RATE": "lots"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "HUB_API_RATE must look like 600/min" in result.stderr


def test_counters_live_in_redis_when_the_broker_is_redis():
    shared = cache_settings("redis://broker.internal:6379/0")
    local = cache_settings("filesystem://")
    explicit = cache_settings("filesystem://", "redis://cache.internal:6379/2")

    assert shared["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shared["default"]["LOCATION"] == "redis://broker.internal:6379/0"
    assert local["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert explicit["default"]["LOCATION"] == "redis://cache.internal:6379/2"
