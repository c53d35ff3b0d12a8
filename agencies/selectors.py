"""Reads of the directory, of who may act for which agency, and of API keys."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import connection
from django.db.models import Field, Q, QuerySet

from .models import Agency, AgencyRole, ApiKey, HubRole, HubRoleName, Membership

# What request.user may be: a signed-in account or an anonymous visitor.
Viewer = AbstractBaseUser | AnonymousUser


def agency_search(*, query: str = "", active_only: bool = True) -> QuerySet[Agency]:
    """Return agencies whose Thai or English name or abbreviation contains the query, or
    whose letter codes, e-CMS codes or directory key equal it.

    Thai is written without spaces between words, so matching is by substring (icontains),
    never by word; "ดิจิทัล" finds สำนักงานพัฒนารัฐบาลดิจิทัล."""
    agencies = Agency.objects.all()
    if active_only:
        agencies = agencies.filter(is_active=True)
    query = query.strip()
    if query:
        agencies = agencies.filter(
            Q(name_th__icontains=query)
            | Q(name_en__icontains=query)
            | Q(abbreviation__icontains=query)
            | Q(ministry_letter_code=query)
            | Q(sub_agency_code=query)
            | Q(ecms_ministry_code=query)
            | Q(ecms_department_code=query)
            | Q(key=query)
        )
    return agencies.order_by("name_th")


def agency_in_directory(*, key: str) -> Agency | None:
    """Return the active agency with that directory key, with its parent."""
    return Agency.objects.select_related("parent").filter(key=key, is_active=True).first()


def agencies_of_user(*, user: Viewer) -> QuerySet[Agency]:
    """Return the active agencies in which the user holds any role."""
    if not isinstance(user, User) or not user.is_active:
        return Agency.objects.none()
    return Agency.objects.filter(memberships__user=user, is_active=True).distinct()


def agency_roles_of_user(*, user: Viewer, agency: Agency) -> set[str]:
    """Return the user's roles in that agency (empty when none)."""
    if not isinstance(user, User) or not user.is_active:
        return set()
    return set(Membership.objects.filter(user=user, agency=agency).values_list("role", flat=True))


def user_has_agency_role(
    *, user: Viewer, agency: Agency, roles: set[AgencyRole] | None = None
) -> bool:
    """Say whether the user holds one of the roles (any role when none are named)."""
    held = agency_roles_of_user(user=user, agency=agency)
    return bool(held) if roles is None else bool(held & {str(role) for role in roles})


def user_has_hub_role(*, user: Viewer, role: HubRoleName) -> bool:
    """Say whether the user holds a hub-wide role."""
    return (
        isinstance(user, User)
        and user.is_active
        and HubRole.objects.filter(user=user, role=role).exists()
    )


def api_key_by_prefix(*, prefix: str) -> ApiKey | None:
    """Return the key with that public id (revoked or not), with its agency."""
    return ApiKey.objects.select_related("agency").filter(prefix=prefix).first()


def api_keys_of_agency(*, agency: Agency) -> QuerySet[ApiKey]:
    """Return the agency's keys, live and revoked; never another agency's."""
    return ApiKey.objects.filter(agency=agency).select_related("agency")


def active_agency_ids(*, keys: Sequence[str]) -> dict[str, int]:
    """Return {key: primary key} of the active agencies among the keys (unknown keys left out).

    Plain SQL with bound parameters: the ORM prepares each value of an IN list through the
    field (about 4 µs a key), and a circular's copy names a thousand agencies.
    """
    unique = list(dict.fromkeys(keys))
    found: dict[str, int] = {}
    if not unique:
        return found
    quote = connection.ops.quote_name
    key, pk, active = (quote(_column(name)) for name in ("key", "id", "is_active"))
    table = quote(Agency._meta.db_table)
    # SQLite binds at most max_query_params values per statement; PostgreSQL has no such cap.
    batch = connection.features.max_query_params or len(unique)
    with connection.cursor() as cursor:
        for start in range(0, len(unique), batch):
            chunk = unique[start : start + batch]
            cursor.execute(
                f"SELECT {key}, {pk} FROM {table} WHERE {active} = %s "  # noqa: S608
                f"AND {key} IN ({', '.join(['%s'] * len(chunk))})",
                [True, *chunk],
            )
            found.update(cursor.fetchall())
    return found


def _column(name: str) -> str:
    field = Agency._meta.get_field(name)
    assert isinstance(field, Field) and field.column  # a concrete column, not a relation
    return field.column
