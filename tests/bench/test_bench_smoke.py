"""The benchmark must keep running: a tiny two-node run in a subprocess (CI's guard)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Generous: a busy 2-core machine runs this beside other tests.
TIMEOUT = 300


@pytest.mark.e2e
def test_benchmark_runs_at_a_tiny_size(tmp_path):
    out = tmp_path / "results.json"
    bench = subprocess.Popen(
        [
            sys.executable, "-m", "bench.exchange",
            "--letters", "5", "--big-mb", "2", "--iterations", "5", "--circular", "3",
            "--out", str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        stdout, stderr = bench.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # SIGTERM, not SIGKILL: the bench then stops its two nodes (their own sessions) on the
        # way out, instead of leaving workers behind on the brokers the next tests use.
        bench.terminate()
        stdout, stderr = bench.communicate(timeout=60)
        pytest.fail(f"the benchmark took more than {TIMEOUT} s:\n{stderr[-3000:]}")
    result = subprocess.CompletedProcess(bench.args, bench.returncode, stdout, stderr)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "## Results" in result.stdout
    assert "| ours: XAdES sign |" in result.stdout
    assert "letters/s sustained" in result.stdout
    assert "peak RSS MiB" in result.stdout
    assert "### Circular to 3 agencies hosted on node A" in result.stdout
    assert out.exists()
    circular = json.loads(out.read_text())["circular"]
    assert (circular["done"], circular["by_status"]) == (3, {"delivered": 3})
