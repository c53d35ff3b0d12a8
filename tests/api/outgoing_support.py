"""Shared by the outgoing-letter API tests: a test PKI, a real small PDF, and shortcuts.

Plain functions, not fixtures: each test module declares the few fixtures it needs, so that
this file can be imported without pytest's fixture-import tricks.
"""

from __future__ import annotations

import functools
import hashlib

from agencies.models import Agency
from agencies.pki.issuing import issue_certificate, make_ca
from exchange.models import Delivery
from exchange.services.outbox import delivery_attempt
from tests.exchange.conftest import Pki, install_keys


def _real_pdf() -> bytes:
    """A one-page PDF 1.4 with a correct cross-reference table (opens in any viewer)."""
    content = b"BT /F1 18 Tf 72 720 Td (Saraban Exchange Hub test letter) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


PDF = _real_pdf()
PDF_NAME = "หนังสือเชิญประชุม ครั้งที่ ๑-๒๕๖๙.pdf"
ENCLOSURE = "รายชื่อผู้เข้าร่วมประชุม ๒๕ คน\nนายสมชาย ใจดี\nนางสาวสมหญิง รักชาติ\n".encode()
ENCLOSURE_NAME = "สิ่งที่ส่งมาด้วย ๑ รายชื่อ.txt"
SUBJECT = "ขอเชิญประชุมคณะกรรมการพัฒนารัฐบาลดิจิทัล ครั้งที่ ๑/๒๕๖๙"


@functools.cache
def hub_pki() -> Pki:
    """A test CA and signing certificates for ETDA, SOC and DGA (generated once per run)."""
    ca = make_ca("Saraban Hub API Test CA")
    return Pki(
        ca=ca,
        etda=issue_certificate(ca, common_name="สพธอ. signer", organization="สพธอ."),
        dga=issue_certificate(ca, common_name="สพร. signer", organization="สพร.", kind="ec"),
        soc=issue_certificate(ca, common_name="สลค. signer", organization="สลค."),
        etda_encryption=issue_certificate(
            ca, common_name="สพธอ. secret letters", organization="สพธอ.", encryption=True
        ),
        soc_encryption=issue_certificate(
            ca, common_name="สลค. secret letters", organization="สลค.", encryption=True
        ),
    )


def host_with_keys(etda: Agency, soc: Agency) -> Pki:
    """Trust the test CA and give the hub ETDA's and SOC's signing keys (both hosted here)."""
    pki = hub_pki()
    install_keys(pki, etda, soc)
    return pki


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def letter_metadata(**overrides: object) -> dict[str, object]:
    """The JSON metadata of ETDA's invitation to SOC, as ETDA's system would send it."""
    metadata: dict[str, object] = {
        "subject": SUBJECT,
        "urgency": "004",
        "secrecy": "001",
        "salutation": "เรียน",
        "addressee": "เลขาธิการคณะรัฐมนตรี",
        "body": "ด้วยสำนักงานฯ กำหนดจัดประชุมในวันที่ ๒๒ เมษายน ๒๕๖๙ จึงเรียนมาเพื่อโปรดพิจารณา",
        "closing": "ขอแสดงความนับถือ",
        "signer_name": "นายทดสอบ ระบบดี",
        "signer_position": "ผู้อำนวยการสำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์",
        "owning_unit": "สำนักกฎหมาย",
        "phone": "๐ ๒๑๒๓ ๑๒๓๔",
        "email": "saraban@etda.or.th",
        "recipients": [
            {"agency": "soc", "role": "to", "addressee": "เลขาธิการคณะรัฐมนตรี"},
        ],
        "references": [
            {
                "number_text": "นร ๐๕๐๖/ว(ล) ๑๑๕๖๑",
                "date": "2026-03-02",
                "subject": "การปรับปรุงการออกเอกสารหลักฐานของทางราชการ",
            }
        ],
    }
    metadata.update(overrides)
    return metadata


def deliver(delivery_id: int) -> str:
    """Run one delivery the way the Celery task does (tests call the task body directly)."""
    return delivery_attempt(delivery_id=delivery_id)


def deliver_pending() -> list[str]:
    """Try every delivery once, oldest first (acknowledgements queued by the way included)."""
    return [deliver(pk) for pk in Delivery.objects.order_by("id").values_list("pk", flat=True)]
