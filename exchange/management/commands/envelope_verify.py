"""Verify an envelope file and print a verdict a person can read (Thai or English)."""

from __future__ import annotations

import datetime
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.errors import HubError
from exchange.directory import DatabaseDirectory, FileDirectory
from exchange.envelope import Report, attachments_verify, envelope_verify
from exchange.envelope.verification import SenderDirectory, VerifiedEnvelope
from exchange.policy import verification_policy

CHECK_LABELS = {
    "parsed": gettext_noop("XML parsed safely (size, depth, no DTD)"),
    "sender_known": gettext_noop("Sender is in the directory"),
    "signature_shape": gettext_noop("Signature has the profile's shape"),
    "certificate": gettext_noop("Certificate is registered, trusted, valid and not revoked"),
    "signature": gettext_noop("Signature matches the envelope"),
    "schema": gettext_noop("Envelope follows the schema"),
    "message_type": gettext_noop("Content matches the message type"),
    "recipient": gettext_noop("Recipient is served"),
    "clock": gettext_noop("Creation time is within the clock window"),
    "secrecy": gettext_noop("Secrecy level may travel electronically"),
    "attachments": gettext_noop("Attachments match the signed manifest"),
}


def _load_certificates(paths: list[Path]) -> list[x509.Certificate]:
    return [cert for path in paths for cert in x509.load_pem_x509_certificates(path.read_bytes())]


class Command(BaseCommand):
    help = "Verify a signed envelope (and its attachments) and print the verdict."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--attachments", type=Path, help="Folder of files named by manifest id")
        parser.add_argument("--language", choices=["th", "en"], default="th")
        parser.add_argument(
            "--as-of",
            help="ISO time to verify at (default: now); archived envelopes: their creation time",
        )
        parser.add_argument(
            "--ca", type=Path, action="append", default=[], help="Trust anchor PEM (offline mode)"
        )
        parser.add_argument(
            "--signer-cert",
            action="append",
            default=[],
            metavar="AGENCY=FILE",
            help="A signer certificate of an agency (offline mode, with --ca)",
        )

    def _directory(self, options: dict[str, Any]) -> SenderDirectory:
        if not options["ca"]:
            return DatabaseDirectory(served_keys=None)
        signers: dict[str, list[x509.Certificate]] = {}
        for item in options["signer_cert"]:
            agency, _sep, path = item.partition("=")
            if not path:
                raise CommandError("--signer-cert takes AGENCY=FILE")
            signers.setdefault(agency, []).extend(_load_certificates([Path(path)]))
        return FileDirectory(anchors=_load_certificates(options["ca"]), signers=signers)

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            if not self._run(options):
                raise CommandError(_("Verification failed."), returncode=1)

    def _run(self, options: dict[str, Any]) -> bool:
        data = options["file"].read_bytes()
        now = (
            datetime.datetime.fromisoformat(options["as_of"].replace("Z", "+00:00"))
            if options["as_of"]
            else datetime.datetime.now(datetime.UTC)
        )
        report = Report()
        try:
            verified = envelope_verify(
                data,
                directory=self._directory(options),
                now=now,
                policy=verification_policy(),
                report=report,
            )
            if options["attachments"]:
                self._check_attachments(verified, options["attachments"])
                report.ok("attachments")
        except HubError as error:
            self._print_checks(report)
            failed = _("Failed")
            self.stdout.write(self.style.ERROR(f"✗ {failed}: {error.code} · {error.message}"))
            if error.details:
                self.stdout.write(f"  {error.details}")
            return False
        self._print_verdict(verified)
        self._print_checks(report)
        verified_label = _("Verified")
        self.stdout.write(self.style.SUCCESS(f"✓ {verified_label}"))
        return True

    def _check_attachments(self, verified: VerifiedEnvelope, folder: Path) -> None:
        with ExitStack() as stack:
            streams: dict[str, IO[bytes]] = {
                path.name: stack.enter_context(path.open("rb"))
                for path in folder.iterdir()
                if path.is_file()
            }
            attachments_verify(verified.envelope.manifest, streams)

    def _print_verdict(self, verified: VerifiedEnvelope) -> None:
        header = verified.envelope.header
        certificate = verified.certificate
        rows = [
            (_("Message"), f"{header.message_type} {header.message_id}"),
            (_("Agency"), f"{header.sender.name_th} ({header.sender.agency_key})"),
            (_("Signer"), certificate.subject.rfc4514_string()),
            (_("Certificate"), certificate.fingerprint(hashes.SHA256()).hex()),
            (
                _("Valid"),
                f"{certificate.not_valid_before_utc:%Y-%m-%d} – "
                f"{certificate.not_valid_after_utc:%Y-%m-%d}",
            ),
            (_("Signing time"), str(verified.signing_time or header.created_at)),
            (_("Signature shape"), "XAdES-BES" if verified.shape == "xades" else "XMLDSig"),
            (_("Envelope SHA-256"), verified.envelope_sha256),
        ]
        for label, value in rows:
            self.stdout.write(f"{label}: {value}")

    def _print_checks(self, report: Report) -> None:
        for check in report.passed:
            self.stdout.write(f"  ✓ {_(CHECK_LABELS[check])}")
