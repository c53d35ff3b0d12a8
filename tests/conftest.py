"""Personas and shared fixtures.

Agencies: ETDA (สพธอ.) and the Secretariat of the Cabinet (สลค.) are hosted here; Charlie
belongs to neither. Alice is ETDA's saraban clerk, Bob is SOC's; "Alice should never see
Bob's letters" is the shape of every tenancy test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from agencies.models import Agency, AgencyRole, HubRole, HubRoleName, Membership


@pytest.fixture(scope="session", autouse=True)
def _required_backends() -> None:
    """Fail instead of skipping when CI asked for PostgreSQL but the suite would not get it."""
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        engine = os.environ.get("DATABASE_URL", "")
        assert engine.startswith(("postgres://", "postgresql://")), "DATABASE_URL is not PG"
        assert connection.vendor == "postgresql"
    if os.environ.get("REQUIRE_REDIS") == "1":
        broker = os.environ.get("CELERY_BROKER_URL", "")
        assert broker.startswith("redis://"), "CELERY_BROKER_URL is not Redis"


def make_agency(key: str, **fields: Any) -> Agency:
    defaults: dict[str, Any] = {
        "name_th": f"หน่วยงาน {key}",
        "ministry_letter_code": "ดศ",
        "unit_number": "0100",
    }
    defaults.update(fields)
    return Agency.objects.create(key=key, **defaults)


@pytest.fixture
def etda(db: None) -> Agency:
    return make_agency(
        "etda",
        name_th="สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์",
        name_en="Electronic Transactions Development Agency",
        abbreviation="สพธอ.",
        ministry_letter_code="ดศ",
        sub_agency_code="สพขอ",
        unit_number="511.04",
    )


@pytest.fixture
def soc(db: None) -> Agency:
    return make_agency(
        "soc",
        name_th="สำนักเลขาธิการคณะรัฐมนตรี",
        name_en="Secretariat of the Cabinet",
        abbreviation="สลค.",
        ministry_letter_code="นร",
        unit_number="0506",
    )


def make_user(username: str, *roles: tuple[Agency, AgencyRole]) -> User:
    user = User.objects.create_user(username=username, password=f"{username}-pw-ทดสอบ")
    for agency, role in roles:
        Membership.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def alice(etda: Agency) -> User:
    """ETDA's saraban clerk."""
    return make_user("alice", (etda, AgencyRole.CLERK))


@pytest.fixture
def bob(soc: Agency) -> User:
    """SOC's saraban clerk."""
    return make_user("bob", (soc, AgencyRole.CLERK))


@pytest.fixture
def charlie(db: None) -> User:
    """Signed in, but a member of no agency."""
    return make_user("charlie")


@pytest.fixture
def auditor(db: None) -> User:
    user = make_user("auditor")
    HubRole.objects.create(user=user, role=HubRoleName.AUDITOR)
    return user


@pytest.fixture
def on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL); CI runs it there")


ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def celery_worker(**env: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run a real Celery worker (solo pool) on the test settings until the block ends.

    The queue is emptied first: every test that sends a letter kicks a task, and a worker
    started late in a run would otherwise work through thousands of stale kicks (each a cheap
    no-op, together minutes) before it reaches this test's own.
    """
    from django.conf import settings

    from config.celery import app

    app.control.purge()
    # A file, not a pipe: nobody reads a pipe while the test runs, and a worker whose pipe
    # fills up (64 KiB of warnings) blocks on its next write and stops working.
    log = (Path(settings.VAR_DIR) / f"celery-worker-{os.getpid()}.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def database_url_for_subprocesses() -> str:
    """The URL of the database this test run uses, for processes the tests start."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    credentials = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return (
        f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        f"/{settings['NAME']}"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (CI runs ``-n 2 --dist loadgroup``), every test that starts a
    Celery worker, a pair of nodes or a browser is marked for one group, to run one after
    another.

    Not to be relied on: pytest-xdist 3.8 groups by renaming ``item._nodeid``, which pytest 9
    no longer reads, so these tests do run at once on both processes. Isolation is by
    resources instead: each process has its own database, broker (config/settings/test.py)
    and pair of e2e node databases (tests/e2e/harness.py)."""
    for item in items:
        if any(item.get_closest_marker(name) for name in ("worker", "e2e", "browser")):
            item.add_marker(pytest.mark.xdist_group("broker"))
