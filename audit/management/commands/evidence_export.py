"""Export one letter's evidence bundle (a zip that evidence_verify checks offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from audit.evidence.export import evidence_bundle_save
from audit.services import audit_chain_lock, audit_record
from letters.models import Letter

ACTOR = "system:evidence_export"


class Command(BaseCommand):
    help = "Write the evidence bundle of a letter (by its id in this hub) to a zip file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("letter_id", type=int)
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        letter = Letter.objects.filter(pk=options["letter_id"]).select_related("agency").first()
        if letter is None:
            raise CommandError(f"No letter {options['letter_id']}.")
        with transaction.atomic(durable=True):
            audit_chain_lock()
            # Exporting shows a letter's envelopes: the export itself is on the record.
            audit_record(
                action="audit.evidence.exported",
                actor=ACTOR,
                agency=letter.agency,
                target=letter,
                after={"file": options["out"].name},
            )
        manifest = evidence_bundle_save(letter=letter, path=options["out"])
        self.stdout.write(f"{options['out']}: {len(manifest['files'])} files")
