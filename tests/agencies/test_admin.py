"""The Django admin: agency changes are audited; letters and registers are look-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from agencies.models import Agency
from audit.models import AuditEvent
from letters.models import Direction, Letter


@pytest.fixture
def hub_admin(db):
    return User.objects.create_superuser("root", password="root-pw-ผู้ดูแล")


def agency_form(agency: Agency, **changes):
    data = {
        "key": agency.key,
        "name_th": agency.name_th,
        "name_en": agency.name_en,
        "abbreviation": agency.abbreviation,
        "ministry_letter_code": agency.ministry_letter_code,
        "sub_agency_code": agency.sub_agency_code,
        "unit_number": agency.unit_number,
        "ecms_ministry_code": "",
        "ecms_department_code": "",
        "email": "",
        "address": "",
        "is_active": "on",
        "delivery_mode": "hosted",
        "endpoint_url": "",
        "unconfirmed_fields": "[]",
        "register_year_start": "calendar",
    }
    data.update(changes)
    return data


def test_an_agency_changed_in_the_admin_leaves_an_audit_row(client, hub_admin, etda):
    client.force_login(hub_admin)

    response = client.post(
        reverse("admin:agencies_agency_change", args=[etda.pk]),
        agency_form(etda, unit_number="511.05"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="agencies.agency.admin_changed")
    assert (event.before["unit_number"], event.after["unit_number"]) == ("511.04", "511.05")
    assert event.actor_user == hub_admin


def test_push_mode_without_an_endpoint_is_refused_in_the_admin(client, hub_admin, etda):
    client.force_login(hub_admin)

    response = client.post(
        reverse("admin:agencies_agency_change", args=[etda.pk]),
        agency_form(etda, delivery_mode="push"),
    )

    assert response.status_code == 200
    assert Agency.objects.get(pk=etda.pk).delivery_mode == "hosted"
    assert not AuditEvent.objects.filter(action__startswith="agencies.").exists()


def test_letters_and_register_lines_cannot_be_changed_in_the_admin(client, hub_admin, etda):
    letter = Letter.objects.create(
        agency=etda, sender_agency=etda, direction=Direction.OUTGOING, subject="ทดสอบ"
    )
    client.force_login(hub_admin)

    change = client.post(
        reverse("admin:letters_letter_change", args=[letter.pk]), {"subject": "แก้ไข"}
    )

    assert change.status_code == 403
    assert client.get(reverse("admin:letters_registerentry_add")).status_code == 403
    assert Letter.objects.get(pk=letter.pk).subject == "ทดสอบ"
