"""Webhooks may only reach the public internet: no loopback, private, link-local or reserved
addresses (server-side request forgery through a subscription aimed at the hub's own network).

Checked when subscribing and again before every delivery (DNS answers change). A name that
resolves to a public address at check time but to a private one at connect time (DNS
rebinding) is not caught here; production should also send webhooks through an egress proxy
or firewall that enforces the same rule (docs/security.md). Development and tests, whose
receivers listen on 127.0.0.1, turn the check off with HUB_WEBHOOK_ALLOW_PRIVATE.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from .errors import WebhookUrlNotPublic


def public_address_check(url: str) -> None:
    if settings.HUB_WEBHOOK_ALLOW_PRIVATE:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        answers = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise WebhookUrlNotPublic(details={"host": host, "reason": "unresolvable"}) from exc
    for *_rest, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise WebhookUrlNotPublic(details={"host": host, "address": str(address)})
