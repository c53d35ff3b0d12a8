"""Put pip into a virtual environment created with ``--without-pip``.

Debian and Ubuntu ship Python without ``ensurepip`` unless python3-venv is installed, so
``python3 -m venv`` fails on a fresh machine. `make` then creates the environment without pip
and runs this with the environment's interpreter: it fetches the pip wheel from PyPI, checks
its SHA-256 against the index, and lets pip install itself from the wheel.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

INDEX = "https://pypi.org/pypi/pip/json"


def main() -> None:
    with urllib.request.urlopen(INDEX, timeout=60) as response:
        release = json.load(response)
    wheel = next(item for item in release["urls"] if item["filename"].endswith(".whl"))
    # Mirrors may answer with links relative to the index page.
    url = urllib.parse.urljoin(INDEX, wheel["url"])
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310
        data = response.read()
    if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
        raise SystemExit("The downloaded pip wheel does not match PyPI's checksum.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / wheel["filename"]
        path.write_bytes(data)
        # A wheel is importable as a zip: pip can run from its own wheel to install itself.
        subprocess.run(  # noqa: S603
            [sys.executable, f"{path}/pip", "install", "--no-index", str(path)], check=True
        )


if __name__ == "__main__":
    main()
