"""Sweep stored files that no row names: what a crash or a rolled-back transaction left behind.

Storage is not transactional. A draft's file is streamed to storage before the transaction that
saves its row (letters.services.attachments), so a crash in between leaves the file; a secret
letter's sealed copies and the files of a received or submitted letter are written inside
their transaction (exchange.services.sending, letters.services.incoming), and a rollback does
not take them back.
Nothing can reach such a file (every download goes through its row), but it fills the disk and,
for a secret draft, keeps plaintext no register accounts for.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage
from django.db import models, transaction
from django.utils import timezone

from audit.services import audit_chain_lock, audit_record
from config.errors import InvalidInput
from exchange.errors import SweepGraceTooShort

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:storage_sweep"
DEFAULT_GRACE = datetime.timedelta(days=1)
# A file is written a moment before its row commits (after the upload is already on local
# disk, or inside a send that Celery's 300 s hard limit ends); an hour is far beyond either, so
# no operator's override can reach a file that is still on its way to a row.
MINIMUM_GRACE = datetime.timedelta(hours=1)
DEFAULT_LIMIT = 10_000
# Names per `name__in` query: well below SQLite's 999 bound variables on old builds.
BATCH_SIZE = 500


@dataclass(frozen=True)
class StoredFileField:
    """A FileField of an installed model and the storage folder its files are written under."""

    model: type[models.Model]
    field_name: str
    folder: str
    storage: Storage


@dataclass(frozen=True)
class OrphanFile:
    name: str
    size: int
    modified_at: datetime.datetime
    storage: Storage = field(repr=False, compare=False)


@dataclass(frozen=True)
class OrphanSearch:
    """What one walk of the storage folders found; ``orphans`` holds at most the limit."""

    scanned: int
    kept_recent: int
    kept_referenced: int
    orphans: tuple[OrphanFile, ...]
    limit_reached: bool


@dataclass(frozen=True)
class SweepResult:
    dry_run: bool
    scanned: int
    kept_recent: int
    kept_referenced: int
    orphans: tuple[OrphanFile, ...]  # found; on a dry run, what a real run would delete
    deleted: tuple[OrphanFile, ...]  # empty on a dry run
    claimed_meanwhile: int  # orphans a row named by the time they were to be deleted: kept
    limit_reached: bool  # the walk stopped at the limit: there may be more

    @property
    def orphan_bytes(self) -> int:
        return sum(orphan.size for orphan in self.orphans)

    @property
    def deleted_bytes(self) -> int:
        return sum(orphan.size for orphan in self.deleted)


def stored_file_fields() -> list[StoredFileField]:
    """Return every FileField of the installed models with the folder its ``upload_to`` names.

    Found, not listed by hand: a FileField added later is swept (and its files kept while
    referenced) without anyone remembering this module.
    """
    found = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for model_field in model._meta.local_fields:
            if not isinstance(model_field, models.FileField):
                continue
            upload_to = model_field.upload_to
            # The folder is the part of upload_to before its first date placeholder.
            folder = (
                upload_to.split("%", 1)[0].rpartition("/")[0].strip("/")
                if isinstance(upload_to, str)
                else ""
            )
            if not folder:
                # Sweeping the storage's root (or a folder a callable picks) could delete files
                # that belong to something else entirely.
                raise ImproperlyConfigured(
                    f"{model._meta.label}.{model_field.name}: the storage sweep needs upload_to "
                    "to start with a fixed folder."
                )
            found.append(StoredFileField(model, model_field.name, folder, model_field.storage))
    return found


def _storages(
    fields: Sequence[StoredFileField],
) -> list[tuple[Storage, list[str], list[StoredFileField]]]:
    """Group the fields by storage: (storage, its folders without nested ones, its fields)."""
    groups: dict[int, tuple[Storage, list[str], list[StoredFileField]]] = {}
    for stored in fields:
        groups.setdefault(id(stored.storage), (stored.storage, [], []))[2].append(stored)
    result = []
    for storage, _folders, storage_fields in groups.values():
        folders: list[str] = []
        for folder in sorted({stored.folder for stored in storage_fields}):
            if not any(folder.startswith(f"{outer}/") for outer in folders):
                folders.append(folder)
        result.append((storage, folders, storage_fields))
    return result


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    """Yield the names of the files under a folder, oldest year and month first."""
    try:
        subfolders, files = storage.listdir(folder)
    except FileNotFoundError:  # nothing was ever stored there
        return
    for name in sorted(files):
        yield f"{folder}/{name}"
    for subfolder in sorted(subfolders):
        yield from _walk(storage, f"{folder}/{subfolder}")


def _referenced(fields: Sequence[StoredFileField], names: list[str]) -> set[str]:
    """Return those of the names that a row of any of the fields refers to."""
    found: set[str] = set()
    for stored in fields:
        # The base manager: a custom default manager that hides rows (archived, soft-deleted)
        # must not make their files look unreferenced.
        rows = stored.model._base_manager.filter(**{f"{stored.field_name}__in": names})
        found.update(rows.values_list(stored.field_name, flat=True))
    return found


def orphan_files_find(
    *, older_than: datetime.timedelta, limit: int, now: datetime.datetime | None = None
) -> OrphanSearch:
    """Walk the FileFields' folders; return up to ``limit`` files no row names, older than
    ``older_than``. Read only: nothing is locked or deleted."""
    cutoff = (now or timezone.now()) - older_than
    scanned = kept_recent = kept_referenced = 0
    orphans: list[OrphanFile] = []

    def check(storage: Storage, fields: list[StoredFileField], names: list[str]) -> None:
        nonlocal kept_referenced
        referenced = _referenced(fields, names)
        kept_referenced += len(referenced)
        for name in names:
            if name in referenced:
                continue
            try:
                size = storage.size(name)
                modified_at = storage.get_modified_time(name)
            except FileNotFoundError:  # deleted meanwhile (a discarded upload, another sweep)
                continue
            orphans.append(OrphanFile(name, size, modified_at, storage))

    for storage, folders, fields in _storages(stored_file_fields()):
        pending: list[str] = []
        for name in (name for folder in folders for name in _walk(storage, folder)):
            scanned += 1
            try:
                modified_at = storage.get_modified_time(name)
            except FileNotFoundError:
                continue
            if modified_at >= cutoff:
                kept_recent += 1
                continue
            pending.append(name)
            if len(pending) == BATCH_SIZE:
                check(storage, fields, pending)
                pending = []
                if len(orphans) >= limit:
                    break
        if pending:
            check(storage, fields, pending)
        if len(orphans) >= limit:
            # Stopped at the limit: there may be more; a real run's next one finds the rest.
            return OrphanSearch(scanned, kept_recent, kept_referenced, tuple(orphans[:limit]), True)
    return OrphanSearch(scanned, kept_recent, kept_referenced, tuple(orphans), False)


def orphan_files_sweep(
    *,
    older_than: datetime.timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> SweepResult:
    """Delete up to ``limit`` stored files that no row names and that are older than
    ``older_than``; record what went in one audit event. A dry run only reports.

    Refuse a grace period under MINIMUM_GRACE: younger files may belong to an upload or a
    transaction that has not committed yet.
    """
    if older_than < MINIMUM_GRACE:
        raise SweepGraceTooShort(
            details={
                "older_than_seconds": older_than.total_seconds(),
                "minimum_seconds": MINIMUM_GRACE.total_seconds(),
            }
        )
    if limit < 1:
        raise InvalidInput(details={"limit": limit})
    search = orphan_files_find(older_than=older_than, limit=limit)
    deleted: list[OrphanFile] = []
    claimed = 0
    if not dry_run:
        fields_of = {id(storage): fields for storage, _f, fields in _storages(stored_file_fields())}
        try:
            for start in range(0, len(search.orphans), BATCH_SIZE):
                batch = search.orphans[start : start + BATCH_SIZE]
                # Ask again right before deleting, holding the audit chain's lock: every
                # transaction that saves a row naming a file holds that lock until it commits
                # (the hub's lock order), so none is half-way now. A file written inside such a
                # transaction (a sealed copy, a received file) is therefore named by a
                # committed row or orphaned for good. A draft's file is written before its
                # transaction starts; the grace period is what protects that one.
                with transaction.atomic(durable=True):
                    audit_chain_lock()
                    still_named: set[str] = set()
                    for storage_id, fields in fields_of.items():
                        names = [o.name for o in batch if id(o.storage) == storage_id]
                        if names:
                            still_named |= _referenced(fields, names)
                # Deleted after the commit: a storage call (a network request on S3) must not
                # run while the hub-wide lock is held.
                for orphan in batch:
                    if orphan.name in still_named:
                        claimed += 1
                        continue
                    orphan.storage.delete(orphan.name)
                    deleted.append(orphan)
                    logger.info("storage sweep deleted %s (%d bytes)", orphan.name, orphan.size)
        except Exception:
            # The files already gone must still show in the trail.
            if deleted:
                _sweep_record(search, deleted, claimed, older_than=older_than, limit=limit)
            raise
        if deleted:
            _sweep_record(search, deleted, claimed, older_than=older_than, limit=limit)
    return SweepResult(
        dry_run=dry_run,
        scanned=search.scanned,
        kept_recent=search.kept_recent,
        kept_referenced=search.kept_referenced,
        orphans=search.orphans,
        deleted=tuple(deleted),
        claimed_meanwhile=claimed,
        limit_reached=search.limit_reached,
    )


def _sweep_record(
    search: OrphanSearch,
    deleted: list[OrphanFile],
    claimed: int,
    *,
    older_than: datetime.timedelta,
    limit: int,
) -> None:
    # Counts, not names: the names are random and the log has them; a run that deleted
    # thousands would otherwise write one very large row into the chain.
    with transaction.atomic(durable=True):
        audit_chain_lock()
        audit_record(
            action="storage.orphans_swept",
            actor=SYSTEM_ACTOR,
            after={
                "deleted": len(deleted),
                "deleted_bytes": sum(orphan.size for orphan in deleted),
                "claimed_meanwhile": claimed,
                "scanned": search.scanned,
                "kept_recent": search.kept_recent,
                "kept_referenced": search.kept_referenced,
                "older_than_seconds": int(older_than.total_seconds()),
                "limit": limit,
                "limit_reached": search.limit_reached,
            },
        )
