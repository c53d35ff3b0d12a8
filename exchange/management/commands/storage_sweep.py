"""Delete stored files no row names (what crashes and rolled-back sends leave), or list them."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.errors import HubError
from exchange.services.storage_sweep import DEFAULT_LIMIT, orphan_files_sweep


class Command(BaseCommand):
    help = (
        "Delete stored files (attachments, sealed copies) that no row refers to and that are "
        "older than the grace period; --dry-run only lists them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=24.0,
            help="Grace period: keep files modified more recently than this (default 24, "
            "at least 1).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List the orphans, delete nothing."
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=DEFAULT_LIMIT,
            help=f"Delete at most this many files in this run (default {DEFAULT_LIMIT}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = orphan_files_sweep(
                older_than=datetime.timedelta(hours=options["older_than_hours"]),
                dry_run=options["dry_run"],
                limit=options["limit"],
            )
        except HubError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details}") from exc
        listed = result.orphans if result.dry_run else result.deleted
        if options["verbosity"] >= 2 or result.dry_run:
            for orphan in listed:
                self.stdout.write(f"{orphan.name}\t{orphan.size}\t{orphan.modified_at:%Y-%m-%d}")
        verb = "would delete" if result.dry_run else "deleted"
        summary = (
            f"{verb} {len(listed)} orphan files ({sum(o.size for o in listed)} bytes); "
            f"scanned {result.scanned}, kept {result.kept_referenced} referenced and "
            f"{result.kept_recent} within the grace period"
        )
        if result.claimed_meanwhile:
            summary += f"; kept {result.claimed_meanwhile} a row named meanwhile"
        if result.limit_reached:
            summary += "; stopped at the limit, there may be more"
        self.stdout.write(summary)
