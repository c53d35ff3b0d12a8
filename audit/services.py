"""Write audit rows. Callers are services already inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, models

from agencies.models import Agency

from .chain import CHAINED_FIELDS, GENESIS_HASH, link_hash, normalised_ip
from .context import current_request
from .models import AuditChainHead, AuditEvent

SYSTEM = "system"
HEAD_PK = 1

# Who did something: a signed-in user, a named non-user actor ("system:seed"), or the system.
Actor = User | str | None


def actor_label_for(actor: Actor | AnonymousUser) -> str:
    """Name the actor in a way that stays readable if the account is later removed."""
    if actor is None:
        return SYSTEM
    if isinstance(actor, str):
        return actor
    if isinstance(actor, AnonymousUser):
        return "anonymous"
    return f"user:{actor.get_username()}"


def audit_record(
    *,
    action: str,
    actor: Actor | AnonymousUser,
    agency: Agency | None = None,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction.

    Refuse to run outside a transaction: a change and its audit row must commit or roll back
    together, or the trail could show something that never happened (or miss what did).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it logs.")
    request = current_request.get()
    user = actor if isinstance(actor, User) else None
    head = _locked_head()
    event = AuditEvent(
        actor_user=user,
        actor_label=actor_label_for(actor),
        agency=agency,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        before=before,
        after=after,
        request_id=request.request_id,
        ip=normalised_ip(request.ip),
        sequence=head.sequence + 1,
        prev_hash=head.hash,
    )
    event.hash = link_hash(event.prev_hash, chained_fields(event))
    event.save()
    AuditChainHead.objects.filter(pk=head.pk).update(sequence=event.sequence, hash=event.hash)
    return event


def audit_chain_lock() -> None:
    """Take the audit chain's lock first, before any other row lock of the transaction.

    Every transaction that writes audit rows holds this lock until it commits; taking it
    first (durable service transactions call this on entry) keeps one lock order hub-wide, so
    two services can never wait on each other (one holding a row and wanting the chain, the
    other holding the chain and wanting the row: a deadlock PostgreSQL would break by failing
    one of them).
    """
    _locked_head()


def chained_fields(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in ("id", *CHAINED_FIELDS)}


def _locked_head() -> AuditChainHead:
    """Lock the chain head until the caller's transaction ends (SQLite: the write lock that
    BEGIN IMMEDIATE already holds). The migration creates the row; a test database emptied
    by TRUNCATE gets it back here."""
    head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is None:
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(pk=HEAD_PK, sequence=0, hash=GENESIS_HASH)], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)
    return head
