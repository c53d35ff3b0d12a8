"""The whole ladder through a real Celery worker: kicks go over the configured broker."""

from __future__ import annotations

import time

import pytest

from agencies.models import AgencyRole
from exchange.models import Delivery, DeliveryStatus
from exchange.services.acknowledgements import incoming_letter_register
from exchange.services.sending import letter_send
from letters.models import Direction, Letter
from tests.conftest import celery_worker, database_url_for_subprocesses, make_user

from .test_delivery_flow import draft_to


def wait_for(condition, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not get there in time")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_and_carries_the_registration_back(hosted_committed, etda, soc):
    alice = make_user("alice", (etda, AgencyRole.CLERK))
    bob = make_user("bob", (soc, AgencyRole.CLERK))
    letter = draft_to(etda, soc, alice)

    with celery_worker(DATABASE_URL=database_url_for_subprocesses()) as worker:
        [delivery] = letter_send(letter=letter, actor=alice)  # kicks the worker on commit
        wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED)
        copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)

        entry = incoming_letter_register(letter=copy, actor=bob)
        wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.REGISTERED)
        assert worker.poll() is None

    delivery.refresh_from_db()
    assert delivery.receive_number == str(entry.number)
