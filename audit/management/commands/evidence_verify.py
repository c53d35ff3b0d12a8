"""Check an evidence bundle offline (it reads no database) and print what it proves."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.evidence.verify import EvidenceInvalid, evidence_bundle_verify


class Command(BaseCommand):
    help = "Verify an evidence bundle without the hub's database and say what it proves."

    # No database: the bundle must stand on its own.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--expect-hub-key", metavar="SHA256", help="fingerprint of the hub's sealing key"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = evidence_bundle_verify(
                options["file"], expect_hub_key=options["expect_hub_key"]
            )
        except EvidenceInvalid as error:
            raise CommandError(f"evidence bundle INVALID: {error}", returncode=1) from error
        self.stdout.write("evidence bundle verified. It proves:")
        for statement in report.statements:
            self.stdout.write(f"  • {statement}")
