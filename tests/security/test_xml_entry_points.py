"""Every hostile document of the corpus, posted to every XML entry point over HTTP.

Each must be refused with a 4xx and a stable code, within a second, without opening a
connection (a listener counts requests) and without reading a file (a FIFO whose opening for
reading a watcher would notice). Nothing may be stored either.
"""

from __future__ import annotations

import http.server
import io
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import reverse

from exchange.envelope import envelope_sign
from exchange.models import Delivery, InboundEnvelope
from letters.models import Letter
from tests.exchange.conftest import hosted, letter_envelope, pki  # noqa: F401  (fixtures)

from .corpus import CORPUS, Bait

SECOND = 1.0


@dataclass
class Traps:
    bait: Bait
    requests: list[str] = field(default_factory=list)
    fifo_opened: list[float] = field(default_factory=list)


@pytest.fixture(scope="module")
def traps() -> Iterator[Traps]:
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leak "leaked">')

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    folder = tempfile.mkdtemp(prefix="xml-traps-")
    fifo = os.path.join(folder, "secret-ลับ.txt")
    os.mkfifo(fifo)
    opened: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        # Opening a FIFO for writing without blocking succeeds only while someone has it open
        # for reading: that someone would be a parser following a file reference.
        while not stop.is_set():
            try:
                descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.001)
                continue
            opened.append(time.monotonic())
            os.close(descriptor)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield Traps(
            bait=Bait(url=f"http://127.0.0.1:{server.server_address[1]}", fifo=fifo),
            requests=requests,
            fifo_opened=opened,
        )
    finally:
        stop.set()
        watcher.join(timeout=5)
        server.shutdown()
        server.server_close()
        os.unlink(fifo)
        os.rmdir(folder)


def _inbound_xml(client: Client, data: bytes):
    return client.post(reverse("exchange-inbound"), data=data, content_type="application/xml")


def _inbound_multipart(client: Client, data: bytes):
    return client.post(reverse("exchange-inbound"), data={"envelope": io.BytesIO(data)})


ENTRY_POINTS: dict[str, Callable[..., object]] = {
    "inbound application/xml": _inbound_xml,
    "inbound multipart": _inbound_multipart,
}


@pytest.fixture
def good(request, db, pki) -> bytes:  # noqa: F811
    request.getfixturevalue("hosted")  # ETDA and SOC known here, with their certificates
    return envelope_sign(
        letter_envelope(), key=pki.etda.private_key, certificate=pki.etda.certificate
    )


def test_the_traps_really_catch_a_fetch_and_a_file_read(traps):
    """Without this, "nothing arrived" would prove nothing."""
    import urllib.request

    with urllib.request.urlopen(f"{traps.bait.url}/probe", timeout=5) as answer:  # noqa: S310
        assert answer.status == 200
    descriptor = os.open(traps.bait.fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        deadline = time.monotonic() + 5
        while not traps.fifo_opened and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        os.close(descriptor)
    assert traps.requests == ["/probe"]
    assert traps.fifo_opened
    traps.requests.clear()
    traps.fifo_opened.clear()


def test_the_corpus_is_big_enough_and_the_good_envelope_is_accepted(good, client):
    assert len(CORPUS) >= 40
    assert len({name for name, _build, _prefix in CORPUS}) == len(CORPUS)
    assert _inbound_xml(client, good).status_code == 200  # the baseline really works


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize(("name", "build", "prefix"), CORPUS, ids=[c[0] for c in CORPUS])
def test_a_hostile_document_is_refused_quickly_without_side_effects(
    good, client, traps, entry, name, build, prefix
):
    hostile = build(good, traps.bait)

    # CPU time of this process (the test client runs the hub in-process): what the document
    # costs the hub, whatever else the machine is doing; the wall clock only as a loose bound.
    started, cpu_started = time.monotonic(), time.process_time()
    answer = ENTRY_POINTS[entry](client, hostile)
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_started

    assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.content[:300])
    body = answer.json()
    assert body["code"].startswith(prefix), body
    assert body["message"]
    assert cpu < SECOND, f"{name} took {cpu:.2f} s of CPU"
    assert elapsed < 10 * SECOND, f"{name} took {elapsed:.2f} s"
    assert traps.requests == [], f"{name} made the hub fetch {traps.requests}"
    assert traps.fifo_opened == [], f"{name} made the hub open a file"
    assert not InboundEnvelope.objects.exists()
    assert not Letter.objects.filter(direction="incoming").exists()
    assert not Delivery.objects.exists()
