"""Sign webhook bodies, and check them on the receiving side.

``X-Saraban-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>``.
The timestamp is inside the MAC, so a captured delivery cannot be given a fresh timestamp, and
a receiver that refuses old timestamps refuses replays of it after the tolerance. Several
``v1=`` values may appear (the receiver accepts the delivery if any matches), which leaves room
for rotating a secret without a gap.

Standard library only: an agency's receiver may copy this module as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import time

EVENT_HEADER = "X-Saraban-Event"
DELIVERY_HEADER = "X-Saraban-Delivery"
SIGNATURE_HEADER = "X-Saraban-Signature"
SIGNATURE_SCHEME = "v1"
# Five minutes: wide enough for ordinary clock drift and a slow proxy, narrow enough that a
# captured request is useless soon after.
DEFAULT_TOLERANCE_SECONDS = 300


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def webhook_signature(secret: str, body: bytes, *, timestamp: int) -> str:
    """Return the ``X-Saraban-Signature`` value for these exact body bytes at ``timestamp``."""
    return f"t={timestamp},{SIGNATURE_SCHEME}={_mac(secret, timestamp, body)}"


def webhook_verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Say whether ``header`` signs exactly ``body`` with ``secret``, made within ``tolerance``
    seconds of ``now`` (either way). Verify the raw bytes received, before any JSON parsing."""
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        # ASCII only: int() would read Thai digits, compare_digest refuses non-ASCII text.
        if not value.isascii():
            continue
        if name == "t" and value.isdigit() and timestamp is None:
            timestamp = int(value)
        elif name == SIGNATURE_SCHEME and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    # Constant-time comparison: a timing difference would let an attacker guess the MAC.
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
