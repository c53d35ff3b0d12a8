"""inbox_search: Thai substring search that does not depend on word breaks.

These run on whichever database the run uses: SQLite by default (icontains scans), PostgreSQL
with DATABASE_URL (the same icontains, answered from the pg_trgm indexes of migration 0006).
"""

from __future__ import annotations

import pytest
from django.db import connection

from letters.models import Direction, Letter, Urgency
from letters.selectors import InboxFilter, inbox_search
from tests.conftest import make_agency

SUBJECT = "ข้อเสนอในการปรับปรุงการออกเอกสารหลักฐานของทางราชการผ่านระบบดิจิทัล"


@pytest.fixture
def inbox(soc, etda):
    def incoming(subject, sender=etda, **fields):
        return Letter.objects.create(
            agency=soc,
            sender_agency=sender,
            direction=Direction.INCOMING,
            status="received",
            subject=subject,
            **fields,
        )

    return incoming


def subjects(letters) -> list[str]:
    return [letter.subject for letter in letters]


def test_a_word_from_the_middle_of_a_thai_subject_finds_the_letter(inbox, soc):
    inbox(SUBJECT)
    inbox("แจ้งกำหนดการประชุมคณะกรรมการ")

    found = inbox_search(agency=soc, query="เอกสารหลักฐาน")

    assert subjects(found) == [SUBJECT]


def test_the_number_matches_in_thai_or_arabic_digits(inbox, soc):
    inbox(SUBJECT, number_text="ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕")
    inbox("เรื่องอื่น", number_text="ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๖")

    assert subjects(inbox_search(agency=soc, query="0335")) == [SUBJECT]
    assert subjects(inbox_search(agency=soc, query="๐๓๓๕")) == [SUBJECT]
    assert subjects(inbox_search(agency=soc, query="สพขอ) ๕๑๑.๐๔/๐๓๓๕")) == [SUBJECT]


def test_the_sender_is_found_by_any_part_of_its_name(inbox, soc):
    dga = make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล", abbreviation="สพร.")
    inbox("จากสพร.", sender=dga)
    inbox("จากสพธอ.")

    assert subjects(inbox_search(agency=soc, query="รัฐบาลดิจิ")) == ["จากสพร."]
    assert subjects(inbox_search(agency=soc, query="สพร")) == ["จากสพร."]


def test_search_keeps_the_inbox_order_and_filters(inbox, soc):
    inbox("ประชุมเรื่องที่หนึ่ง")
    inbox("ประชุมเรื่องที่สอง", urgency=Urgency.MOST_URGENT)
    inbox("ประชุมเรื่องที่สาม", urgency=Urgency.URGENT)

    found = inbox_search(agency=soc, query="ประชุม")
    narrowed = inbox_search(
        agency=soc, query="ประชุม", where=InboxFilter(urgencies=(Urgency.URGENT,))
    )

    assert subjects(found) == ["ประชุมเรื่องที่สอง", "ประชุมเรื่องที่สาม", "ประชุมเรื่องที่หนึ่ง"]
    assert subjects(narrowed) == ["ประชุมเรื่องที่สาม"]


def test_search_never_crosses_agencies(inbox, soc, etda):
    inbox(SUBJECT)

    assert list(inbox_search(agency=etda, query="เอกสาร")) == []


def test_a_blank_query_is_the_whole_inbox(inbox, soc):
    inbox(SUBJECT)

    assert subjects(inbox_search(agency=soc, query="   ")) == [SUBJECT]


def test_postgres_answers_subject_search_from_the_trigram_index(on_postgres, inbox, soc):
    inbox(SUBJECT)
    query = inbox_search(agency=soc, query="เอกสารหลักฐาน").values("pk")
    sql, _params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'letters_letter'")
        indexes = {row[0] for row in cursor.fetchall()}
        # A tiny table is cheaper to scan; forbid that to see that the index can serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM letters_letter WHERE UPPER(subject::text) LIKE UPPER(%s)",
            ["%เอกสารหลักฐาน%"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert {"letter_subject_trgm", "letter_number_text_trgm"} <= indexes
    assert "letter_subject_trgm" in plan
    assert 'UPPER("letters_letter"."subject"::text) LIKE UPPER(' in sql
