"""The examples in docs/examples/: one signed envelope of every type, with their PKI.

Business content, ids and times are fixed, so the signed content of a regenerated example is
identical to the committed one; only keys and signature values change. A test compares the two,
so the examples cannot drift from the format (tests/exchange/test_envelope_examples.py).
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from agencies.pki.issuing import IssuedCertificate, issue_certificate, make_ca

from .envelope import (
    AcknowledgementData,
    DistributionEntry,
    Envelope,
    Header,
    LetterData,
    LetterNumberData,
    ManifestEntry,
    MessageType,
    Party,
    ReferenceData,
    envelope_sign,
)

CREATED_AT = datetime.datetime(2026, 11, 29, 2, 0, tzinfo=datetime.UTC)
ETDA = Party("etda", "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์", "11", "11007")
SOC = Party("soc", "สำนักเลขาธิการคณะรัฐมนตรี")
# A tiny but well-formed PDF: examples must stay small and readable in a diff.
MAIN_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
MAIN_ID = "main-1"


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:th:saraban-hub:examples:{name}"))


def example_letter() -> Envelope:
    return Envelope(
        header=Header(
            message_id=_id("letter"),
            message_type=MessageType.LETTER,
            created_at=CREATED_AT,
            sender=ETDA,
            recipient=SOC,
            conversation_id=_id("conversation"),
        ),
        letter=LetterData(
            kind="external",
            number=LetterNumberData(
                ministry_code="ดศ",
                sub_agency_code="สพขอ",
                unit_number="511.04",
                running=335,
                year=2020,
                text="ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕",
            ),
            date=datetime.date(2020, 4, 22),
            subject=(
                "ข้อเสนอในการปรับปรุงการออกเอกสารหลักฐานของทางราชการผ่านระบบดิจิทัล "
                "และแนวปฏิบัติในการรับ - ส่งหนังสือราชการทางอิเล็กทรอนิกส์"
                "ระหว่างส่วนราชการที่เป็นนิติบุคคล"
            ),
            urgency="004",
            secrecy="001",
            salutation="เรียน",
            addressee="เลขาธิการคณะรัฐมนตรี",
            references=(
                ReferenceData(
                    number_text="นร ๐๕๐๖/ว(ล) ๑๑๕๖๑",
                    date=datetime.date(2020, 4, 15),
                    subject="ขอความเห็นประกอบการพิจารณาของคณะรัฐมนตรี (เรื่องที่ ๓)",
                ),
            ),
            body=("สพธอ. เห็นชอบในหลักการของข้อเสนอ และเสนอให้เริ่มกับหน่วยงานนำร่อง ๒๐ หน่วยงาน ๕๗ ใบอนุญาต"),
            closing="ขอแสดงความนับถือ",
            signer_name="นายชัยชนะ มิตรพันธ์",
            signer_position=("รองผู้อำนวยการ ปฏิบัติหน้าที่แทน ผู้อำนวยการสำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"),
            owning_unit="สำนักกฎหมาย",
            phone="0 2123 1234 ต่อ 90700",
            email="ictlawcenter@eta.or.th",
            distribution=(DistributionEntry(party=SOC, addressee="เลขาธิการคณะรัฐมนตรี"),),
        ),
        manifest=(
            ManifestEntry(
                attachment_id=MAIN_ID,
                role="main",
                name="หนังสือ สพธอ. ถึง สลค. ๒๒ เม.ย. ๒๕๖๓.pdf",
                media_type="application/pdf",
                size=len(MAIN_PDF),
                sha256=hashlib.sha256(MAIN_PDF).hexdigest(),
            ),
        ),
    )


def example_acknowledgement(message_type: MessageType, *, letter_sha256: str) -> Envelope:
    """An acknowledgement of the example letter; withdrawal and dispute come from the sender."""
    from_sender = message_type in (MessageType.WITHDRAWAL, MessageType.RECEIVE_NUMBER_DISPUTE)
    reasons = {
        MessageType.REJECTION: ("incomplete", "ไม่พบสิ่งที่ส่งมาด้วยตามที่อ้างในหนังสือ"),
        MessageType.WRONG_RECIPIENT: ("not-our-matter", "เรื่องนี้อยู่ในอำนาจของสำนักงาน ก.พ.ร."),
        MessageType.WITHDRAWAL: ("resend", "ถอนหนังสือเพื่อแก้ไขและส่งใหม่"),
        MessageType.RECEIVE_NUMBER_DISPUTE: ("wrong-number", "เลขรับที่แจ้งไม่ตรงกับทะเบียน"),
    }
    code, reason = reasons.get(message_type, ("", ""))
    return Envelope(
        header=Header(
            message_id=_id(message_type.value),
            message_type=message_type,
            created_at=CREATED_AT + datetime.timedelta(minutes=5),
            sender=ETDA if from_sender else SOC,
            recipient=SOC if from_sender else ETDA,
            conversation_id=_id("conversation"),
            in_reply_to=_id("letter"),
        ),
        acknowledgement=AcknowledgementData(
            acknowledged_message_id=_id("letter"),
            acknowledged_envelope_sha256=letter_sha256,
            at=CREATED_AT + datetime.timedelta(minutes=4),
            receive_number="๑๑๒๓" if message_type == MessageType.REGISTRATION else "",
            receive_year=2026 if message_type == MessageType.REGISTRATION else None,
            reason_code=code,
            reason=reason,
            disputed_number="๑๑๒๓" if message_type == MessageType.RECEIVE_NUMBER_DISPUTE else "",
        ),
    )


@dataclass(frozen=True)
class ExamplePki:
    ca: IssuedCertificate
    etda: IssuedCertificate
    soc: IssuedCertificate


def example_pki() -> ExamplePki:
    start = CREATED_AT - datetime.timedelta(days=1)
    ca = make_ca("Saraban Hub Example CA", valid_from=start, days=7300)
    return ExamplePki(
        ca=ca,
        etda=issue_certificate(
            ca,
            common_name="สพธอ. (examples)",
            organization=ETDA.name_th,
            valid_from=start,
            days=7300,
        ),
        soc=issue_certificate(
            ca, common_name="สลค. (examples)", organization=SOC.name_th, valid_from=start, days=7300
        ),
    )


def example_envelopes(pki: ExamplePki) -> dict[str, bytes]:
    """Sign the example letter and one acknowledgement of each type; return name -> bytes."""
    letter = envelope_sign(
        example_letter(), key=pki.etda.private_key, certificate=pki.etda.certificate
    )
    files = {"letter.xml": letter}
    letter_sha256 = hashlib.sha256(letter).hexdigest()
    for message_type in MessageType:
        if message_type == MessageType.LETTER:
            continue
        envelope = example_acknowledgement(message_type, letter_sha256=letter_sha256)
        signer = pki.etda if envelope.header.sender == ETDA else pki.soc
        files[f"{message_type.value}.xml"] = envelope_sign(
            envelope, key=signer.private_key, certificate=signer.certificate
        )
    return files


def examples_write(out: Path) -> list[Path]:
    """Write fresh examples, their certificates and the letter's attachment into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    pki = example_pki()
    files = {
        **example_envelopes(pki),
        "ca.pem": pki.ca.certificate_pem(),
        "etda.cert.pem": pki.etda.certificate_pem(),
        "soc.cert.pem": pki.soc.certificate_pem(),
        f"attachments/{MAIN_ID}": MAIN_PDF,
    }
    written = []
    for name, data in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
