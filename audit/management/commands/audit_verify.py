"""Recompute the audit chain and the checkpoint signatures; exit 1 naming the first break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verification import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and the hub's signed checkpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-key",
            metavar="SHA256",
            help="fingerprint of the hub's checkpoint certificate; other signers fail",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify(expect_key=options["expect_key"])
        if report.problem is not None:
            raise CommandError(
                f"audit chain BROKEN after {report.events} good events: "
                f"{report.problem.describe()}",
                returncode=1,
            )
        checkpoint = (
            f"last checkpoint at #{report.last_checkpoint_sequence}"
            if report.last_checkpoint_sequence is not None
            else "no checkpoint yet"
        )
        self.stdout.write(
            f"audit chain intact: {report.events} events, {report.checkpoints} checkpoints "
            f"verified, {checkpoint}."
        )
