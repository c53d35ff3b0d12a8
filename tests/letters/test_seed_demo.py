"""Demo data: idempotent, printed logins, and never in production."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from agencies.models import Membership
from audit.models import AuditEvent
from letters.models import Letter, LetterStatus, Urgency


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seeding_twice_creates_everything_once(settings):
    settings.DEBUG = True
    output = seed()
    counts = (User.objects.count(), Membership.objects.count(), Letter.objects.count())
    events = AuditEvent.objects.count()

    again = seed()

    assert (User.objects.count(), Membership.objects.count(), Letter.objects.count()) == counts
    assert AuditEvent.objects.count() == events
    assert "etda" in output and "etda-demo-2569" in output
    assert again.count("demo-2569") == output.count("demo-2569")


@pytest.mark.django_db
def test_the_sample_letter_is_a_draft_of_etda_to_the_cabinet_secretariat(settings):
    settings.DEBUG = True
    seed()

    letter = Letter.objects.get()
    assert letter.agency.abbreviation == "สพธอ."
    assert letter.status == LetterStatus.DRAFT
    assert letter.urgency == Urgency.MOST_URGENT
    assert (letter.ministry_code, letter.sub_agency_code, letter.unit_number) == (
        "ดศ",
        "สพขอ",
        "511.04",
    )
    assert letter.signer_position.startswith("รองผู้อำนวยการ ปฏิบัติหน้าที่แทน")
    assert [r.agency.abbreviation for r in letter.recipients.all()] == ["สลค."]
    assert [r.number_text for r in letter.references.all()] == ["นร ๐๕๐๖/ว(ล) ๑๑๕๖๑"]


@pytest.mark.django_db
def test_seeding_is_refused_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not User.objects.exists()
