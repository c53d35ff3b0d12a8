from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.models import Agency
from agencies.services import apikey_create
from config.errors import HubError


class Command(BaseCommand):
    help = (
        "Create an API key for an agency's system and print it once. Only its hash is stored: "
        "copy it now, it cannot be shown again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True, help="The agency's directory key: etda.")
        parser.add_argument("--name", required=True, help="Which system uses the key.")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Agency.objects.filter(key=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency with the directory key {options['agency']!r}.")
        try:
            created = apikey_create(
                agency=agency, name=options["name"], actor="system:apikey_create"
            )
        except HubError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details}") from exc
        # The key alone on stdout, so that scripts can capture it; the advice on stderr.
        self.stdout.write(created.plaintext)
        self.stderr.write(
            f"API key {created.api_key.prefix} ({created.api_key.name!r}) for {agency.key}. "
            "It is shown only this once: store it in the system's secret store now."
        )
