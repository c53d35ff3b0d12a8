"""The audit trail as a hash chain: links, the database's refusal, audit_verify, checkpoints.

Tampering is done the way an insider with database access would: raw SQL with the table's
append-only trigger switched off for the moment (``tampering``). audit_verify must then name
the first broken event; with the trigger on, the database itself refuses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.chain import GENESIS_HASH, link_hash
from audit.checkpoints import audit_checkpoint_create, certificate_fingerprint
from audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from audit.services import audit_record, chained_fields

TABLE = "audit_auditevent"
TRIGGER = "audit_auditevent_append_only"


def write(count: int, *, agency=None) -> list[AuditEvent]:
    events = []
    for n in range(count):
        with transaction.atomic():
            events.append(
                audit_record(
                    action="letters.letter.registered",
                    actor="system:test",
                    agency=agency,
                    after={"receive_number": f"๑๒{n}", "subject": "ขอเชิญประชุม ครั้งที่ ๑/๒๕๖๙"},
                )
            )
    return events


@contextmanager
def tampering() -> Iterator[None]:
    """Switch the append-only trigger off, as a database superuser could, then on again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Replica mode skips ordinary triggers for this session only.
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute(f"DROP TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")
            else:
                cursor.execute(
                    f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE} "
                    f"BEGIN SELECT RAISE(ABORT, 'rows of {TABLE} are append-only'); END;"
                )


def raw(sql: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def broken(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        verify(*args)
    assert caught.value.returncode == 1
    return str(caught.value)


def test_each_event_links_to_the_previous_one(etda):
    first, second, third = write(3, agency=etda)

    assert [e.sequence for e in (first, second, third)] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    stored = AuditEvent.objects.get(pk=second.pk)  # the hash holds for the row as read back
    assert link_hash(stored.prev_hash, chained_fields(stored)) == stored.hash
    assert AuditChainHead.objects.get().sequence == 3


def test_a_rolled_back_change_leaves_no_gap(db):
    write(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.rolled_back", actor="system:test")
        raise RuntimeError("the change failed")
    write(1)

    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == [1, 2]
    assert "audit chain intact: 2 events" in verify()


def test_the_database_refuses_to_update_an_audit_row(db):
    [event] = write(1)

    with pytest.raises(DatabaseError), transaction.atomic():
        raw("UPDATE audit_auditevent SET action = 'letters.letter.nothing' WHERE id = %s", event.pk)


def test_postgresql_also_refuses_to_delete_an_audit_row(db, on_postgres):
    [event] = write(1)

    with pytest.raises(DatabaseError), transaction.atomic():
        raw("DELETE FROM audit_auditevent WHERE id = %s", event.pk)


def test_an_altered_row_is_named(db):
    events = write(5)

    with tampering():
        raw(
            "UPDATE audit_auditevent SET after = %s WHERE id = %s",
            '{"receive_number": "๙๙๙"}',
            events[2].pk,
        )

    message = broken()
    assert f"altered at sequence 3 (event id {events[2].pk})" in message


def test_a_removed_row_is_named(db):
    events = write(5)

    with tampering():
        raw("DELETE FROM audit_auditevent WHERE id = %s", events[1].pk)

    message = broken()
    assert "removed at sequence 2" in message
    assert f"before event id {events[2].pk}" in message


def test_removing_the_last_row_is_found_from_the_head(db):
    events = write(3)

    with tampering():
        raw("DELETE FROM audit_auditevent WHERE id = %s", events[2].pk)

    assert "removed at sequence 3" in broken()


def test_an_inserted_row_is_named(db):
    events = write(3)
    forged = AuditEvent(
        actor_label="user:mallory",
        action="letters.letter.registered",
        sequence=4,
        prev_hash="f" * 64,
        hash="e" * 64,
        target_type="",
        target_id="",
        request_id="",
    )

    with tampering():
        forged.save()

    message = broken()
    assert f"inserted at sequence 4 (event id {forged.pk})" in message
    assert events[2].sequence == 3


def test_history_rewritten_with_fresh_hashes_is_caught_by_the_signed_checkpoint(db):
    events = write(4)
    checkpoint = audit_checkpoint_create()
    assert checkpoint is not None and checkpoint.sequence == 4
    assert "4 events, 1 checkpoints verified, last checkpoint at #4" in verify()

    # An insider rewrites event 2 and recomputes every later hash and the head: the chain
    # itself is consistent again, only the hub's signature over the old head disagrees.
    with tampering():
        previous = events[0].hash
        for event in AuditEvent.objects.order_by("sequence")[1:]:
            if event.sequence == 2:
                event.after = {"receive_number": "๙๙๙"}
            fields = chained_fields(event)
            new_hash = link_hash(previous, fields)
            raw(
                "UPDATE audit_auditevent SET after = %s, prev_hash = %s, hash = %s WHERE id = %s",
                '{"receive_number": "๙๙๙"}' if event.sequence == 2 else _json(event.after),
                previous,
                new_hash,
                event.pk,
            )
            previous = new_hash
        AuditChainHead.objects.update(hash=previous)

    assert "checkpoint_mismatch at sequence 4" in broken()


def _json(value) -> str:
    import json

    return json.dumps(value)


def test_a_checkpoint_from_another_key_is_refused_when_the_key_is_pinned(db):
    write(2)
    checkpoint = audit_checkpoint_create()
    assert checkpoint is not None
    pinned = certificate_fingerprint(checkpoint.certificate_pem)

    assert "intact" in verify("--expect-key", pinned)
    assert "signed by another key" in broken("--expect-key", "00" * 32)


def test_no_new_checkpoint_without_new_events(db):
    write(1)
    assert audit_checkpoint_create() is not None

    assert audit_checkpoint_create() is None
    assert AuditCheckpoint.objects.count() == 1


def test_concurrent_writers_get_a_gapless_chain_on_postgresql(transactional_db, on_postgres):
    from django.db import connections

    errors: list[BaseException] = []

    def writer() -> None:
        try:
            write(10)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == list(range(1, 81))
    assert "audit chain intact: 80 events" in verify()
