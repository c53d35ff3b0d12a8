"""The same form posted several times at the same instant (a double click on a slow line, a
browser retry): separate connections racing, one object in the end."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import AgencyRole
from exchange.envelope import MessageType
from exchange.models import Delivery
from letters.models import Assignment, Endorsement, RegisterEntry
from tests.conftest import make_user
from tests.letters.test_register_concurrency import race

from .conftest import send_letter

TWINS = 4


@pytest.fixture
def arrived(hosted_committed, etda, soc):
    alice = make_user("alice", (etda, AgencyRole.CLERK))
    return send_letter(etda, soc, alice)


@pytest.fixture
def bob(soc):
    return make_user("bob", (soc, AgencyRole.CLERK))


def post_as(user, url, data=None):
    client = Client()
    client.force_login(user)
    return client.post(url, data or {}).status_code


@pytest.mark.django_db(transaction=True)
def test_racing_registrations_give_one_number_and_one_acknowledgement(arrived, bob):
    url = reverse("letter-register", args=[arrived.pk])

    statuses = race(TWINS, lambda _: post_as(bob, url))

    assert statuses == [302] * TWINS
    assert RegisterEntry.objects.filter(letter=arrived).count() == 1
    assert Delivery.objects.filter(message_type=MessageType.REGISTRATION.value).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_endorsements_and_assignments_with_one_token_keep_one_row(arrived, bob, soc):
    endorse = reverse("letter-endorse", args=[arrived.pk])
    assign = reverse("letter-assign", args=[arrived.pk])
    colleague = make_user("chai", (soc, AgencyRole.CLERK))

    race(TWINS, lambda _: post_as(bob, endorse, {"text": "ทราบ", "form_token": "d" * 32}))
    race(
        TWINS,
        lambda _: post_as(bob, assign, {"assignee": colleague.pk, "form_token": "e" * 32}),
    )

    assert Endorsement.objects.filter(letter=arrived).count() == 1
    assert Assignment.objects.filter(letter=arrived).count() == 1
