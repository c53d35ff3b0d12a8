"""Idempotency-Key on POST: one object per key, the first answer replayed byte for byte."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.utils import timezone

from agencies.models import ApiKey, IdempotencyRecord
from audit.models import AuditEvent
from config.api.idempotency import idempotency_purge
from letters.models import Letter

from . import urls_for_tests
from .conftest import client_with

pytestmark = pytest.mark.urls("tests.api.urls_for_tests")
DRAFTS = "/api/test/drafts"


def post_draft(client, key, subject="ขอเชิญประชุมคณะกรรมการ"):
    return client.post(DRAFTS, {"subject": subject}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_post_twice_creates_one_draft_and_answers_the_same(etda_system, etda):
    first = post_draft(etda_system, "draft-0001")
    second = post_draft(etda_system, "draft-0001")

    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second["Content-Type"] == first["Content-Type"] == "application/json"
    assert second["Location"] == first["Location"]
    assert first["Idempotent-Replayed"] == "false"
    assert second["Idempotent-Replayed"] == "true"
    assert Letter.objects.filter(agency=etda).count() == 1
    assert AuditEvent.objects.filter(action="letters.letter.drafted").count() == 1
    uses = AuditEvent.objects.filter(action="agencies.apikey.used").order_by("id")
    assert [use.after["replayed"] for use in uses] == [False, True]


def test_without_a_key_each_post_is_a_new_request(etda_system, etda):
    etda_system.post(DRAFTS, {"subject": "เรื่องหนึ่ง"}, format="json")
    etda_system.post(DRAFTS, {"subject": "เรื่องหนึ่ง"}, format="json")

    assert Letter.objects.filter(agency=etda).count() == 2


def test_json_spacing_and_key_order_do_not_make_another_request(etda_system, etda):
    body_a = b'{"subject": "\\u0e40\\u0e23\\u0e37\\u0e48\\u0e2d\\u0e07"}'
    body_b = '{ "subject" :"เรื่อง" }'.encode()

    first = etda_system.post(
        DRAFTS, body_a, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    second = etda_system.post(
        DRAFTS, body_b, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"
    assert Letter.objects.filter(agency=etda).count() == 1


def test_the_same_key_with_another_body_is_409(etda_system, etda):
    post_draft(etda_system, "draft-0002", subject="เรื่องแรก")

    response = post_draft(etda_system, "draft-0002", subject="เรื่องอื่น")

    assert response.status_code == 409
    assert response.json()["code"] == "api.idempotency_key_reused"
    assert Letter.objects.filter(agency=etda).count() == 1


def test_the_same_key_on_another_path_is_409(etda_system, etda_key):
    post_draft(etda_system, "shared-key")

    response = etda_system.post(
        f"/api/v1/keys/{etda_key.api_key.prefix}/revoke",
        {"subject": "ขอเชิญประชุมคณะกรรมการ"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="shared-key",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "api.idempotency_key_reused"
    assert ApiKey.objects.get(pk=etda_key.api_key.pk).revoked_at is None


def test_another_agency_using_the_same_key_string_gets_its_own_answer(
    etda_system, soc_system, etda, soc
):
    mine = post_draft(etda_system, "draft-0003")
    theirs = post_draft(soc_system, "draft-0003")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert theirs["Idempotent-Replayed"] == "false"
    assert mine.json()["id"] != theirs.json()["id"]
    assert Letter.objects.filter(agency=etda).count() == 1
    assert Letter.objects.filter(agency=soc).count() == 1


def test_an_error_answer_is_replayed_too(etda_system, etda):
    first = etda_system.post(DRAFTS, {}, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    again = etda_system.post(DRAFTS, {}, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")

    assert first.status_code == again.status_code == 400
    assert first.json()["code"] == "api.validation"
    assert again.content == first.content
    assert again["Content-Type"] == "application/json"
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 256, "ключ", "tab\there"])
def test_a_malformed_key_is_refused(etda_system, etda, key):
    response = post_draft(etda_system, key)

    assert response.status_code == 400
    assert response.json()["code"] == "api.idempotency_key_invalid"
    assert not Letter.objects.exists()


def test_a_request_that_crashed_can_be_retried_with_its_key(etda_key, db):
    urls_for_tests.BrokenView.calls = 0
    client = client_with(etda_key)
    client.raise_request_exception = False

    crashed = client.post("/api/test/broken", {}, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    retried = client.post("/api/test/broken", {}, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")

    assert crashed.status_code == 500
    assert crashed.json()["code"] == "api.server_error"
    assert retried.status_code == 201
    assert retried.json() == {"attempt": 2}
    assert retried["Idempotent-Replayed"] == "false"


def test_multipart_retries_match_despite_new_boundaries(etda_system, etda):
    def upload(content: bytes):
        return etda_system.post(
            "/api/test/upload",
            {"note": "สิ่งที่ส่งมาด้วย", "file": SimpleUploadedFile("a.pdf", content)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, second = upload(b"%PDF-1.7 one"), upload(b"%PDF-1.7 one")
    different = upload(b"%PDF-1.7 two")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"
    assert different.status_code == 409


def test_a_request_still_running_makes_its_twin_retry_later(etda_system, etda):
    post_draft(etda_system, "busy-1")
    # As if the first request had claimed the key a moment ago and were still running.
    IdempotencyRecord.objects.filter(key="busy-1").update(
        state="in_progress", response_status=None, locked_at=timezone.now()
    )

    response = post_draft(etda_system, "busy-1")

    assert response.status_code == 409
    assert response.json()["code"] == "api.idempotency_in_progress"
    assert Letter.objects.filter(agency=etda).count() == 1


def test_a_lock_left_by_a_dead_process_is_taken_over_after_the_timeout(etda_system, etda, settings):
    settings.HUB_IDEMPOTENCY_LOCK_SECONDS = 60
    post_draft(etda_system, "orphan-1")
    record = IdempotencyRecord.objects.get(key="orphan-1")
    # Make it look like a request that died after claiming the key, two minutes ago.
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state="in_progress",
        response_status=None,
        locked_at=timezone.now() - datetime.timedelta(minutes=2),
    )

    retried = post_draft(etda_system, "orphan-1")

    assert retried.status_code == 201
    assert retried["Idempotent-Replayed"] == "false"


def test_records_are_purged_after_their_time_to_live(etda_system, etda, settings):
    settings.HUB_IDEMPOTENCY_TTL_SECONDS = 3600
    post_draft(etda_system, "old-1")
    post_draft(etda_system, "new-1", subject="อีกเรื่อง")
    IdempotencyRecord.objects.filter(key="old-1").update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )

    assert idempotency_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new-1"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one_draft(etda, etda_key):
    """Ten identical posts at the same instant, each on its own database connection.

    On PostgreSQL the losers' inserts wait on the unique index until the winner's commits; on
    SQLite BEGIN IMMEDIATE serialises them. Either way: one draft, and every answer is either
    the winner's (replayed) or "still in progress, retry".
    """
    count = 10
    barrier = threading.Barrier(count)
    responses = [None] * count
    errors = []
    urls_for_tests.hold_drafts.set()
    urls_for_tests.release_drafts.clear()

    def run(index):
        try:
            client = client_with(etda_key)
            barrier.wait(timeout=30)
            if index == count - 1:
                # Let the winner finish only after everyone else has tried.
                threading.Timer(1.0, urls_for_tests.release_drafts.set).start()
            responses[index] = post_draft(client, "race-1")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        urls_for_tests.hold_drafts.clear()
        urls_for_tests.release_drafts.set()

    assert not errors, errors
    assert Letter.objects.filter(agency=etda).count() == 1
    created = [r for r in responses if r.status_code == 201]
    waiting = [r for r in responses if r.status_code == 409]
    assert len(created) + len(waiting) == count
    assert len({r.content for r in created}) == 1
    assert [r["Idempotent-Replayed"] for r in created].count("false") == 1
    assert {r.json()["code"] for r in waiting} <= {"api.idempotency_in_progress"}
    # After the winner is done, a retry gets its answer.
    again = post_draft(client_with(etda_key), "race-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == created[0].content


def test_beat_purges_hourly_through_a_thin_task(settings, db):
    from agencies.tasks import idempotency_purge as task

    schedule = settings.CELERY_BEAT_SCHEDULE["api-idempotency-purge"]
    assert schedule["task"] == "agencies.idempotency_purge"
    assert task() == "purged 0"
