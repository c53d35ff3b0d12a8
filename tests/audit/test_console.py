"""The audit console and the operations pages, as the auditor, the hub admin and others see them."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import AgencyCertificate, AgencyRole, HubRole, HubRoleName
from audit.models import AuditEvent
from exchange.models import Delivery, DeliveryStatus
from exchange.services.acknowledgements import incoming_letter_register
from exchange.services.outbox import delivery_attempt
from exchange.services.sending import letter_send
from letters.models import Direction, Letter
from tests.conftest import make_user
from tests.exchange.test_delivery_flow import draft_to

SUBJECT = "ขอเชิญประชุมคณะกรรมการตรวจสอบ ครั้งที่ ๔/๒๕๖๙"


@pytest.fixture
def hub_admin(db):
    user = make_user("operator")
    HubRole.objects.create(user=user, role=HubRoleName.HUB_ADMIN)
    return user


@pytest.fixture
def registered(request, etda, soc):
    request.getfixturevalue("hosted")
    alice = make_user("alice", (etda, AgencyRole.CLERK))
    bob = make_user("bob", (soc, AgencyRole.CLERK))
    letter = draft_to(etda, soc, alice, subject=SUBJECT)
    [delivery] = letter_send(letter=letter, actor=alice)
    delivery_attempt(delivery_id=delivery.pk)
    incoming_letter_register(
        letter=Letter.objects.get(agency=soc, direction=Direction.INCOMING), actor=bob
    )
    delivery_attempt(delivery_id=Delivery.objects.get(message_type="registration").pk)
    return letter


PAGES = [
    ("console-events", {}),
    ("console-letter", {"letter_id": "letter"}),
    ("console-evidence", {"letter_id": "letter"}),
    ("console-chain", {}),
    ("console-operations", {}),
]
# Which hub role opens which page (everyone else: 403, anonymous: to the login page).
ALLOWED = {
    "console-events": {"auditor"},
    "console-letter": {"auditor"},
    "console-evidence": {"auditor"},
    "console-chain": {"auditor", "hub_admin"},
    "console-operations": {"auditor", "hub_admin"},
}


@pytest.mark.parametrize(("name", "params"), PAGES)
@pytest.mark.parametrize("persona", ["auditor", "hub_admin", "clerk", "agency_admin", "anonymous"])
def test_who_may_open_each_page(
    client, registered, auditor, hub_admin, etda, name, params, persona
):
    users = {
        "auditor": auditor,
        "hub_admin": hub_admin,
        "clerk": make_user("somchai", (etda, AgencyRole.CLERK)),
        "agency_admin": make_user("admin-etda", (etda, AgencyRole.AGENCY_ADMIN)),
    }
    if persona != "anonymous":
        client.force_login(users[persona])
    kwargs = {key: registered.pk for key in params}

    answer = client.get(reverse(name, kwargs=kwargs))

    if persona == "anonymous":
        assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    elif persona in ALLOWED[name]:
        assert answer.status_code == 200
    else:
        assert answer.status_code == 403


def test_the_auditor_filters_events_and_exports_what_is_shown(client, registered, auditor, etda):
    client.force_login(auditor)

    page = client.get(reverse("console-events"), {"agency": etda.pk, "action": "letters.letter"})
    exported = client.get(
        reverse("console-events"),
        {"agency": etda.pk, "action": "letters.letter", "format": "csv"},
    )

    assert "letters.letter.sent" in page.content.decode()
    assert "exchange.delivery.queued" not in page.content.decode()
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["sequence", "occurred_at", "actor", "agency", "action"]
    assert {row[4] for row in rows[1:]} <= {
        a for a in AuditEvent.objects.values_list("action", flat=True) if a.startswith("letters.")
    }
    assert all(row[3] == "etda" for row in rows[1:])
    assert AuditEvent.objects.filter(action="audit.console.exported").exists()


def test_the_letter_timeline_merges_both_sides(client, registered, auditor):
    client.force_login(auditor)

    page = client.get(reverse("console-letter", args=[registered.pk])).content.decode()

    for expected in (
        "letters.letter.sent",
        "exchange.delivery.registered",
        "hosted → soc",
        "registration from soc",
    ):
        assert expected in page
    assert SUBJECT in page


def test_the_evidence_bundle_downloads_and_verifies_offline(
    client, registered, auditor, django_db_blocker
):
    from audit.evidence.verify import evidence_bundle_verify

    client.force_login(auditor)
    answer = client.get(reverse("console-evidence", args=[registered.pk]))
    data = b"".join(answer.streaming_content)

    assert zipfile.is_zipfile(io.BytesIO(data))
    path = io.BytesIO(data)
    with django_db_blocker.block():
        report = evidence_bundle_verify(path)
    assert any("registration" in statement for statement in report.statements)


def test_the_chain_page_shows_the_verdict(client, registered, hub_admin):
    client.force_login(hub_admin)

    page = client.get(reverse("console-chain")).content.decode()

    assert "verdict-ok" in page


def test_the_hub_admin_redrives_a_failed_delivery_with_a_reason(
    client, registered, hub_admin, auditor
):
    delivery = Delivery.objects.get(letter=registered, message_type="letter")
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, last_error_code="exchange.push_refused_410"
    )
    client.force_login(auditor)
    assert (
        client.post(reverse("console-redrive", args=[delivery.pk]), {"reason": "x"}).status_code
        == 403
    )
    client.force_login(hub_admin)
    page = client.get(reverse("console-operations")).content.decode()
    assert "exchange.push_refused_410" in page

    answer = client.post(
        reverse("console-redrive", args=[delivery.pk]), {"reason": "ผู้รับแก้ไขปลายทางแล้ว"}
    )

    assert answer.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    event = AuditEvent.objects.get(action="exchange.delivery.redriven")
    assert event.after["reason"] == "ผู้รับแก้ไขปลายทางแล้ว"
    assert event.actor_label == "user:operator"


def test_certificates_expiring_within_30_days_are_listed(client, registered, hub_admin, soc):
    AgencyCertificate.objects.filter(agency=soc).update(
        not_after=timezone.now() + datetime.timedelta(days=10)
    )
    client.force_login(hub_admin)

    page = client.get(reverse("console-operations")).content.decode()

    assert "สำนักเลขาธิการคณะรัฐมนตรี (soc, signing)" in page


def test_a_denied_page_is_on_the_record(client, etda):
    clerk = make_user("somchai", (etda, AgencyRole.CLERK))
    client.force_login(clerk)

    assert client.get(reverse("console-events")).status_code == 403

    event = AuditEvent.objects.get(action="audit.access.denied")
    assert event.actor_label == "user:somchai"
    assert event.after["path"] == reverse("console-events")
