"""Give the demo agencies keys and certificates from a demo CA; running it again changes nothing.

The database is the source of truth: a second run finds the demo CA and each agency's active
key there and writes the same files again from them, without making new keys.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from agencies.models import Agency, AgencyEncryptionKey, TrustAnchor
from agencies.pki.certificates import (
    PrivateKey,
    fingerprint_sha256,
    load_certificate,
    load_private_key,
    public_keys_match,
)
from agencies.pki.errors import NoSigningKey
from agencies.pki.issuing import IssuedCertificate, KeyKind, issue_certificate, make_ca
from agencies.pki.keystore import SigningMaterial, signing_material_for
from agencies.pki.services import (
    agency_encryption_key_import,
    agency_signing_key_import,
    trust_anchor_import,
)
from config.errors import HubError

DEMO_CA_NAME = "Saraban Hub Demo CA"
# RSA for two agencies and ECDSA for one, so both signature algorithms are exercised.
DEMO_AGENCY_KEYS: dict[str, KeyKind] = {"etda": "rsa", "soc": "rsa", "dga": "ec"}
P12_PASSWORD = b"demo"
ACTOR = "system:pki_demo"
# A demo certificate this close to its end is replaced rather than reused.
RENEW_BEFORE = datetime.timedelta(days=30)


class Command(BaseCommand):
    help = (
        "Create a demo CA and signing keys for the demo agencies etda, soc and dga, register "
        "them, and write them to --out (idempotent; not in production)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="Folder for the key files.")
        parser.add_argument(
            "--allow-production", action="store_true", help="Run even when DEBUG is off."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("pki_demo writes unencrypted private keys; it runs with DEBUG on.")
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        agencies = {key: Agency.objects.filter(key=key).first() for key in DEMO_AGENCY_KEYS}
        missing = [key for key, agency in agencies.items() if agency is None]
        if missing:
            raise CommandError(f"Load the directory first: {missing} are not in it.")
        try:
            self._run(out, {key: agency for key, agency in agencies.items() if agency})
        except HubError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details}") from exc

    def _run(self, out: Path, agencies: dict[str, Agency]) -> None:
        anchors = self._demo_anchors()
        ca: IssuedCertificate | None = None
        for key, agency in agencies.items():
            material = _active_material(agency)
            expiring = material is not None and (
                material.certificate.not_valid_after_utc - RENEW_BEFORE < timezone.now()
            )
            # A key that did not come from a demo CA (a real key imported since) is kept.
            if material is None or (_issued_by_any(material.certificate, anchors) and expiring):
                if ca is None:
                    ca = self._demo_ca(out, anchors)
                    anchors = self._demo_anchors()
                self._issue(ca, agency, DEMO_AGENCY_KEYS[key])
            encryption = _active_encryption_certificate(agency)
            encryption_expiring = encryption is not None and (
                encryption.not_valid_after_utc - RENEW_BEFORE < timezone.now()
            )
            if encryption is None or (_issued_by_any(encryption, anchors) and encryption_expiring):
                if ca is None:
                    ca = self._demo_ca(out, anchors)
                    anchors = self._demo_anchors()
                self._issue_encryption(ca, agency)
        _write(out / "demo-ca.pem", b"".join(_pem(anchor) for anchor in anchors), private=False)
        self.stdout.write(f"Demo PKI in {out}/ (PKCS#12 password: {P12_PASSWORD.decode()}):")
        for key, agency in agencies.items():
            material = _active_material(agency)
            if material is None or not _issued_by_any(material.certificate, anchors):
                # Never write out a key that is not a demo key.
                self.stdout.write(self.style.WARNING(f"  {key}: its active key is not a demo key"))
                continue
            self._write_agency_files(out, key, material)
            self.stdout.write(
                f"  {key:<5} {material.certificate.subject.rfc4514_string()} "
                f"sha256={fingerprint_sha256(material.certificate)[:16]}…"
            )

    def _demo_anchors(self) -> list[x509.Certificate]:
        anchors = TrustAnchor.objects.filter(name=DEMO_CA_NAME, is_active=True).order_by("pk")
        return [load_certificate(anchor.certificate_pem.encode("ascii")) for anchor in anchors]

    def _demo_ca(self, out: Path, anchors: list[x509.Certificate]) -> IssuedCertificate:
        """Return the demo CA with its key: the one on file if it is still trusted, or a new one."""
        key_file = out / "demo-ca.key.pem"
        if key_file.exists():
            key = load_private_key(key_file.read_bytes())
            for anchor in reversed(anchors):
                usable = anchor.not_valid_after_utc - RENEW_BEFORE > timezone.now()
                if usable and public_keys_match(key, anchor):
                    return IssuedCertificate(certificate=anchor, private_key=key)
        ca = make_ca(DEMO_CA_NAME)
        trust_anchor_import(pem=ca.certificate_pem(), name=DEMO_CA_NAME, actor=ACTOR)
        _write(key_file, ca.private_key_pem(), private=True)
        self.stdout.write(f"New demo CA {fingerprint_sha256(ca.certificate)[:16]}…")
        return ca

    def _issue(self, ca: IssuedCertificate, agency: Agency, kind: KeyKind) -> None:
        issued = issue_certificate(
            ca,
            common_name=f"{agency.abbreviation or agency.key} demo signer",
            organization=agency.name_th,
            kind=kind,
        )
        agency_signing_key_import(
            agency=agency,
            key_data=issued.private_key_pem(),
            certificate_data=issued.certificate_pem(),
            password=None,
            actor=ACTOR,
        )

    def _issue_encryption(self, ca: IssuedCertificate, agency: Agency) -> None:
        # Secret letters (ลับ, ลับมาก) are encrypted to this certificate; RSA for RSA-OAEP.
        issued = issue_certificate(
            ca,
            common_name=f"{agency.abbreviation or agency.key} demo secret-letter encryption",
            organization=agency.name_th,
            kind="rsa",
            encryption=True,
        )
        agency_encryption_key_import(
            agency=agency,
            key_data=issued.private_key_pem(),
            certificate_data=issued.certificate_pem(),
            password=None,
            actor=ACTOR,
        )

    def _write_agency_files(self, out: Path, key: str, material: SigningMaterial) -> None:
        certificate, private_key = material.certificate, material.private_key
        _write(out / f"{key}.cert.pem", _pem(certificate), private=False)
        _write(out / f"{key}.key.pem", _key_pem(private_key), private=True)
        p12 = out / f"{key}.p12"
        # PKCS#12 encryption uses a fresh salt each time: keep the file when it already holds
        # this key and certificate, so that a second run leaves every file as it was.
        if not _p12_holds(p12, private_key, certificate):
            _write(
                p12,
                pkcs12.serialize_key_and_certificates(
                    key.encode("ascii"),
                    private_key,
                    certificate,
                    None,
                    serialization.BestAvailableEncryption(P12_PASSWORD),
                ),
                private=True,
            )


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _active_material(agency: Agency) -> SigningMaterial | None:
    try:
        return signing_material_for(agency)
    except NoSigningKey:
        return None


def _active_encryption_certificate(agency: Agency) -> x509.Certificate | None:
    row = (
        AgencyEncryptionKey.objects.filter(agency=agency, is_active=True)
        .select_related("certificate")
        .first()
    )
    return load_certificate(row.certificate.certificate_pem.encode("ascii")) if row else None


def _issued_by_any(certificate: x509.Certificate, anchors: list[x509.Certificate]) -> bool:
    for anchor in anchors:
        try:
            certificate.verify_directly_issued_by(anchor)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


def _p12_holds(path: Path, key: PrivateKey, certificate: x509.Certificate) -> bool:
    if not path.exists():
        return False
    try:
        bundle = pkcs12.load_pkcs12(path.read_bytes(), P12_PASSWORD)
    except ValueError:
        return False
    return (
        bundle.cert is not None
        and bundle.cert.certificate == certificate
        and isinstance(bundle.key, PrivateKey)
        and _key_pem(bundle.key) == _key_pem(key)
    )


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Replace the file atomically, and only when its bytes change."""
    if path.exists() and path.read_bytes() == data:
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o600 if private else 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
