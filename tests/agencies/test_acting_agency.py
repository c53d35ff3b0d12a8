"""Users in several agencies switch between them; nobody acts for an agency they are not in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agencies.models import AgencyRole, Membership
from tests.conftest import make_user


@pytest.mark.django_db
def test_a_user_in_two_agencies_switches_and_the_home_page_follows(client, etda, soc):
    dana = make_user("dana", (etda, AgencyRole.CLERK), (soc, AgencyRole.AGENCY_ADMIN))
    client.force_login(dana)

    first = client.get(reverse("home"))
    client.post(reverse("agency-switch"), {"agency": soc.pk})
    second = client.get(reverse("home"))

    assert first.context["agency"] in {etda, soc}
    assert {agency.key for agency in first.context["my_agencies"]} == {"etda", "soc"}
    assert second.context["agency"] == soc
    client.post(reverse("agency-switch"), {"agency": etda.pk})
    assert client.get(reverse("home")).context["agency"] == etda


@pytest.mark.django_db
def test_alice_cannot_switch_to_bobs_agency(client, alice, etda, soc):
    client.force_login(alice)

    response = client.post(reverse("agency-switch"), {"agency": soc.pk}, follow=True)

    assert response.context["agency"] == etda
    assert "ไม่ได้เป็นสมาชิก" in response.content.decode() or response.context["messages"]


@pytest.mark.django_db
def test_a_revoked_membership_takes_effect_on_the_next_request(client, etda, soc):
    dana = make_user("dana", (etda, AgencyRole.CLERK), (soc, AgencyRole.CLERK))
    client.force_login(dana)
    client.post(reverse("agency-switch"), {"agency": soc.pk})

    Membership.objects.filter(user=dana, agency=soc).delete()

    assert client.get(reverse("home")).context["agency"] == etda


@pytest.mark.django_db
def test_switching_is_post_only_and_never_redirects_elsewhere(client, alice, etda):
    client.force_login(alice)

    assert client.get(reverse("agency-switch")).status_code == 405
    response = client.post(
        reverse("agency-switch") + "?next=https://evil.example/", {"agency": etda.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
