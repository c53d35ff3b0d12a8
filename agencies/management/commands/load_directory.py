import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.services import directory_load

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "directory.json"


class Command(BaseCommand):
    help = "Load or update the agency directory from a JSON file (upsert by key; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=DEFAULT_FILE)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read directory file {path}: {exc}") from exc
        result = directory_load(entries=document["agencies"], actor="system:load_directory")
        self.stdout.write(
            f"Directory: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
