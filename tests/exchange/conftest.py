"""Envelope fixtures: a demo CA, agencies' signing certificates, and an in-memory directory.

Keys are generated once per test session: RSA key generation costs ~100 ms each.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pytest
from cryptography import x509

from agencies.pki.issuing import IssuedCertificate, issue_certificate, make_ca
from agencies.pki.keystore import signing_material_cache_clear
from agencies.pki.services import (
    agency_encryption_key_import,
    agency_signing_key_import,
    trust_anchor_import,
)
from agencies.pki.validation import TrustMaterial
from exchange.envelope import (
    AcknowledgementData,
    DistributionEntry,
    Envelope,
    Header,
    ManifestEntry,
    MessageType,
    Party,
)
from exchange.examples import example_letter

ETDA = Party("etda", "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์", "11", "11007")
SOC = Party("soc", "สำนักเลขาธิการคณะรัฐมนตรี")
DGA = Party("dga", "สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)")


@dataclass
class MemoryDirectory:
    """The SenderDirectory protocol over plain dicts, for tests of the pure verifier."""

    certificates: dict[str, list[x509.Certificate]]
    trust: TrustMaterial
    served: set[str] = field(default_factory=lambda: {"soc", "etda", "dga"})

    def agency_exists(self, agency_key: str) -> bool:
        return agency_key in self.certificates

    def signing_certificates(self, agency_key: str) -> Sequence[x509.Certificate]:
        return self.certificates.get(agency_key, [])

    def trust_material(self) -> TrustMaterial:
        return self.trust

    def serves(self, agency_key: str) -> bool:
        return agency_key in self.served


@dataclass(frozen=True)
class Pki:
    ca: IssuedCertificate
    etda: IssuedCertificate  # RSA-2048
    dga: IssuedCertificate  # ECDSA P-256
    soc: IssuedCertificate  # RSA-2048
    etda_encryption: IssuedCertificate  # RSA-2048, keyEncipherment (secret letters)
    soc_encryption: IssuedCertificate

    def directory(self, **overrides) -> MemoryDirectory:
        certificates = {
            "etda": [self.etda.certificate],
            "dga": [self.dga.certificate],
            "soc": [self.soc.certificate],
        }
        return MemoryDirectory(
            certificates=overrides.pop("certificates", certificates),
            trust=overrides.pop("trust", TrustMaterial(anchors=(self.ca.certificate,))),
            **overrides,
        )


@pytest.fixture(scope="session")
def pki() -> Pki:
    ca = make_ca("Saraban Hub Test CA")
    return Pki(
        ca=ca,
        etda=issue_certificate(ca, common_name="สพธอ. signer", organization=ETDA.name_th),
        dga=issue_certificate(ca, common_name="สพร. signer", organization=DGA.name_th, kind="ec"),
        soc=issue_certificate(ca, common_name="สลค. signer", organization=SOC.name_th),
        etda_encryption=issue_certificate(
            ca, common_name="สพธอ. secret letters", organization=ETDA.name_th, encryption=True
        ),
        soc_encryption=issue_certificate(
            ca, common_name="สลค. secret letters", organization=SOC.name_th, encryption=True
        ),
    )


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def letter_envelope(
    *,
    sender: Party = ETDA,
    recipient: Party = SOC,
    created_at: datetime.datetime | None = None,
    secrecy: str = "001",
    manifest: tuple[ManifestEntry, ...] = (),
    subject: str = "ข้อเสนอในการปรับปรุงการออกเอกสารหลักฐานของทางราชการผ่านระบบดิจิทัล",
) -> Envelope:
    """The ETDA sample letter of docs/examples as a fresh envelope (real Thai, Thai digits)."""
    sample = example_letter().letter
    assert sample is not None
    return Envelope(
        header=Header(
            message_id=str(uuid.uuid4()),
            message_type=MessageType.LETTER,
            created_at=created_at or now(),
            sender=sender,
            recipient=recipient,
            conversation_id=str(uuid.uuid4()),
        ),
        letter=replace(
            sample,
            subject=subject,
            secrecy=secrecy,
            distribution=(DistributionEntry(party=recipient, addressee="เลขาธิการคณะรัฐมนตรี"),),
        ),
        manifest=manifest,
    )


def acknowledgement_envelope(
    message_type: MessageType, *, sender: Party = SOC, recipient: Party = ETDA
) -> Envelope:
    return Envelope(
        header=Header(
            message_id=str(uuid.uuid4()),
            message_type=message_type,
            created_at=now(),
            sender=sender,
            recipient=recipient,
            conversation_id=str(uuid.uuid4()),
            in_reply_to=str(uuid.uuid4()),
        ),
        acknowledgement=AcknowledgementData(
            acknowledged_message_id=str(uuid.uuid4()),
            acknowledged_envelope_sha256="ab" * 32,
            at=now(),
            receive_number="๑๒๓" if message_type == MessageType.REGISTRATION else "",
            receive_year=2026 if message_type == MessageType.REGISTRATION else None,
            reason_code="wrong-subject" if message_type == MessageType.REJECTION else "",
            reason=""
            if message_type in (MessageType.RECEIPT, MessageType.REGISTRATION)
            else "ส่งผิดส่วนราชการ กรุณาตรวจสอบ",
            disputed_number="๑๒๓" if message_type == MessageType.RECEIVE_NUMBER_DISPUTE else "",
        ),
    )


def install_keys(pki, etda, soc):
    """Trust the test CA and install ETDA's and SOC's signing keys and secret-letter
    encryption keys (hosted agencies)."""
    signing_material_cache_clear()
    trust_anchor_import(pem=pki.ca.certificate_pem(), name="Test CA", actor="test")
    for agency, signer in ((etda, pki.etda), (soc, pki.soc)):
        agency_signing_key_import(
            agency=agency,
            key_data=signer.private_key_pem(),
            certificate_data=signer.certificate_pem(),
            password=None,
            actor="test",
        )
    for agency, encryption in ((etda, pki.etda_encryption), (soc, pki.soc_encryption)):
        agency_encryption_key_import(
            agency=agency,
            key_data=encryption.private_key_pem(),
            certificate_data=encryption.certificate_pem(),
            password=None,
            actor="test",
        )


@pytest.fixture
def hosted(db, pki, etda, soc, settings, tmp_path):
    """ETDA and SOC hosted here, each with its signing key installed under the test CA."""
    settings.MEDIA_ROOT = tmp_path
    install_keys(pki, etda, soc)
    return etda, soc


@pytest.fixture
def hosted_committed(transactional_db, pki, etda, soc):
    """The same, committed, for tests where another process (a worker) reads the database."""
    install_keys(pki, etda, soc)
    return etda, soc
