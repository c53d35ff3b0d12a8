"""Who is calling: an agency's system with an API key, or a clerk's browser session.

A key is presented as ``Authorization: Bearer <key>`` (RFC 6750) or ``X-Api-Key: <key>`` for
clients that cannot set Authorization. The browser UI's own calls keep the session (with
DRF's CSRF check); a session user acts for the agency chosen in the switcher.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from agencies.acting import acting_agency
from agencies.models import Agency, ApiKey
from agencies.selectors import api_key_by_prefix
from agencies.services import api_key_hash, api_key_parse, apikey_refusal_record
from audit.services import Actor
from config.errors import ApiKeyInvalid, ApiKeyRevoked

# Set on the Django request when a key authenticated it; the usage middleware audits it.
API_KEY_ATTRIBUTE = "hub_api_key"
_CALLER_ATTRIBUTE = "_hub_caller"


class ApiKeyPrincipal:
    """What ``request.user`` is for a key: authenticated, but no account and no Django perms."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key

    @property
    def username(self) -> str:
        return self.api_key.actor_label

    def get_username(self) -> str:
        return self.api_key.actor_label

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def __str__(self) -> str:
        return self.api_key.actor_label


def presented_key(request: HttpRequest) -> str | None:
    """Return the key the client sent, or None when it sent none (or another scheme)."""
    bearer = None
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        bearer = credentials.strip()
    header = request.headers.get("X-Api-Key", "").strip() or None
    if bearer is not None and header is not None and bearer != header:
        # Two different keys: refuse rather than guess which one the caller meant.
        raise ApiKeyInvalid(details={"reason": "two different keys were sent"})
    return bearer if bearer is not None else header


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticate an agency's system by its API key; see docs/api.md "Authentication"."""

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        django_request = request._request
        plaintext = presented_key(django_request)
        if plaintext is None:
            return None
        parsed = api_key_parse(plaintext)
        api_key = api_key_by_prefix(prefix=parsed[0]) if parsed is not None else None
        if api_key is None:
            raise ApiKeyInvalid()
        # Compare digests in constant time: the time taken must not say how much of a
        # guessed key was right.
        if not hmac.compare_digest(api_key.key_sha256, api_key_hash(plaintext)):
            apikey_refusal_record(
                api_key=api_key,
                reason="wrong_secret",
                method=django_request.method or "",
                path=django_request.path,
            )
            raise ApiKeyInvalid()
        # Checked after the secret, so that only the key's holder learns it was revoked.
        if api_key.is_revoked or not api_key.agency.is_active:
            apikey_refusal_record(
                api_key=api_key,
                reason="revoked" if api_key.is_revoked else "agency_inactive",
                method=django_request.method or "",
                path=django_request.path,
            )
            raise ApiKeyRevoked()
        setattr(django_request, API_KEY_ATTRIBUTE, api_key)
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) and tells the client which scheme to use.
        return 'Bearer realm="api"'


@dataclass(frozen=True)
class Caller:
    """Who a request acts as, in the shapes services and conventions need."""

    # The agency the caller acts for: the key's, or the session user's current one.
    agency: Agency | None
    # What services record as the actor: the user, or "apikey:<prefix>".
    actor: Actor
    # The key space of Idempotency-Key values: one per key, one per user.
    owner: str
    api_key: ApiKey | None = None


def caller_of(request: Request) -> Caller:
    """Return the caller of an authenticated request (computed once per request)."""
    cached: Caller | None = getattr(request, _CALLER_ATTRIBUTE, None)
    if cached is not None:
        return cached
    auth: Any = request.auth
    if isinstance(auth, ApiKey):
        caller = Caller(
            agency=auth.agency, actor=auth.actor_label, owner=f"apikey:{auth.pk}", api_key=auth
        )
    elif isinstance(request.user, User):
        caller = Caller(
            agency=acting_agency(request._request),
            actor=request.user,
            owner=f"user:{request.user.pk}",
        )
    else:
        caller = Caller(agency=None, actor="anonymous", owner="anonymous")
    setattr(request, _CALLER_ATTRIBUTE, caller)
    return caller
