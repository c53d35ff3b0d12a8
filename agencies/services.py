"""Changes to the directory, memberships and API keys, each audited in its own transaction."""

from __future__ import annotations

import datetime
import hashlib
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import Actor, actor_label_for, audit_chain_lock, audit_record
from config.errors import Conflict, InvalidInput

from .models import Agency, AgencyRole, ApiKey, Membership
from .models.access import API_KEY_NAME_MAX_LENGTH

# Fields of a directory entry that map one to one onto Agency columns.
DIRECTORY_FIELDS = (
    "name_th",
    "name_en",
    "abbreviation",
    "ministry_letter_code",
    "sub_agency_code",
    "unit_number",
    "ecms_ministry_code",
    "ecms_department_code",
    "email",
    "address",
)


class DirectoryEntryInvalid(InvalidInput):
    code = "agencies.directory_entry_invalid"


@dataclass(frozen=True)
class DirectoryLoadResult:
    created: int
    updated: int
    unchanged: int


def _snapshot(agency: Agency) -> dict[str, Any]:
    return model_to_dict(
        agency, fields=[*DIRECTORY_FIELDS, "parent", "is_active", "unconfirmed_fields"]
    )


def directory_load(
    *, entries: Iterable[Mapping[str, Any]], actor: Actor = None
) -> DirectoryLoadResult:
    """Upsert agencies by their directory key, all or nothing.

    Parents are resolved after every entry exists, so the file may list a child before its
    parent. Loading the same file twice changes nothing (idempotent seeding and updates).
    """
    with transaction.atomic(durable=True):
        audit_chain_lock()
        agencies: dict[str, Agency] = {}
        befores: dict[str, dict[str, Any] | None] = {}
        parent_keys: dict[str, str] = {}
        for entry in entries:
            key = str(entry.get("key") or "").strip()
            if not key:
                raise DirectoryEntryInvalid(details={"entry": dict(entry), "field": "key"})
            agency = Agency.objects.filter(key=key).first() or Agency(key=key)
            befores[key] = _snapshot(agency) if agency.pk else None
            for field in DIRECTORY_FIELDS:
                setattr(agency, field, str(entry.get(field) or "").strip())
            agency.unconfirmed_fields = sorted(str(name) for name in entry.get("unconfirmed") or [])
            parent_keys[key] = str(entry.get("parent") or "")
            agency.parent = None
            try:
                agency.full_clean(exclude=["parent"])
            except ValidationError as exc:
                raise DirectoryEntryInvalid(
                    details={"key": key, "errors": exc.message_dict}
                ) from exc
            agency.save()
            agencies[key] = agency

        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for key, agency in agencies.items():
            if parent_keys[key]:
                parent = (
                    agencies.get(parent_keys[key])
                    or Agency.objects.filter(key=parent_keys[key]).first()
                )
                if parent is None:
                    raise DirectoryEntryInvalid(
                        details={"key": key, "unknown_parent": parent_keys[key]}
                    )
                agency.parent = parent
                agency.save(update_fields=["parent"])
            before, after = befores[key], _snapshot(agency)
            if before == after:
                counts["unchanged"] += 1
                continue
            counts["created" if before is None else "updated"] += 1
            audit_record(
                action="agencies.agency.created" if before is None else "agencies.agency.updated",
                actor=actor,
                agency=agency,
                target=agency,
                before=before,
                after=after,
            )
    return DirectoryLoadResult(**counts)


def membership_grant(
    *,
    user: User,
    agency: Agency,
    role: AgencyRole,
    actor: Actor,
) -> Membership:
    """Give the user a role in the agency; granting a role already held changes nothing."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        membership, created = Membership.objects.get_or_create(user=user, agency=agency, role=role)
        if created:
            audit_record(
                action="agencies.membership.granted",
                actor=actor,
                agency=agency,
                target=membership,
                after={"user": user.get_username(), "role": str(role)},
            )
    return membership


# API keys ---------------------------------------------------------------------------------

# "sxh_" (Saraban eXchange Hub) makes a leaked key recognisable to secret scanners and to a
# reader; the prefix is the key's public id, the rest its secret.
API_KEY_SCHEME = "sxh"
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
PREFIX_LENGTH = 12
# Bytes of randomness in a key's secret: 256 bits, which is why SHA-256 suffices to store it.
SECRET_BYTES = 32
# How stale ``last_used_at`` may be: precise enough to spot an unused key, cheap on busy ones.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class ApiKeyNameTaken(Conflict):
    code = "agencies.apikey_name_taken"
    default_message = _("This agency already has a live API key with that name.")


class ApiKeyInvalid(InvalidInput):
    code = "agencies.apikey_invalid"
    default_message = _("An API key needs a name and an active agency.")


@dataclass(frozen=True)
class CreatedApiKey:
    """A new key and its plaintext, which exists only here: show it once, store it nowhere."""

    api_key: ApiKey
    plaintext: str


def api_key_hash(plaintext: str) -> str:
    """Return the stored form of a key: SHA-256 of the whole key, hex."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def api_key_parse(plaintext: str) -> tuple[str, str] | None:
    """Split ``sxh_<prefix>_<secret>`` into (prefix, secret), or None when it is not a key."""
    scheme, _sep, rest = plaintext.partition("_")
    prefix, _sep, secret = rest.partition("_")
    if scheme != API_KEY_SCHEME or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    if any(character not in _PREFIX_ALPHABET for character in prefix):
        return None
    return prefix, secret


def apikey_create(*, agency: Agency, name: str, actor: Actor) -> CreatedApiKey:
    """Create a key for the agency's system and return it with its plaintext (shown once)."""
    name = name.strip()
    if not name or len(name) > API_KEY_NAME_MAX_LENGTH or not agency.is_active:
        raise ApiKeyInvalid(details={"name": name, "agency": agency.key})
    with transaction.atomic(durable=True):
        audit_chain_lock()
        if ApiKey.objects.filter(agency=agency, name=name, revoked_at__isnull=True).exists():
            raise ApiKeyNameTaken(details={"name": name, "agency": agency.key})
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        plaintext = f"{API_KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    agency=agency,
                    name=name,
                    prefix=prefix,
                    key_sha256=api_key_hash(plaintext),
                    created_by=actor if isinstance(actor, User) else None,
                    created_by_label=actor_label_for(actor),
                )
        except IntegrityError as exc:
            # Two admins naming a key alike at the same moment; a prefix collision (36^12)
            # is not worth a retry loop.
            raise ApiKeyNameTaken(details={"name": name, "agency": agency.key}) from exc
        audit_record(
            action="agencies.apikey.created",
            actor=actor,
            agency=agency,
            target=api_key,
            after={"name": name, "prefix": prefix},
        )
    return CreatedApiKey(api_key=api_key, plaintext=plaintext)


def apikey_revoke(*, api_key: ApiKey, actor: Actor, reason: str = "") -> ApiKey:
    """Revoke the key at once; revoking a revoked key changes nothing."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        now = timezone.now()
        # Guarded: of two revocations racing, one writes the time and the audit row.
        revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if revoked:
            audit_record(
                action="agencies.apikey.revoked",
                actor=actor,
                agency=api_key.agency,
                target=api_key,
                before={"revoked_at": None},
                after={"revoked_at": now.isoformat(), "prefix": api_key.prefix, "reason": reason},
            )
    api_key.refresh_from_db()
    return api_key


def apikey_use_record(
    *, api_key: ApiKey, method: str, path: str, status: int, replayed: bool = False
) -> None:
    """Audit one API request made with the key, and note when the key was last used.

    ``last_used_at`` is written at most once a minute per key (a guarded UPDATE), so a busy
    system does not turn every request into a write on the same hot row; the audit row is
    the exact record of each use.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        audit_chain_lock()
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        audit_record(
            action="agencies.apikey.used",
            actor=api_key.actor_label,
            agency=api_key.agency,
            target=api_key,
            after={"method": method, "path": path, "status": status, "replayed": replayed},
        )


def apikey_refusal_record(*, api_key: ApiKey, reason: str, method: str, path: str) -> None:
    """Audit a request refused for a known key (revoked, or the wrong secret for its id)."""
    with transaction.atomic(durable=True):
        audit_chain_lock()
        audit_record(
            action="agencies.apikey.refused",
            actor=api_key.actor_label,
            agency=api_key.agency,
            target=api_key,
            after={"reason": reason, "method": method, "path": path},
        )
