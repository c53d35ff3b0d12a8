"""Two hub nodes on 127.0.0.1, each with its own database, broker, worker and web server.

Node A hosts ETDA and DGA, node B hosts SOC; each knows the other's agencies as push
recipients at the other's inbound endpoint, and trusts one federation CA. Scenarios drive a
node through `manage.py shell -c` (the services), exactly as a clerk's action would.
`python -m tools.two_nodes` starts the same pair by hand (docs/operations.md).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agencies.pki.issuing import issue_certificate, make_ca

ROOT = Path(__file__).resolve().parents[2]
NODE_AGENCIES = {"a": ["etda", "dga"], "b": ["soc"]}
# Served by node B but pulled by the agency's own system, whose key node B never holds.
NODE_PULL_AGENCIES: dict[str, list[str]] = {"a": [], "b": ["opdc"]}
KEY_KINDS = {"etda": "rsa", "soc": "rsa", "dga": "ec", "opdc": "rsa"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_pki(folder: Path) -> None:
    """A federation CA and a key + certificate per agency, as PEM files."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = make_ca("Saraban Federation Test CA")
    (folder / "ca.pem").write_bytes(ca.certificate_pem())
    for key, kind in KEY_KINDS.items():
        issued = issue_certificate(
            ca,
            common_name=f"{key} signer",
            organization=key,
            kind=kind,  # type: ignore[arg-type]
        )
        (folder / f"{key}.cert.pem").write_bytes(issued.certificate_pem())
        (folder / f"{key}.key.pem").write_bytes(issued.private_key_pem())


def _postgres_database(base_url: str, name: str) -> str:
    """Create an empty PostgreSQL database next to the one in base_url; return its URL."""
    import psycopg2

    prefix, _slash, _old = base_url.rpartition("/")
    connection = psycopg2.connect(f"{prefix}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return f"{prefix}/{name}"


def _drop_postgres_database(url: str) -> None:
    import psycopg2

    prefix, _slash, name = url.rpartition("/")
    connection = psycopg2.connect(f"{prefix}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


@dataclass
class Node:
    name: str
    var_dir: Path
    port: int
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # 1: one solo-pool worker process (the default); more: a prefork pool of that many.
    worker_concurrency: int = 1
    # "runserver" (Django's development server) or "gunicorn" (sync workers, web_workers).
    web_server: str = "runserver"
    web_workers: int = 2

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def inbound_url(self) -> str:
        return f"{self.url}/api/v1/exchange/envelopes"

    def manage(self, *args: str, timeout: float = 120, **extra_env: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"node {self.name}: manage.py {args[0]} failed:\n{result.stderr}")
        return result.stdout

    def call(self, action: str, *, call_timeout: float = 120, **arguments: Any) -> Any:
        """Run ``tests.e2e.node_actions.<action>(**arguments)`` inside the node; return its JSON.

        ``call_timeout`` bounds the whole call (seconds), for actions that wait on purpose.
        """
        code = (
            "import json, os; from tests.e2e import node_actions; "
            f"print(json.dumps(node_actions.{action}(**json.loads(os.environ['E2E_ARGUMENTS']))))"
        )
        output = self.manage(
            "shell", "-c", code, timeout=call_timeout, E2E_ARGUMENTS=json.dumps(arguments)
        )
        return json.loads(output.strip().splitlines()[-1])

    def _spawn(self, role: str, *args: str) -> None:
        # Appended, so a restarted process does not erase what happened before it.
        log = (self.var_dir / f"{role}.log").open("ab")
        # A session of its own: stopping or killing the role reaches its children too (the
        # worker's embedded beat), so nothing outlives the test.
        self.processes[role] = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_web(self) -> None:
        if self.web_server == "gunicorn":
            self._spawn(
                "web",
                "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.web_workers),
                "--timeout", "120",
            )  # fmt: skip
        else:
            self._spawn("web", "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                login = f"{self.url}/accounts/login/"  # always http://127.0.0.1
                with urllib.request.urlopen(login, timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"node {self.name} web server did not start")

    def start_worker(self) -> None:
        # -B: the worker runs beat too, so the sweeper re-kicks due and stuck deliveries.
        pool = (
            ["--pool=solo"]
            if self.worker_concurrency <= 1
            else ["--pool=prefork", f"--concurrency={self.worker_concurrency}"]
        )
        self._spawn(
            "worker",
            "-m", "celery", "-A", "config", "worker", "-B", *pool,
            "--loglevel=INFO", "--without-gossip", "--without-mingle",
            "-s", str(self.var_dir / "celerybeat-schedule"),
        )  # fmt: skip

    def stop(self, role: str) -> None:
        process = self.processes.pop(role, None)
        if process is None:
            return
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        _signal_group(process, signal.SIGKILL)  # whatever child is left

    def kill(self, role: str) -> None:
        """kill -9: no clean shutdown, no acknowledgement of the message in hand."""
        process = self.processes.pop(role)
        _signal_group(process, signal.SIGKILL)
        process.wait()

    def flush_broker(self) -> None:
        """Lose every queued kick, as an emptied Redis (or a wiped queue folder) would."""
        url = self.env.get("CELERY_BROKER_URL", "")
        if url.startswith("redis://"):
            import redis

            redis.Redis.from_url(url).flushdb()
            return
        for message in (self.var_dir / "broker" / "queue").glob("*"):
            message.unlink()

    def stop_all(self) -> None:
        for role in list(self.processes):
            self.stop(role)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the process and every child it started (its own session)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def wait_until(check: Any, *, timeout: float = 90.0, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"condition not met in {timeout} s (last: {last!r})")


@contextmanager
def two_nodes(
    base: Path,
    *,
    worker_concurrency: int = 1,
    web_server: str = "runserver",
    **settings: str,
) -> Iterator[dict[str, Node]]:
    """Start node A and node B, configured as a federation; stop and clean up afterwards.

    With the run's broker at redis://…/N (HUB_TEST_BROKER_BASE; 15 when the URL names none or N
    is too small), the pair of the k-th pytest-xdist process (gw<k>) uses Redis databases
    N - 2 - 2k (node A) and N - 3 - 2k (node B): below the test processes' own databases (N,
    N - 1) and apart from the other process's pair. Each is emptied first.

    Apart, not only one after the other: pytest-xdist 3.8's ``loadgroup`` does not take effect
    with pytest 9 (it renames ``item._nodeid``, which pytest 9 no longer reads), so two pairs
    of nodes can run at once; sharing a database, one pair's workers took the other's kicks.
    """
    pki = base / "pki"
    write_pki(pki)
    run_id = uuid.uuid4().hex[:8]
    database_url = os.environ.get("DATABASE_URL", "")
    # The run's URL (the test process's own CELERY_BROKER_URL is already shifted per process).
    broker_url = os.environ.get("HUB_TEST_BROKER_BASE") or os.environ.get("CELERY_BROKER_URL", "")
    pair = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    nodes: dict[str, Node] = {}
    created_databases: list[str] = []
    try:
        for index, name in enumerate(("a", "b")):
            var_dir = base / f"node-{name}"
            var_dir.mkdir(parents=True)
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings.dev",
                "VAR_DIR": str(var_dir),
                "MEDIA_ROOT": str(var_dir / "media"),
                **settings,
            }
            if database_url.startswith(("postgres://", "postgresql://")):
                env["DATABASE_URL"] = _postgres_database(database_url, f"e2e_{run_id}_{name}")
                created_databases.append(env["DATABASE_URL"])
            else:
                env["DATABASE_URL"] = f"sqlite:///{var_dir / 'db.sqlite3'}"
            if broker_url.startswith("redis://"):
                server, _slash, number = broker_url.rstrip("/").rpartition("/")
                if not number.isdigit() or server.endswith(":") or int(number) < 5:
                    server, number = broker_url.rstrip("/"), "15"
                env["CELERY_BROKER_URL"] = f"{server}/{int(number) - 2 - 2 * pair - index}"
                env["CELERY_RESULT_BACKEND"] = env["CELERY_BROKER_URL"]
                import redis

                redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
            else:
                env.pop("CELERY_BROKER_URL", None)
                env.pop("CELERY_RESULT_BACKEND", None)
            nodes[name] = Node(
                name=name,
                var_dir=var_dir,
                port=free_port(),
                env=env,
                worker_concurrency=worker_concurrency,
                web_server=web_server,
            )
        for name, node in nodes.items():
            other = nodes["b" if name == "a" else "a"]
            node.manage("migrate", "--noinput", "-v", "0")
            args = ["node_configure", "--pki-dir", str(pki)]
            for key in NODE_AGENCIES[name]:
                args += ["--hosted", key]
            for key in NODE_PULL_AGENCIES[name]:
                args += ["--pull", key]
            for key in NODE_AGENCIES[other.name] + NODE_PULL_AGENCIES[other.name]:
                args += ["--peer", f"{key}={other.inbound_url}"]
            node.manage(*args)
        for node in nodes.values():
            node.start_web()
            node.start_worker()
        yield nodes
    finally:
        for node in nodes.values():
            node.stop_all()
        for url in created_databases:
            _drop_postgres_database(url)
