"""Make this hub one node of a federation: which agencies it hosts, where the others live.

Used by the two-node harness (tests/e2e/) and `python -m tools.two_nodes`; idempotent. The PKI
folder holds ca.pem plus, per agency key, <key>.cert.pem and (for hosted ones) <key>.key.pem.
A pull-mode agency is served by this node but signs with its own system's key, which stays
there: only its certificate is registered here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography import x509
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from agencies.models import Agency, DeliveryMode
from agencies.pki.services import (
    agency_certificate_register,
    agency_signing_key_import,
    trust_anchor_import,
)
from audit.services import audit_chain_lock, audit_record

ACTOR = "system:node_configure"


class Command(BaseCommand):
    help = "Configure hosted, pull-mode and peer agencies (push endpoints) of this node."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pki-dir", type=Path, required=True)
        parser.add_argument("--hosted", action="append", default=[], metavar="AGENCY")
        parser.add_argument("--peer", action="append", default=[], metavar="AGENCY=URL")
        parser.add_argument("--pull", action="append", default=[], metavar="AGENCY")

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["pki_dir"]
        call_command("load_directory", stdout=self.stdout)
        trust_anchor_import(pem=(folder / "ca.pem").read_bytes(), name="Federation CA", actor=ACTOR)
        for key in options["hosted"]:
            agency = self._agency(key)
            agency_signing_key_import(
                agency=agency,
                key_data=(folder / f"{key}.key.pem").read_bytes(),
                certificate_data=(folder / f"{key}.cert.pem").read_bytes(),
                password=None,
                actor=ACTOR,
            )
            self._route(agency, DeliveryMode.HOSTED, "")
        for item in options["peer"]:
            key, _sep, url = item.partition("=")
            if not url:
                raise CommandError("--peer takes AGENCY=URL")
            self._route(self._certified(folder, key), DeliveryMode.PUSH, url)
        for key in options["pull"]:
            self._route(self._certified(folder, key), DeliveryMode.PULL, "")
        self.stdout.write(
            f"hosted: {options['hosted']}; pull: {options['pull']}; peers: {options['peer']}"
        )

    def _certified(self, folder: Path, key: str) -> Agency:
        agency = self._agency(key)
        certificate = x509.load_pem_x509_certificate((folder / f"{key}.cert.pem").read_bytes())
        agency_certificate_register(agency=agency, certificate=certificate, actor=ACTOR)
        return agency

    def _agency(self, key: str) -> Agency:
        agency = Agency.objects.filter(key=key).first()
        if agency is None:
            raise CommandError(f"No agency {key!r} in the directory.")
        return agency

    def _route(self, agency: Agency, mode: DeliveryMode, url: str) -> None:
        with transaction.atomic(durable=True):
            audit_chain_lock()
            before = {"delivery_mode": agency.delivery_mode, "endpoint_url": agency.endpoint_url}
            agency.delivery_mode, agency.endpoint_url = mode, url
            agency.save(update_fields=["delivery_mode", "endpoint_url"])
            audit_record(
                action="agencies.agency.route_changed",
                actor=ACTOR,
                agency=agency,
                target=agency,
                before=before,
                after={"delivery_mode": mode, "endpoint_url": url},
            )
