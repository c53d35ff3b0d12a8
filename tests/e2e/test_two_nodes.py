"""Acceptance across two hub nodes: letters cross, and every step comes back signed.

Each node has its own database, broker, worker (with beat) and web server on 127.0.0.1; they
know each other only through the directory (push endpoints) and a shared CA.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Node, two_nodes, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory) -> Iterator[dict[str, Node]]:
    with two_nodes(tmp_path_factory.mktemp("federation")) as pair:
        yield pair


def deliveries(node: Node, letter_id: int) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = node.call("progress", letter_id=letter_id)["deliveries"]
    return rows


def test_a_letter_from_node_a_is_registered_on_node_b_and_a_sees_the_number(nodes):
    a, b = nodes["a"], nodes["b"]
    subject = "ขอเชิญประชุมคณะทำงานรับส่งหนังสือราชการอิเล็กทรอนิกส์ ครั้งที่ ๑"

    sent = a.call("send", sender="etda", recipients=["soc"], subject=subject)
    wait_until(lambda: deliveries(a, sent["letter"])["soc"][0] == "delivered")
    [copy] = b.call("inbox", agency="soc", subject=subject)
    assert copy["status"] == "received"
    assert copy["number"] == sent["number"]
    assert copy["files"] == [len("%PDF-1.4 หนังสือเชิญประชุม".encode())]

    registered = b.call("register", letter_id=copy["id"])
    status = wait_until(
        lambda: (row := deliveries(a, sent["letter"])["soc"])[0] == "registered" and row
    )
    assert status[1] == registered["receive_number"]


@pytest.mark.parametrize(
    ("refusal", "expected"),
    [("rejected", "rejected"), ("wrong_recipient", "wrong_recipient")],
)
def test_node_b_refuses_and_node_a_sees_why(nodes, refusal, expected):
    a, b = nodes["a"], nodes["b"]
    subject = f"ขอความอนุเคราะห์ข้อมูลสถิติ ({refusal})"
    sent = a.call("send", sender="etda", recipients=["soc"], subject=subject)
    [copy] = wait_until(lambda: b.call("inbox", agency="soc", subject=subject))

    b.call("refuse", letter_id=copy["id"], status=refusal, reason="ไม่ใช่เรื่องในอำนาจหน้าที่ของสำนักงาน")

    row = wait_until(lambda: (r := deliveries(a, sent["letter"])["soc"])[0] == expected and r)
    assert row[2] == "ไม่ใช่เรื่องในอำนาจหน้าที่ของสำนักงาน"


def test_a_circular_reaches_every_demo_agency_on_both_nodes(nodes):
    a, b = nodes["a"], nodes["b"]
    subject = "หนังสือเวียน แจ้งแนวปฏิบัติการรับส่งหนังสือราชการทางอิเล็กทรอนิกส์"

    sent = a.call("send", sender="etda", recipients=["soc", "dga"], subject=subject, circular=True)

    progress = wait_until(
        lambda: (p := a.call("progress", letter_id=sent["letter"]))["done"] == 2 and p
    )
    assert progress["failed"] == 0
    assert {key: row[0] for key, row in progress["deliveries"].items()} == {
        "soc": "delivered",
        "dga": "delivered",
    }
    assert "/ว " in sent["number"]
    assert b.call("inbox", agency="soc", subject=subject)
    assert a.call("inbox", agency="dga", subject=subject)


def test_a_letter_for_a_pull_agency_on_node_b_is_relayed_and_its_receipt_comes_back(nodes):
    a, b = nodes["a"], nodes["b"]
    subject = "ขอส่งสำเนาคำสั่งแต่งตั้งคณะทำงาน (ส่งต่อให้ระบบสารบรรณของ ก.พ.ร.)"

    sent = a.call("send", sender="etda", recipients=["opdc"], subject=subject)
    # Node B keeps it for OPDC's own system and answers 202: no receipt yet.
    [copy] = wait_until(lambda: b.call("inbox", agency="opdc", subject=subject))
    assert copy["number"] == sent["number"]
    wait_until(lambda: a.call("attempts", letter_id=sent["letter"]) == [202])
    assert deliveries(a, sent["letter"])["opdc"][0] == "queued"

    [item] = b.call("pull_and_acknowledge", agency="opdc", pki_dir=str(b.var_dir.parent / "pki"))

    assert item["from"] == "etda"
    assert list(item["files"].values()) == a.call("file_digests", letter_id=sent["letter"])
    wait_until(lambda: deliveries(a, sent["letter"])["opdc"][0] == "delivered")
    assert (
        b.call("pull_and_acknowledge", agency="opdc", pki_dir=str(b.var_dir.parent / "pki")) == []
    )
