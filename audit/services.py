"""Write audit rows. Callers are services already inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, models

from agencies.models import Agency

from .context import current_request
from .models import AuditEvent

SYSTEM = "system"

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
    return AuditEvent.objects.create(
        actor_user=user,
        actor_label=actor_label_for(actor),
        agency=agency,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        before=before,
        after=after,
        request_id=request.request_id,
        ip=request.ip,
    )
