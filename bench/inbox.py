"""Inbox at scale: fill PostgreSQL with letters, time the clerk's pages for a busy agency.

    .venv/bin/python -m bench.inbox --database-url postgres://postgres@127.0.0.1:5432/postgres \
        [--letters 1000000] [--agencies 200] [--requests 50] [--keep]

Creates its own database (``--database`` name, default ``saraban_bench_inbox``) on the server
of ``--database-url``, migrates it, loads the letters with COPY, ANALYZEs, then requests the
inbox, the receive register and a Thai search with Django's test client as the busy agency's
clerk, a bounded number of times each, and prints one JSON object (p50/p95/max ms and the
query counts). The database is dropped at the end unless ``--keep``.

The busy agency holds BUSY_SHARE of all letters; the rest are spread over the other agencies.
Half the rows are incoming copies, half outgoing letters; 60 % of incoming copies are
registered (a receive register line each) and every sent letter has its dispatch line.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BUSY_SHARE = 0.10
BATCH = 50_000
SEARCH_WORDS = ("เอกสารหลักฐาน", "งบประมาณ", "ขอเชิญประชุม", "ดิจิทัล", "0335")
PHRASES = (
    "ขอเชิญประชุมคณะทำงาน", "ข้อเสนอการปรับปรุงการออกเอกสารหลักฐานของทางราชการ",
    "ขอความอนุเคราะห์ข้อมูล", "แจ้งผลการพิจารณางบประมาณ", "การพัฒนารัฐบาลดิจิทัล",
    "ขอส่งรายงานผลการดำเนินงาน", "ขอเชิญเข้าร่วมสัมมนา", "แจ้งแนวทางการปฏิบัติ",
    "ขออนุมัติเดินทางไปราชการ", "ขอความร่วมมือตอบแบบสอบถาม", "การจัดซื้อจัดจ้าง",
    "แต่งตั้งคณะกรรมการ", "ประชาสัมพันธ์โครงการ", "ขอยืมตัวเจ้าหน้าที่",
)  # fmt: skip


def _url_with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(_url_with_database(url, "postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _copy(cursor: Any, table: str, columns: list[str], rows: Iterator[list[Any]]) -> int:
    """COPY rows into a table in batches of BATCH (text format, NULL as \\N)."""
    total = 0
    while True:
        buffer = io.StringIO()
        count = 0
        for row in rows:
            buffer.write("\t".join(_text(value) for value in row))
            buffer.write("\n")
            count += 1
            if count == BATCH:
                break
        if not count:
            return total
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        total += count


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def fill(*, letters: int, agencies: int, seed: int = 6) -> dict[str, Any]:
    """Load the agencies (ORM), then letters and register lines (COPY). Return the busy one."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from agencies.models import Agency, AgencyRole, Membership
    from letters.models import Letter, RegisterEntry

    rng = random.Random(seed)
    created = Agency.objects.bulk_create(
        Agency(
            key=f"agency{index:03d}",
            name_th=f"กรมทดสอบที่ {index} กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม",
            name_en=f"Test Department {index}",
            abbreviation=f"ทส.{index}",
            ministry_letter_code="ดศ",
            unit_number=f"{index:04d}",
        )
        for index in range(agencies)
    )
    busy = created[0]
    clerk = User.objects.create_user(username="bench-clerk", password=uuid.uuid4().hex)
    Membership.objects.create(user=clerk, agency=busy, role=AgencyRole.CLERK)
    ids = [agency.pk for agency in created]
    names = {agency.pk: agency.name_th for agency in created}
    now = timezone.now()
    year = timezone.localdate().year
    # The id is included: register lines point at their letter.
    letter_columns = [str(f.column) for f in Letter._meta.concrete_fields]
    entry_columns = [str(f.column) for f in RegisterEntry._meta.concrete_fields]
    entries: list[list[Any]] = []
    counters: dict[tuple[int, str, int], int] = {}

    def holder() -> int:
        return busy.pk if rng.random() < BUSY_SHARE else rng.choice(ids[1:])

    def letter_rows() -> Iterator[list[Any]]:
        for pk in range(1, letters + 1):
            agency = holder()
            incoming = pk % 2 == 0
            sender = rng.choice([i for i in rng.sample(ids, 3) if i != agency] or ids[1:2])
            created_at = now - datetime.timedelta(seconds=rng.randrange(0, 365 * 86400))
            running = rng.randrange(1, 9999)
            subject = f"{rng.choice(PHRASES)} {rng.choice(PHRASES)} ครั้งที่ {pk}"
            status = (
                rng.choices(["received", "registered", "rejected"], [30, 60, 10])[0]
                if incoming
                else rng.choices(["sent", "draft"], [90, 10])[0]
            )
            urgency = rng.choices(["001", "002", "003", "004"], [70, 15, 10, 5])[0]
            values = {
                "id": pk,
                "agency_id": agency,
                "direction": "incoming" if incoming else "outgoing",
                "sender_agency_id": sender if incoming else agency,
                "kind": "external",
                "status": status,
                "ministry_code": "ดศ",
                "sub_agency_code": "",
                "unit_number": f"{agency:04d}",
                "series": "normal",
                "series_mark": "",
                "running_number": running if status != "draft" else None,
                "number_year": created_at.year if status != "draft" else None,
                "number_text": f"ดศ {sender:04d}/{running}" if incoming else "",
                "letter_date": created_at.date(),
                "subject": subject,
                "salutation": "เรียน",
                "addressee": "อธิบดี",
                "body": "",
                "closing": "ขอแสดงความนับถือ",
                "signer_name": "",
                "signer_position": "",
                "owning_unit": "",
                "phone": "",
                "email": "",
                "urgency": urgency,
                "secrecy": "001",
                "urgent_deadline": None,
                "client_token": None,
                "created_by_id": None,
                "created_at": created_at,
                "updated_at": created_at,
            }
            register = (
                "receive" if status == "registered" else "dispatch" if status == "sent" else ""
            )
            if register:
                key = (agency, register, created_at.year)
                counters[key] = counters.get(key, 0) + 1
                entries.append(
                    [
                        _entry_value(
                            column,
                            {
                                "id": len(entries) + 1,
                                "agency_id": agency,
                                "register": register,
                                "series": "normal",
                                "year": created_at.year,
                                "number": counters[key],
                                "revision": 0,
                                "corrects_id": None,
                                "annotation": "",
                                "letter_id": pk,
                                "registered_at": created_at,
                                "letter_number": values["number_text"] or f"ดศ {agency}/{running}",
                                "letter_date": created_at.date(),
                                "from_party": names[sender if incoming else agency],
                                "to_party": names[agency if incoming else sender],
                                "subject": subject,
                                "action_taken": "",
                                "remarks": "",
                                "idempotency_key": None,
                                "created_by_id": None,
                                "created_at": created_at,
                            },
                        )
                        for column in entry_columns
                    ]
                )
            yield [values[column] for column in letter_columns]

    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's cursor, for copy_expert
        loaded = _copy(raw, Letter._meta.db_table, letter_columns, letter_rows())
        lines = _copy(raw, RegisterEntry._meta.db_table, entry_columns, iter(entries))
        for model in (Letter, RegisterEntry):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT MAX(id) FROM {table}))"
            )
        # As autovacuum would after a bulk load: statistics for the planner, and a visibility
        # map so that counts can be answered from the indexes alone.
        cursor.execute("VACUUM ANALYZE")
    return {
        "busy_agency": busy,
        "clerk": clerk,
        "letters": loaded,
        "register_lines": lines,
        "busy_letters": Letter.objects.filter(agency=busy).count(),
        "busy_incoming": Letter.objects.filter(agency=busy, direction="incoming").count(),
        "load_seconds": round(time.perf_counter() - started, 1),
        "year": year,
    }


def _entry_value(column: str, values: dict[str, Any]) -> Any:
    return values[column]


def measure(
    client: Any, path: Callable[[int], str], *, requests: int, warmup: int = 3
) -> dict[str, Any]:
    """Time ``requests`` GETs (after ``warmup``) and count each one's SQL queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for index in range(warmup):
        assert client.get(path(index)).status_code == 200
    samples, queries = [], []
    for index in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path(index))
            samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries.append(len(captured))
    return {
        "requests": requests,
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 0.95), 1),
        "max_ms": round(max(samples), 1),
        "queries": max(queries),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--database", default="saraban_bench_inbox")
    parser.add_argument("--letters", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=200)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    options = parser.parse_args(argv)
    if not options.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must name a PostgreSQL server (postgres://…)")
    if not options.database.replace("_", "").isalnum():
        parser.error("--database must be letters, digits and underscores")

    _admin(options.database_url, f'DROP DATABASE IF EXISTS "{options.database}"')
    _admin(options.database_url, f'CREATE DATABASE "{options.database}"')
    os.environ["DATABASE_URL"] = _url_with_database(options.database_url, options.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    # The test client's host. setup_test_environment() is not used: it instruments every
    # template render to keep a copy of its context, which would be timed as if it were ours.
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    try:
        return _run(options)
    finally:
        from django.db import connections

        connections.close_all()
        if not options.keep:
            _admin(options.database_url, f'DROP DATABASE IF EXISTS "{options.database}"')


def _run(options: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from letters.thai import be_year

    call_command("migrate", verbosity=0)
    filled = fill(letters=options.letters, agencies=options.agencies)
    client = Client()
    client.force_login(filled["clerk"])
    year_be = be_year(filled["year"])
    results = {
        "inbox": measure(client, lambda i: "/inbox/", requests=options.requests),
        "inbox_page_20": measure(client, lambda i: "/inbox/?page=20", requests=options.requests),
        "register_this_month": measure(
            client, lambda i: "/registers/receive/", requests=options.requests
        ),
        "register_one_day": measure(
            client,
            lambda i: f"/registers/receive/?from=1/3/{year_be}&to=1/3/{year_be}",
            requests=options.requests,
        ),
        "thai_search": measure(
            client,
            lambda i: f"/inbox/?q={SEARCH_WORDS[i % len(SEARCH_WORDS)]}",
            requests=options.requests,
        ),
    }
    print(
        json.dumps(
            {
                "letters": filled["letters"],
                "agencies": options.agencies,
                "register_lines": filled["register_lines"],
                "busy_agency_letters": filled["busy_letters"],
                "busy_agency_incoming": filled["busy_incoming"],
                "load_seconds": filled["load_seconds"],
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "pages": results,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
