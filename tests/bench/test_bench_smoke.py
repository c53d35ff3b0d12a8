"""The benchmark must keep running: a tiny two-node run in a subprocess (CI's guard)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_benchmark_runs_at_a_tiny_size(tmp_path):
    out = tmp_path / "results.json"
    result = subprocess.run(
        [
            sys.executable, "-m", "bench.exchange",
            "--letters", "5", "--big-mb", "2", "--iterations", "5", "--circular", "3",
            "--out", str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "## Results" in result.stdout
    assert "| ours: XAdES sign |" in result.stdout
    assert "letters/s sustained" in result.stdout
    assert "peak RSS MiB" in result.stdout
    assert "### Circular to 3 agencies hosted on node A" in result.stdout
    assert out.exists()
    circular = json.loads(out.read_text())["circular"]
    assert (circular["done"], circular["by_status"]) == (3, {"delivered": 3})
