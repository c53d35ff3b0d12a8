"""Receive and dispatch register numbers: gapless, per series and year, immutable."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from agencies.models import Agency, RegisterYearStart
from audit.models import AuditEvent
from letters.errors import (
    IdempotencyConflict,
    RegisterEntryAlreadyCancelled,
    RegisterEntryNotOriginal,
)
from letters.models import (
    RegisterCancellation,
    RegisterCounter,
    RegisterEntry,
    RegisterKind,
    RegisterSeries,
)
from letters.selectors import register_lines
from letters.services.registers import (
    RegisterColumns,
    register_entry_cancel,
    register_entry_correct,
    register_entry_record,
    register_number_allocate,
    register_year,
)

BANGKOK = ZoneInfo("Asia/Bangkok")
PAPER = RegisterColumns(
    letter_number="กค ๐๔๐๖.๒/ว ๑๒๓",
    letter_date=datetime.date(2026, 11, 20),
    from_party="กรมบัญชีกลาง",
    to_party="ผู้อำนวยการสำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์",
    subject="แนวทางปฏิบัติการเบิกจ่ายเงินงบประมาณ ปีงบประมาณ พ.ศ. ๒๕๗๐",
)


def record(agency, actor, **kwargs):
    kwargs.setdefault("register", RegisterKind.RECEIVE)
    kwargs.setdefault("series", RegisterSeries.NORMAL)
    kwargs.setdefault("columns", PAPER)
    return register_entry_record(agency=agency, actor=actor, **kwargs)


def receive_lines_around_today(agency):
    today = datetime.date.today()
    return list(
        register_lines(
            agency=agency,
            register=RegisterKind.RECEIVE,
            date_from=today - datetime.timedelta(days=1),
            date_to=today + datetime.timedelta(days=1),
        )
    )


def at(year, month, day, hour=9, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=BANGKOK)


def test_alice_gets_consecutive_receive_numbers_with_the_columns_and_an_audit_row(etda, alice):
    numbers = [record(etda, alice).entry.number for _ in range(3)]

    assert numbers == [1, 2, 3]
    line = RegisterEntry.objects.get(agency=etda, number=2)
    assert line.subject == PAPER.subject
    assert line.from_party == "กรมบัญชีกลาง"
    assert line.created_by == alice
    assert RegisterCounter.objects.get(agency=etda, register=RegisterKind.RECEIVE).last_number == 3
    events = AuditEvent.objects.filter(action="registers.receive.allocated", agency=etda)
    assert events.count() == 3
    assert events.last().after["number"] == 3
    assert events.last().after["subject"] == PAPER.subject


def test_registers_series_and_agencies_count_independently(etda, soc, alice, bob):
    record(etda, alice)
    record(etda, alice)
    circular = record(etda, alice, register=RegisterKind.DISPATCH, series=RegisterSeries.CIRCULAR)
    secret = record(etda, alice, series=RegisterSeries.SECRET)
    dispatch = record(etda, alice, register=RegisterKind.DISPATCH)
    other_agency = record(soc, bob)

    assert (circular.entry.number, secret.entry.number, dispatch.entry.number) == (1, 1, 1)
    assert other_agency.entry.number == 1
    assert record(etda, alice).entry.number == 3


def test_numbers_restart_at_one_on_first_january_bangkok_time(etda, alice):
    record(etda, alice, registered_at=at(2026, 12, 31, 23, 59))
    last_of_year = record(etda, alice, registered_at=at(2026, 12, 31, 23, 59))
    # 00:05 on 1 January in Bangkok is still 31 December in UTC.
    first_of_year = record(etda, alice, registered_at=at(2027, 1, 1, 0, 5))

    assert (last_of_year.entry.year, last_of_year.entry.number) == (2026, 2)
    assert (first_of_year.entry.year, first_of_year.entry.number) == (2027, 1)
    assert first_of_year.entry.registered_at.astimezone(datetime.UTC).year == 2026


def test_fiscal_year_agency_restarts_on_first_october(etda, alice):
    etda.register_year_start = RegisterYearStart.FISCAL
    etda.save()

    september = record(etda, alice, registered_at=at(2026, 9, 30, 16))
    october = record(etda, alice, registered_at=at(2026, 10, 1, 8))
    january = record(etda, alice, registered_at=at(2027, 1, 4, 8))

    assert (september.entry.year, september.entry.number) == (2026, 1)
    assert (october.entry.year, october.entry.number) == (2027, 1)
    assert (january.entry.year, january.entry.number) == (2027, 2)


@pytest.mark.parametrize(
    ("start", "moment", "year"),
    [
        (RegisterYearStart.CALENDAR, at(2026, 1, 1, 0, 0), 2026),
        (RegisterYearStart.CALENDAR, at(2025, 12, 31, 23, 59), 2025),
        (RegisterYearStart.FISCAL, at(2026, 10, 1, 0, 0), 2027),
        (RegisterYearStart.FISCAL, at(2026, 9, 30, 23, 59), 2026),
    ],
)
def test_register_year_reads_the_bangkok_calendar(start, moment, year):
    assert register_year(agency=Agency(register_year_start=start), moment=moment) == year


def test_a_rolled_back_caller_gives_its_number_back(etda, alice):
    record(etda, alice)
    with pytest.raises(RuntimeError, match="clerk closed the tab"), transaction.atomic():
        register_number_allocate(
            agency=etda,
            register=RegisterKind.RECEIVE,
            series=RegisterSeries.NORMAL,
            columns=PAPER,
            actor=alice,
        )
        raise RuntimeError("clerk closed the tab")

    assert record(etda, alice).entry.number == 2
    assert list(RegisterEntry.objects.values_list("number", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused(etda, alice):
    # The number and what it registers must commit together; see register_number_allocate.
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        register_number_allocate(
            agency=etda,
            register=RegisterKind.RECEIVE,
            series=RegisterSeries.NORMAL,
            columns=PAPER,
            actor=alice,
        )
    assert not RegisterEntry.objects.exists()


def test_the_same_idempotency_key_twice_yields_one_entry(etda, alice):
    first = record(etda, alice, idempotency_key="form-7f3a9c")
    again = record(etda, alice, idempotency_key="form-7f3a9c")

    assert first.created and not again.created
    assert again.entry.pk == first.entry.pk
    assert RegisterEntry.objects.count() == 1
    assert AuditEvent.objects.filter(action="registers.receive.allocated").count() == 1
    assert record(etda, alice, idempotency_key="form-other").entry.number == 2


def test_a_key_reused_for_another_letter_is_a_conflict(etda, alice):
    from letters.models import Direction, Letter

    letter = Letter.objects.create(
        agency=etda, sender_agency=etda, direction=Direction.OUTGOING, subject="ทดสอบ"
    )
    record(etda, alice, idempotency_key="k-1")
    with pytest.raises(IdempotencyConflict) as raised, transaction.atomic():
        register_number_allocate(
            agency=etda,
            register=RegisterKind.RECEIVE,
            series=RegisterSeries.NORMAL,
            columns=PAPER,
            actor=alice,
            letter=letter,
            idempotency_key="k-1",
        )
    assert raised.value.code == "registers.idempotency_conflict"


def test_a_cancelled_number_stays_in_the_register_marked_cancelled(etda, alice):
    first = record(etda, alice).entry
    second = record(etda, alice).entry

    register_entry_cancel(entry=second, reason="ลงรับซ้ำกับเลขรับที่ ๑", actor=alice)
    third = record(etda, alice).entry

    assert third.number == 3
    lines = receive_lines_around_today(etda)
    assert [(line.number, line.is_cancelled) for line in lines] == [
        (first.number, False),
        (2, True),
        (3, False),
    ]
    assert RegisterCancellation.objects.get(entry=second).reason == "ลงรับซ้ำกับเลขรับที่ ๑"
    assert AuditEvent.objects.filter(action="registers.receive.cancelled").count() == 1
    with pytest.raises(RegisterEntryAlreadyCancelled):
        register_entry_cancel(entry=second, reason="อีกครั้ง", actor=alice)


def test_a_correction_is_a_new_annotated_revision_and_the_original_is_kept(etda, alice):
    original = record(etda, alice).entry
    fixed = register_entry_correct(
        entry=original,
        columns=RegisterColumns(**{**PAPER.__dict__, "subject": "แนวทางปฏิบัติ (แก้ไขชื่อเรื่อง)"}),
        annotation="แก้ไขชื่อเรื่องตามหนังสือต้นฉบับ",
        actor=alice,
    )

    assert (fixed.number, fixed.revision, fixed.corrects_id) == (1, 1, original.pk)
    assert RegisterEntry.objects.get(pk=original.pk).subject == PAPER.subject
    lines = receive_lines_around_today(etda)
    assert [(line.number, line.revision, line.subject) for line in lines] == [
        (1, 1, "แนวทางปฏิบัติ (แก้ไขชื่อเรื่อง)")
    ]
    with pytest.raises(RegisterEntryNotOriginal):
        register_entry_correct(entry=fixed, columns=PAPER, annotation="x", actor=alice)
    assert record(etda, alice).entry.number == 2


def test_register_lines_are_immutable_in_the_orm(etda, alice):
    line = record(etda, alice).entry
    line.subject = "เขียนทับ"

    with pytest.raises(TypeError, match="immutable"):
        line.save()
    with pytest.raises(TypeError, match="immutable"):
        RegisterEntry.objects.filter(pk=line.pk).update(subject="เขียนทับ")
    with pytest.raises(TypeError, match="immutable"):
        line.delete()
    with pytest.raises(TypeError, match="immutable"):
        RegisterEntry.objects.all().delete()


def test_register_lines_are_immutable_in_the_database(etda, alice):
    line = record(etda, alice).entry

    with (
        pytest.raises((IntegrityError, DatabaseError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE letters_registerentry SET subject = %s WHERE id = %s", ["เขียนทับ", line.pk]
        )
    assert RegisterEntry.objects.get(pk=line.pk).subject == PAPER.subject
