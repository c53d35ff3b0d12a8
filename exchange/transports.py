"""How an envelope reaches its recipient: in-process for agencies hosted here, or HTTP push.

A transport returns the recipient's signed receipt or raises ``TransportError``, saying whether
trying again could help (transient) or not (permanent: the other side refused the envelope).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import IO, Protocol

import httpx
from django.conf import settings

from agencies.models import Agency, DeliveryMode
from config.errors import HubError
from exchange.envelope.safe_xml import parse_xml
from exchange.envelope.xml_read import read_manifest
from exchange.mapping import manifest_pairs
from exchange.models import Delivery, SealedDeliveryFile
from letters.models import Attachment, Letter

# A file as a transport or the pull API hands it over: a letter's attachment, or (for a secret
# letter) the ciphertext made for this one envelope. Both have file, name, media_type, size and
# sha256.
StoredFile = Attachment | SealedDeliveryFile

CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 60.0
INBOUND_PATH = "/api/v1/exchange/envelopes"


@dataclass(frozen=True)
class TransportOutcome:
    receipt: bytes
    http_status: int | None = None
    # The recipient's hub kept the envelope for the recipient's own system (202); the receipt
    # will arrive later as an envelope of its own (services/relay.py on that side).
    relayed: bool = False


class TransportError(Exception):
    def __init__(
        self, code: str, *, permanent: bool, http_status: int | None = None, excerpt: str = ""
    ) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent
        self.http_status = http_status
        self.excerpt = excerpt


class Transport(Protocol):
    name: str

    def deliver(self, delivery: Delivery) -> TransportOutcome: ...


@contextmanager
def attachment_streams(delivery: Delivery) -> Iterator[dict[str, IO[bytes]]]:
    """Open the files of a letter envelope, named by manifest id; nothing for acknowledgements."""
    with ExitStack() as stack:
        if delivery.message_type != "letter":
            yield {}
            return
        yield {
            name: stack.enter_context(attachment.file.open("rb"))
            for name, attachment in attachments_by_manifest_id(delivery).items()
        }


def attachments_by_manifest_id(delivery: Delivery) -> dict[str, StoredFile]:
    """The files of a letter delivery under the ids its envelope's manifest gives them.

    Read from the envelope itself, because not every envelope was built here: a relayed copy
    and a letter an agency's own system signed name the same stored files their own way. A
    secret letter sent from here travels with the ciphertext made for this envelope.
    """
    sealed = list(delivery.sealed_files.all())
    if sealed:
        return {item.attachment_id: item for item in sealed}
    letter: Letter = delivery.letter
    root = parse_xml(
        bytes(delivery.envelope),
        max_bytes=settings.HUB_ENVELOPE_MAX_BYTES,
        max_depth=settings.HUB_ENVELOPE_MAX_DEPTH,
    )
    pairs = manifest_pairs(read_manifest(root), letter.attachments.order_by("position", "pk"))
    return {manifest_id: attachment for manifest_id, attachment in pairs.items()}


class HostedTransport:
    """The recipient is hosted here: file it through the same verification as from outside."""

    name = "hosted"

    def deliver(self, delivery: Delivery) -> TransportOutcome:
        from exchange.services.inbound import envelope_receive

        with attachment_streams(delivery) as streams:
            try:
                result = envelope_receive(
                    data=bytes(delivery.envelope),
                    attachments=streams,
                    served_keys=frozenset({delivery.recipient.key}),
                )
            except HubError as error:
                raise TransportError(
                    error.code, permanent=True, excerpt=str(error.details)
                ) from error
        return TransportOutcome(receipt=result.receipt)


_clients: dict[tuple[int, bool], httpx.Client] = {}
_clients_lock = threading.Lock()


def push_client() -> httpx.Client:
    """Return this process's HTTP client for pushes, made on first use and then reused.

    A new client per push built a TLS context and loaded the CA bundle each time, which cost
    more CPU than the rest of a delivery; a shared one also keeps connections to a peer open
    between deliveries (httpcore drops those the peer has closed before reusing them). Keyed
    by process id, so a forked worker never uses its parent's connections, and by the TLS
    setting, so a changed setting takes effect.
    """
    key = (os.getpid(), bool(settings.HUB_PUSH_VERIFY_TLS))
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = httpx.Client(verify=key[1], follow_redirects=False)
                _clients[key] = client
    return client


class PushTransport:
    """POST to the recipient's inbound endpoint (a peer hub or the agency's own system)."""

    name = "push"

    def deliver(self, delivery: Delivery) -> TransportOutcome:
        url = delivery.recipient.endpoint_url
        timeout = httpx.Timeout(READ_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        with attachment_streams(delivery) as streams:
            files: dict[str, tuple[str | None, IO[bytes] | bytes | str, str | None]] = {
                "envelope": ("envelope.xml", bytes(delivery.envelope), "application/xml"),
            }
            for name, stream in streams.items():
                files[name] = (name, stream, "application/octet-stream")
            try:
                # No redirects: a 3xx could send the letter somewhere the directory did not name.
                response = push_client().post(
                    url,
                    files=files,
                    headers={"Idempotency-Key": str(delivery.message_id)},
                    timeout=timeout,
                    follow_redirects=False,
                )
            except httpx.TimeoutException as exc:
                raise TransportError("exchange.push_timeout", permanent=False) from exc
            except httpx.TransportError as exc:
                raise TransportError(
                    "exchange.push_unreachable", permanent=False, excerpt=str(exc)
                ) from exc
        if response.status_code == 200:
            return TransportOutcome(receipt=response.content, http_status=200)
        if response.status_code == 202:
            return TransportOutcome(receipt=b"", http_status=202, relayed=True)
        excerpt = response.text[:2000]
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            code = _error_code(response) or f"exchange.push_refused_{response.status_code}"
            raise TransportError(
                code, permanent=True, http_status=response.status_code, excerpt=excerpt
            )
        raise TransportError(
            f"exchange.push_http_{response.status_code}",
            permanent=False,
            http_status=response.status_code,
            excerpt=excerpt,
        )


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    code = body.get("code") if isinstance(body, dict) else None
    return str(code) if code else ""


def transport_for(recipient: Agency) -> Transport:
    if recipient.delivery_mode == DeliveryMode.PUSH:
        return PushTransport()
    return HostedTransport()
