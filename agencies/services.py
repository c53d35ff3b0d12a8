"""Changes to the directory and to memberships, each audited in its own transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict

from audit.services import Actor, audit_record
from config.errors import InvalidInput

from .models import Agency, AgencyRole, Membership

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
