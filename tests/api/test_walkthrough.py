"""docs/api.md's walkthrough, executed as written: the curl version and the Python version.

Each runs against a live server (pytest-django's, on 127.0.0.1) and a real Celery worker, like
`make run`; only the address, the webhook port and the temporary folder are set from outside,
through the variables the walkthrough itself reads (HUB, WEBHOOK_PORT, TMPDIR).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import celery_worker, database_url_for_subprocesses

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- walkthrough: (\w+) -->\n```\w+\n(.*?)\n```", re.S)


def walkthrough() -> dict[str, str]:
    return dict(BLOCK.findall((ROOT / "docs" / "api.md").read_text()))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def hub(live_server, request, tmp_path, settings):
    request.getfixturevalue("hosted_committed")  # ETDA and SOC hosted, with their keys
    database = database_url_for_subprocesses()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database,
        "HUB": live_server.url,
        "WEBHOOK_PORT": str(free_port()),
        "TMPDIR": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    with celery_worker(DATABASE_URL=database):
        yield env


def _run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_blocks_are_there():
    assert set(walkthrough()) == {"keys", "curl", "python"}


def test_the_curl_walkthrough_runs_as_written(hub):
    blocks = walkthrough()

    output = _run(["bash", "-c", blocks["keys"] + "\n" + blocks["curl"]], hub)

    lines = output.strip().splitlines()
    number, receive_number, seen_number, event = lines[0], lines[1], lines[2], lines[-1]
    assert "ดศ" in number  # ETDA's dispatch number, Thai letters and digits
    assert receive_number == seen_number == "1"
    webhook = json.loads(event)
    assert webhook["type"] == "delivery.status_changed"
    assert webhook["data"]["status"] == "registered"
    assert webhook["data"]["receive_number"] == receive_number


def test_the_python_walkthrough_runs_as_written(hub):
    blocks = walkthrough()
    keys = _run(["bash", "-c", blocks["keys"] + '\necho "$ETDA_KEY $SOC_KEY"'], hub)
    etda_key, soc_key = keys.split()

    output = _run(
        [sys.executable, "-c", blocks["python"]], {**hub, "ETDA_KEY": etda_key, "SOC_KEY": soc_key}
    )

    assert "SOC registered it as 1" in output
    assert "ETDA sees receive number 1 and webhook" in output
