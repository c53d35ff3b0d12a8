"""The audit hash chain: how a row is hashed, how the next link is taken, how a chain is checked.

Each event's hash is SHA-256 over the previous event's hash and a canonical serialisation of
the event's own fields (sorted-key JSON, UTC timestamps with microseconds, normalised IP), so
the same row gives the same hash on SQLite and PostgreSQL and in an evidence bundle offline.
Writers take the next link under a row lock on the chain head, held until their transaction
commits: links are handed out in commit order and a rolled-back change leaves no gap.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
CHAIN_VERSION = "saraban-audit/1"

# The fields a link covers, in the order they are serialised (the JSON keys are sorted anyway).
CHAINED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_user_id",
    "actor_label",
    "agency_id",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
    "request_id",
    "ip",
)


def normalised_ip(value: str | None) -> str | None:
    """The address as PostgreSQL's inet gives it back ("2001:db8::1", not "2001:0db8::1")."""
    return str(ipaddress.ip_address(value)) if value else None


def _json_value(value: Any) -> Any:
    # What a JSONField gives back after a round trip (tuples become lists, keys strings).
    return json.loads(json.dumps(value)) if value is not None else None


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes a link hashes, from a row's fields (a model's or an exported dict's)."""
    occurred_at = fields["occurred_at"]
    if isinstance(occurred_at, datetime.datetime):
        occurred_at = occurred_at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    document = {
        "v": CHAIN_VERSION,
        "sequence": int(fields["sequence"]),
        "occurred_at": occurred_at,
        "actor_user_id": fields["actor_user_id"],
        "actor_label": fields["actor_label"],
        "agency_id": fields["agency_id"],
        "action": fields["action"],
        "target_type": fields["target_type"],
        "target_id": fields["target_id"],
        "before": _json_value(fields["before"]),
        "after": _json_value(fields["after"]),
        "request_id": fields["request_id"],
        "ip": normalised_ip(fields["ip"]),
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(fields)).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold, named so a person can find the row."""

    kind: str  # "altered", "removed", "inserted", "head_mismatch", "checkpoint_mismatch"
    sequence: int
    event_id: int | None
    detail: str

    def describe(self) -> str:
        row = f"event id {self.event_id}" if self.event_id is not None else "no row"
        return f"{self.kind} at sequence {self.sequence} ({row}): {self.detail}"


def chain_breaks(
    rows: Iterable[Mapping[str, Any]],
    *,
    start_sequence: int = 1,
    start_hash: str = GENESIS_HASH,
) -> Iterator[tuple[Break | None, Mapping[str, Any]]]:
    """Walk rows in sequence order; yield (the first break found, or None) per row.

    Each row needs ``id``, ``sequence``, ``prev_hash``, ``hash`` and the chained fields. A
    gap in the sequence is a removed row; a row whose link does not follow from the previous
    one was slipped in; a row whose own fields no longer give its hash was altered.
    """
    expected_sequence, expected_prev = start_sequence, start_hash
    for row in rows:
        sequence = int(row["sequence"])
        if sequence > expected_sequence:
            yield (
                Break(
                    "removed",
                    expected_sequence,
                    None,
                    f"sequence {expected_sequence} to {sequence - 1} missing before event id "
                    f"{row['id']}",
                ),
                row,
            )
            return
        if sequence < expected_sequence or row["prev_hash"] != expected_prev:
            yield (
                Break("inserted", sequence, row["id"], "does not link to the previous event"),
                row,
            )
            return
        if link_hash(row["prev_hash"], row) != row["hash"]:
            yield Break("altered", sequence, row["id"], "its fields do not give its hash"), row
            return
        yield None, row
        expected_sequence, expected_prev = sequence + 1, row["hash"]
