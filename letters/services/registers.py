"""Receive and dispatch register numbers: allocation, cancellation and correction.

Allocation happens inside the caller's transaction, under a row lock on the counter
(``SELECT … FOR UPDATE``; on SQLite the whole transaction is serialised by BEGIN IMMEDIATE).
If the caller rolls back, the counter rolls back with it, so no number is ever skipped; while
the caller holds the lock, a second clerk waits and then gets the next number, so none repeats.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from agencies.models import Agency, RegisterYearStart
from audit.services import Actor, audit_chain_lock, audit_record
from letters.errors import (
    IdempotencyConflict,
    RegisterEntryAlreadyCancelled,
    RegisterEntryNotOriginal,
)
from letters.models import (
    Letter,
    RegisterCancellation,
    RegisterCounter,
    RegisterEntry,
    RegisterKind,
    RegisterSeries,
)

# The fiscal year of Thai government starts on 1 October.
FISCAL_YEAR_FIRST_MONTH = 10


@dataclass(frozen=True)
class RegisterColumns:
    """The columns of a register line that describe the letter (ระเบียบฯ แบบที่ 12 และ 13)."""

    letter_number: str = ""
    letter_date: datetime.date | None = None
    from_party: str = ""
    to_party: str = ""
    subject: str = ""
    action_taken: str = ""
    remarks: str = ""


@dataclass(frozen=True)
class Allocation:
    entry: RegisterEntry
    # False when an idempotency key matched an earlier entry and that entry was returned.
    created: bool


def register_year(*, agency: Agency, moment: datetime.datetime) -> int:
    """Return the numbering year that a moment falls in for the agency.

    The year is read on the Bangkok wall clock: a letter registered at 00:30 on 1 January in
    Bangkok is in the new year even though it is still 31 December in UTC.
    """
    local = timezone.localtime(moment)
    if agency.register_year_start == RegisterYearStart.FISCAL:
        return local.year + 1 if local.month >= FISCAL_YEAR_FIRST_MONTH else local.year
    return local.year


def _existing_for_key(
    *, agency: Agency, register: RegisterKind, idempotency_key: str, letter: Letter | None
) -> RegisterEntry | None:
    entry = RegisterEntry.objects.filter(
        agency=agency, register=register, idempotency_key=idempotency_key
    ).first()
    if entry is not None and entry.letter_id != (letter.pk if letter else None):
        raise IdempotencyConflict(details={"idempotency_key": idempotency_key})
    return entry


def register_number_allocate(
    *,
    agency: Agency,
    register: RegisterKind,
    series: RegisterSeries,
    columns: RegisterColumns | Callable[[int], RegisterColumns],
    actor: Actor,
    letter: Letter | None = None,
    registered_at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> Allocation:
    """Give the next number of a register series to a new entry, in the caller's transaction.

    With an idempotency key already used in this register, return that first entry instead
    of a second number (a double-clicked form or a retried API call). ``columns`` may be a
    function of the number, for lines that print their own number (the letter's ที่).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("Allocate register numbers inside the caller's transaction.")
    if idempotency_key:
        existing = _existing_for_key(
            agency=agency, register=register, idempotency_key=idempotency_key, letter=letter
        )
        if existing is not None:
            return Allocation(entry=existing, created=False)

    registered_at = registered_at or timezone.now()
    year = register_year(agency=agency, moment=registered_at)
    scope = {"agency": agency, "register": register, "series": series, "year": year}
    # Create the year's counter if it is the first number of the year; a concurrent creator
    # makes this a no-op (ON CONFLICT DO NOTHING / INSERT OR IGNORE), then both lock the row.
    RegisterCounter.objects.bulk_create([RegisterCounter(**scope)], ignore_conflicts=True)
    counter = RegisterCounter.objects.select_for_update().get(**scope)

    if idempotency_key:
        # Check again under the lock: the first request may have committed while we waited.
        existing = _existing_for_key(
            agency=agency, register=register, idempotency_key=idempotency_key, letter=letter
        )
        if existing is not None:
            return Allocation(entry=existing, created=False)
    try:
        # A savepoint, so that losing an idempotency race (same key, other year or series)
        # undoes our counter step and leaves the caller's transaction usable.
        with transaction.atomic():
            counter.last_number += 1
            counter.save(update_fields=["last_number"])
            described = columns(counter.last_number) if callable(columns) else columns
            entry = RegisterEntry.objects.create(
                **scope,
                number=counter.last_number,
                letter=letter,
                registered_at=registered_at,
                idempotency_key=idempotency_key or None,
                created_by=actor if isinstance(actor, User) else None,
                **asdict(described),
            )
    except IntegrityError:
        counter.refresh_from_db()
        if idempotency_key:
            existing = _existing_for_key(
                agency=agency, register=register, idempotency_key=idempotency_key, letter=letter
            )
            if existing is not None:
                return Allocation(entry=existing, created=False)
        raise
    audit_record(
        action=f"registers.{register}.allocated",
        actor=actor,
        agency=agency,
        target=entry,
        after={
            "series": series,
            "year": year,
            "number": entry.number,
            **_jsonable(described, secret=series == RegisterSeries.SECRET),
        },
    )
    return Allocation(entry=entry, created=True)


def _jsonable(columns: RegisterColumns, *, secret: bool = False) -> dict[str, str]:
    # The subject of a secret-series line stays out of the audit trail, which auditors read
    # across agencies (docs/security.md, "Secret letters").
    return {
        key: "[ลับ]" if secret and key == "subject" else ("" if value is None else str(value))
        for key, value in asdict(columns).items()
    }


def register_entry_record(
    *,
    agency: Agency,
    register: RegisterKind,
    series: RegisterSeries,
    columns: RegisterColumns,
    actor: Actor,
    registered_at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> Allocation:
    """Record a line that no letter in the hub backs (a paper letter handed in at the desk)."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        return register_number_allocate(
            agency=agency,
            register=register,
            series=series,
            columns=columns,
            actor=actor,
            registered_at=registered_at,
            idempotency_key=idempotency_key,
        )


def register_entry_cancel(
    *, entry: RegisterEntry, reason: str, actor: Actor
) -> RegisterCancellation:
    """Mark a number ยกเลิก. The line stays; the number is never handed out again."""
    if entry.revision != 0:
        raise RegisterEntryNotOriginal()
    with transaction.atomic(durable=True):
        audit_chain_lock()
        # Lock the line so two cancellations of the same number queue up.
        locked = RegisterEntry.objects.select_for_update().get(pk=entry.pk)
        if RegisterCancellation.objects.filter(entry=locked).exists():
            raise RegisterEntryAlreadyCancelled()
        cancellation = RegisterCancellation.objects.create(
            entry=locked,
            reason=reason,
            cancelled_by=actor if isinstance(actor, User) else None,
        )
        audit_record(
            action=f"registers.{locked.register}.cancelled",
            actor=actor,
            agency=locked.agency,
            target=locked,
            after={"number": locked.number, "reason": reason},
        )
    return cancellation


def register_entry_correct(
    *, entry: RegisterEntry, columns: RegisterColumns, annotation: str, actor: Actor
) -> RegisterEntry:
    """Add a corrected revision of a line, annotated with why; the original stays as it was."""
    if entry.revision != 0:
        raise RegisterEntryNotOriginal()
    with transaction.atomic(durable=True):
        audit_chain_lock()
        original = RegisterEntry.objects.select_for_update().get(pk=entry.pk)
        latest = RegisterEntry.objects.filter(
            agency=original.agency,
            register=original.register,
            series=original.series,
            year=original.year,
            number=original.number,
        ).aggregate(latest=Max("revision"))["latest"]
        correction = RegisterEntry.objects.create(
            agency=original.agency,
            register=original.register,
            series=original.series,
            year=original.year,
            number=original.number,
            revision=latest + 1,
            corrects=original,
            annotation=annotation,
            letter=original.letter,
            registered_at=original.registered_at,
            created_by=actor if isinstance(actor, User) else None,
            **asdict(columns),
        )
        audit_record(
            action=f"registers.{original.register}.corrected",
            actor=actor,
            agency=original.agency,
            target=correction,
            before={"revision": latest},
            after={
                "revision": correction.revision,
                "annotation": annotation,
                **_jsonable(columns, secret=original.series == RegisterSeries.SECRET),
            },
        )
    return correction
