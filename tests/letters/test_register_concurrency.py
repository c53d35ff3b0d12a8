"""Many clerks at once: separate database connections racing for the same register.

Each thread has its own Django connection (its own PostgreSQL session), so these tests
exercise the real row lock. They also run on SQLite, where BEGIN IMMEDIATE serialises the
writers; CI runs the suite on both (REQUIRE_POSTGRES makes the PostgreSQL run mandatory).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from letters.models import RegisterEntry, RegisterKind, RegisterSeries
from letters.services.registers import RegisterColumns, register_entry_record

CLERKS = 50


def race(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at the same instant; return the results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def allocate(agency, actor, **kwargs):
    return register_entry_record(
        agency=agency,
        register=RegisterKind.DISPATCH,
        series=kwargs.pop("series", RegisterSeries.NORMAL),
        columns=RegisterColumns(subject="หนังสือเวียนแจ้งหน่วยงานในสังกัด"),
        actor=actor,
        **kwargs,
    )


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_allocations_yield_exactly_one_to_fifty(etda, alice):
    numbers = race(CLERKS, lambda i: allocate(etda, alice).entry.number)

    assert sorted(numbers) == list(range(1, CLERKS + 1))
    stored = sorted(RegisterEntry.objects.filter(agency=etda).values_list("number", flat=True))
    assert stored == list(range(1, CLERKS + 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_series_do_not_disturb_each_other(etda, alice):
    series = [RegisterSeries.NORMAL, RegisterSeries.CIRCULAR, RegisterSeries.SECRET]
    results = race(30, lambda i: allocate(etda, alice, series=series[i % 3]).entry)

    for each in series:
        numbers = sorted(entry.number for entry in results if entry.series == each)
        assert numbers == list(range(1, 11))


@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_form_racing_itself_gets_one_number(etda, alice):
    results = race(10, lambda i: allocate(etda, alice, idempotency_key="compose-42").entry.pk)

    assert len(set(results)) == 1
    assert RegisterEntry.objects.filter(agency=etda).count() == 1


@pytest.mark.django_db(transaction=True)
def test_postgres_really_runs_the_race_on_separate_sessions(on_postgres, etda, alice):
    # Guard against a silently serial test: every thread must have had its own backend.
    pids = race(CLERKS, lambda i: _backend_pid_after_allocation(etda, alice))

    assert len(set(pids)) == CLERKS
    assert connection.vendor == "postgresql"


def _backend_pid_after_allocation(agency, actor) -> int:
    allocate(agency, actor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])
