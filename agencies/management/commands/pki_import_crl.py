from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.pki.services import crl_import
from config.errors import HubError


class Command(BaseCommand):
    help = "Import a CA's certificate revocation list (PEM or DER); it replaces the older one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            crl = crl_import(data=path.read_bytes(), actor="system:pki_import_crl")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except HubError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details}") from exc
        next_update = f"{crl.next_update:%Y-%m-%d %H:%M}" if crl.next_update else "none"
        self.stdout.write(
            f"CRL of {crl.issuer}: {crl.revoked_serials.count()} revoked, "
            f"this update {crl.this_update:%Y-%m-%d %H:%M}, next update {next_update}"
        )
