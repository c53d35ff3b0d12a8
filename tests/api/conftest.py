"""API personas: each hosted agency's system holds a key of its own.

"ETDA's system should never see or touch SOC's things" is the shape of every authorization
test: the same request with ``soc_system`` must answer 404 where ``etda_system`` gets 200.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.test import APIClient

from agencies.models import Agency
from agencies.services import CreatedApiKey, apikey_create
from exchange.models import Delivery, DeliveryStatus, InboundEnvelope
from exchange.services.outbox import delivery_attempt
from exchange.services.sending import letter_send
from letters.models import Letter
from tests.exchange.conftest import hosted, hosted_committed, pki  # noqa: F401  (fixtures, used by name)
from tests.exchange.test_delivery_flow import draft_to


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


# --- Letters that arrive: ETDA sends to SOC, both hosted here, through the real delivery flow
# (letter_send, then the Celery task body delivery_attempt called directly). The PKI and
# `hosted` fixtures are the exchange tests' own, imported so that tests here can name them.


def arrive(etda: Agency, soc: Agency, sender: User, **fields: Any) -> tuple[Delivery, Letter]:
    """ETDA's clerk sends a letter to SOC and it is delivered: return ETDA's delivery and
    SOC's own copy in its inbox."""
    [delivery] = letter_send(letter=draft_to(etda, soc, sender, **fields), actor=sender)
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    inbound = InboundEnvelope.objects.get(message_id=delivery.message_id)
    assert inbound.letter is not None
    return delivery, inbound.letter


def deliver_queued() -> list[str]:
    """Run the outbox once over everything queued (acknowledgements on their way back)."""
    queued = Delivery.objects.filter(status=DeliveryStatus.QUEUED).values_list("pk", flat=True)
    return [delivery_attempt(delivery_id=pk) for pk in queued]


@pytest.fixture
def alice_sends(request: pytest.FixtureRequest, alice: User) -> User:
    """Alice, ETDA's clerk, once both agencies' signing keys are installed (``hosted``)."""
    request.getfixturevalue("hosted")
    return alice


@pytest.fixture
def arrived(alice_sends: User, etda: Agency, soc: Agency) -> tuple[Delivery, Letter]:
    """One ด่วนที่สุด letter from ETDA, delivered into SOC's inbox."""
    return arrive(etda, soc, alice_sends)
