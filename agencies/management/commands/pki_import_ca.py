from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.pki.services import trust_anchor_import
from config.errors import HubError


class Command(BaseCommand):
    help = "Trust a CA certificate (PEM or DER file) as a root for agency certificates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", default="", help="Label (default: the CA's subject).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            anchor = trust_anchor_import(
                pem=path.read_bytes(), name=options["name"], actor="system:pki_import_ca"
            )
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except HubError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details}") from exc
        self.stdout.write(
            f"Trust anchor {anchor.name!r}: {anchor.subject}, valid until "
            f"{anchor.not_after:%Y-%m-%d}, sha256 {anchor.fingerprint_sha256}"
        )
