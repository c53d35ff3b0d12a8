from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from exchange.examples import examples_write


class Command(BaseCommand):
    help = "Regenerate docs/examples: a signed letter, every acknowledgement type, and their PKI."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=settings.BASE_DIR / "docs" / "examples")

    def handle(self, *args: Any, **options: Any) -> None:
        for path in examples_write(options["out"]):
            self.stdout.write(f"wrote {path}")
