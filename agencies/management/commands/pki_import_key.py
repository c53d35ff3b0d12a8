import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.models import Agency
from agencies.pki.services import agency_signing_key_import
from config.errors import HubError

PKCS12_SUFFIXES = {".p12", ".pfx"}


class Command(BaseCommand):
    help = (
        "Store a hosted agency's signing key (encrypted) and make it the active one: a PEM key "
        "with --cert, or a PKCS#12 file (.p12/.pfx) holding key and certificate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True, help="Directory key of the agency.")
        parser.add_argument("--key", required=True, type=Path, help="PEM key or .p12/.pfx file.")
        parser.add_argument("--cert", type=Path, help="PEM certificate (not with PKCS#12).")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="Name of the environment variable holding the key's password.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Agency.objects.filter(key=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency with the directory key {options['agency']!r}.")
        key_path: Path = options["key"]
        cert_path: Path | None = options["cert"]
        is_pkcs12 = key_path.suffix.lower() in PKCS12_SUFFIXES
        if is_pkcs12 and cert_path is not None:
            raise CommandError("A PKCS#12 file holds its certificate: leave out --cert.")
        if not is_pkcs12 and cert_path is None:
            raise CommandError("Give the key's certificate with --cert (or use a .p12/.pfx).")
        password: bytes | None = None
        if options["password_env"]:
            # From the environment, never the command line: argv is visible to every user.
            value = os.environ.get(options["password_env"])
            if value is None:
                raise CommandError(f"The environment variable {options['password_env']} is unset.")
            password = value.encode("utf-8")
        try:
            signing_key = agency_signing_key_import(
                agency=agency,
                key_data=key_path.read_bytes(),
                certificate_data=cert_path.read_bytes() if cert_path is not None else None,
                password=password,
                actor="system:pki_import_key",
            )
        except OSError as exc:
            raise CommandError(f"Cannot read a file: {exc}") from exc
        except HubError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details}") from exc
        certificate = signing_key.certificate
        self.stdout.write(
            f"{agency.key} signs with a {signing_key.key_algorithm} key: {certificate.subject}, "
            f"valid until {certificate.not_after:%Y-%m-%d}, "
            f"sha256 {certificate.fingerprint_sha256}"
        )
