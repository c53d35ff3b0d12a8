"""Chaos between two nodes: nothing is lost, nothing arrives twice, the audit trail agrees.

Each scenario ends with the same reconciliation: every letter sent is in exactly one inbox
copy at the recipient, every delivery is terminal (delivered), and there is exactly one
"delivered" audit row per delivery and one "received" row per copy.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from exchange.envelope import (
    DistributionEntry,
    Envelope,
    Header,
    LetterData,
    LetterNumberData,
    MessageType,
    Party,
    envelope_sign,
)

from .harness import Node, two_nodes, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.worker]
LETTERS = 200


@pytest.fixture(scope="module")
def nodes(tmp_path_factory) -> Iterator[dict[str, Node]]:
    # Short lease and breaker so that recovery is observed in seconds, not minutes.
    with two_nodes(
        tmp_path_factory.mktemp("chaos"),
        HUB_DELIVERY_LEASE_SECONDS="8",
        HUB_BREAKER_COOLDOWN_SECONDS="3",
        HUB_BACKOFF_CAP_SECONDS="10",
    ) as pair:
        yield pair


def reconcile(a: Node, b: Node, prefix: str, count: int) -> dict[str, Any]:
    outbox = wait_until(
        lambda: (
            (o := a.call("outbox_summary", prefix=prefix))["statuses"] == {"delivered": count} and o
        ),
        timeout=240,
        every=2,
    )
    inbox = b.call("inbox_summary", agency="soc", prefix=prefix)
    summary: dict[str, Any] = outbox
    assert inbox == {"copies": count, "distinct": count, "received_events": count}
    assert outbox["delivered_events"] == count
    assert outbox["delivered_event_targets"] == count
    return summary


def test_killing_the_worker_mid_delivery_loses_nothing(nodes):
    a, b = nodes["a"], nodes["b"]
    prefix = "ทดสอบ kill -9"
    a.call("send_many", count=LETTERS, prefix=prefix)
    wait_until(
        lambda: a.call("outbox_summary", prefix=prefix)["statuses"].get("delivered", 0) >= 20,
        every=0.5,
    )

    a.kill("worker")
    a.start_worker()

    reconcile(a, b, prefix, LETTERS)


def test_an_emptied_broker_loses_nothing(nodes):
    a, b = nodes["a"], nodes["b"]
    prefix = "ทดสอบ broker ว่าง"
    a.stop("worker")
    a.call("send_many", count=LETTERS, prefix=prefix)  # 200 kicks wait in the broker

    a.flush_broker()
    a.start_worker()  # only the sweeper, reading the database, can find them now

    reconcile(a, b, prefix, LETTERS)


def test_a_recipient_node_down_for_a_while_gets_everything_after_back_off(nodes):
    a, b = nodes["a"], nodes["b"]
    prefix = "ทดสอบ ปลายทางปิด"
    b.stop("web")
    a.call("send_many", count=20, prefix=prefix)
    wait_until(lambda: a.call("outbox_summary", prefix=prefix)["failed_attempts"] >= 5)
    time.sleep(4)

    b.start_web()

    outbox = reconcile(a, b, prefix, 20)
    assert outbox["failed_attempts"] >= 5
    assert outbox["max_attempts"] >= 2  # retried with back-off, not given up


def _fresh_envelope(pki_dir: Path, subject: str) -> bytes:
    """A letter envelope signed with ETDA's federation key, as another system would send it."""
    key = load_pem_private_key((pki_dir / "etda.key.pem").read_bytes(), password=None)
    certificate = x509.load_pem_x509_certificate((pki_dir / "etda.cert.pem").read_bytes())
    etda = Party("etda", "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์")
    soc = Party("soc", "สำนักเลขาธิการคณะรัฐมนตรี")
    envelope = Envelope(
        header=Header(
            message_id=str(uuid.uuid4()),
            message_type=MessageType.LETTER,
            created_at=datetime.datetime.now(datetime.UTC),
            sender=etda,
            recipient=soc,
            conversation_id=str(uuid.uuid4()),
        ),
        letter=LetterData(
            kind="external",
            number=LetterNumberData(
                "ดศ", "511.04", 999, sub_agency_code="สพขอ", text="ดศ (สพขอ) ๕๑๑.๐๔/๐๙๙๙"
            ),
            date=datetime.date(2026, 11, 29),
            subject=subject,
            urgency="004",
            secrecy="001",
            distribution=(DistributionEntry(party=soc),),
        ),
    )
    return envelope_sign(envelope, key=key, certificate=certificate)  # type: ignore[arg-type]


def test_the_same_envelope_posted_twice_at_once_is_filed_once(nodes):
    b = nodes["b"]
    subject = "ทดสอบ ส่งซ้ำพร้อมกัน"
    data = _fresh_envelope(b.var_dir.parent / "pki", subject)
    answers: list[tuple[int, bytes]] = []
    barrier = threading.Barrier(2)

    def post() -> None:
        request = urllib.request.Request(  # noqa: S310 (the node on 127.0.0.1)
            b.inbound_url, data=data, headers={"Content-Type": "application/xml"}
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                answers.append((answer.status, answer.read()))
        except urllib.error.HTTPError as error:
            answers.append((error.code, error.read()))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _ in answers] == [200, 200], answers
    assert answers[0][1] == answers[1][1]  # the identical receipt bytes
    assert hashlib.sha256(data).hexdigest().encode() in answers[0][1]
    assert b.call("inbox_summary", agency="soc", prefix=subject)["copies"] == 1
