"""The inbox benchmark must keep running: a tiny fill and a few requests, on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import database_url_for_subprocesses

ROOT = Path(__file__).resolve().parents[2]


def test_the_inbox_benchmark_runs_at_a_tiny_size(on_postgres):
    result = subprocess.run(
        [
            sys.executable, "-m", "bench.inbox",
            "--database-url", database_url_for_subprocesses(),
            "--database", "saraban_bench_inbox_ci",
            "--letters", "2000", "--agencies", "20", "--requests", "5",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["letters"] == 2000
    assert report["busy_agency_incoming"] > 0
    for page in ("inbox", "register_this_month", "thai_search"):
        assert report["pages"][page]["requests"] == 5
        assert report["pages"][page]["p95_ms"] > 0
