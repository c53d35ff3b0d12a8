"""API personas: each hosted agency's system holds a key of its own.

"ETDA's system should never see or touch SOC's things" is the shape of every authorization
test: the same request with ``soc_system`` must answer 404 where ``etda_system`` gets 200.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.test import APIClient

from agencies.models import Agency
from agencies.services import CreatedApiKey, apikey_create


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters of one test never count against another.

    Only the in-process cache is cleared: a shared Redis is not ours to empty, and keys are
    counted by their random prefix there, so tests cannot collide anyway.
    """
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        backend.clear()
    yield


def api_key_for(agency: Agency, name: str = "e-saraban server") -> CreatedApiKey:
    return apikey_create(agency=agency, name=name, actor="system:test")


@pytest.fixture
def etda_key(etda: Agency) -> CreatedApiKey:
    """ETDA's e-saraban server's key."""
    return api_key_for(etda)


@pytest.fixture
def soc_key(soc: Agency) -> CreatedApiKey:
    """SOC's e-saraban server's key."""
    return api_key_for(soc)


def client_with(key: CreatedApiKey | str | None) -> APIClient:
    client = APIClient()
    if key is not None:
        plaintext = key if isinstance(key, str) else key.plaintext
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def etda_system(etda_key: CreatedApiKey) -> APIClient:
    """ETDA's own e-saraban system calling the API with its key."""
    return client_with(etda_key)


@pytest.fixture
def soc_system(soc_key: CreatedApiKey) -> APIClient:
    """SOC's system: must never reach anything of ETDA's."""
    return client_with(soc_key)


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()
