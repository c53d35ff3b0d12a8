"""Start two federated hub nodes on 127.0.0.1 by hand; Ctrl-C stops both.

    .venv/bin/python -m tools.two_nodes [--dir var/two-nodes]

Node A hosts ETDA and DGA, node B hosts SOC (tests/e2e/harness.py). With DATABASE_URL and
CELERY_BROKER_URL set to PostgreSQL and Redis, each node gets its own database and Redis db.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("var/two-nodes"))
    folder = parser.parse_args().dir.resolve()
    if folder.exists():
        # Only ever remove a folder an earlier run made (it holds the federation's PKI).
        if not (folder / "pki" / "ca.pem").exists():
            raise SystemExit(f"{folder} exists and was not made by this tool; choose another --dir")
        shutil.rmtree(folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    django.setup()
    from tests.e2e.harness import two_nodes

    with two_nodes(folder) as nodes:
        for name, node in nodes.items():
            sys.stdout.write(
                f"node {name}: {node.url}  (inbound {node.inbound_url}; files {node.var_dir})\n"
            )
        sys.stdout.write(f"PKI: {folder / 'pki'}\nCtrl-C stops both nodes.\n")
        sys.stdout.flush()
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            sys.stdout.write("stopping\n")


if __name__ == "__main__":
    main()
