"""The envelope's content as plain, typed data: what is built, signed, and read back.

Nothing here touches the database; the exchange services translate models to and from these.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import StrEnum

PROTOCOL_VERSION = "1.0"
NAMESPACE = "urn:th:saraban-hub:envelope:1.0"


class MessageType(StrEnum):
    LETTER = "letter"
    RECEIPT = "receipt"  # ตอบรับ: received and verified
    REGISTRATION = "registration"  # แจ้งเลขรับ
    REJECTION = "rejection"  # ปฏิเสธ
    WRONG_RECIPIENT = "wrong-recipient"  # แจ้งหนังสือผิด
    WITHDRAWAL = "withdrawal"  # ถอนเพื่อส่งใหม่ (sent by the sender)
    RECEIVE_NUMBER_DISPUTE = "receive-number-dispute"  # แจ้งเลขรับผิด (sent by the sender)


ACKNOWLEDGEMENT_TYPES = frozenset(MessageType) - {MessageType.LETTER}


@dataclass(frozen=True)
class Party:
    """An agency as the envelope names it: the hub's directory key plus the e-CMS codes."""

    agency_key: str
    name_th: str
    ecms_ministry_code: str = ""
    ecms_department_code: str = ""


@dataclass(frozen=True)
class Header:
    message_id: str
    message_type: MessageType
    created_at: datetime.datetime  # aware, UTC on the wire
    sender: Party
    recipient: Party
    conversation_id: str
    in_reply_to: str = ""
    protocol_version: str = PROTOCOL_VERSION


@dataclass(frozen=True)
class LetterNumberData:
    ministry_code: str
    unit_number: str
    running: int | None
    series: str = "normal"
    sub_agency_code: str = ""
    series_mark: str = ""
    year: int | None = None
    text: str = ""  # as printed, with the sender's digits


@dataclass(frozen=True)
class ReferenceData:
    number_text: str
    date: datetime.date | None = None
    subject: str = ""


@dataclass(frozen=True)
class DistributionEntry:
    party: Party
    role: str = "to"  # "to" or "cc" (สำเนาส่ง, informational)
    addressee: str = ""


@dataclass(frozen=True)
class LetterData:
    kind: str
    number: LetterNumberData
    date: datetime.date
    subject: str
    urgency: str
    secrecy: str
    salutation: str = ""
    addressee: str = ""
    references: tuple[ReferenceData, ...] = ()
    body: str = ""
    closing: str = ""
    signer_name: str = ""
    signer_position: str = ""
    owning_unit: str = ""
    phone: str = ""
    email: str = ""
    urgent_deadline: datetime.datetime | None = None
    distribution: tuple[DistributionEntry, ...] = ()


@dataclass(frozen=True)
class ManifestEntry:
    """One file travelling beside the XML (multipart), never inside it."""

    attachment_id: str
    role: str  # "main" or "enclosure"
    name: str
    media_type: str
    size: int
    sha256: str
    description: str = ""


@dataclass(frozen=True)
class AcknowledgementData:
    """What a recipient (or, for withdrawal and dispute, the sender) says about a letter."""

    acknowledged_message_id: str
    acknowledged_envelope_sha256: str
    at: datetime.datetime
    receive_number: str = ""  # registration: the recipient's เลขทะเบียนรับ as printed
    receive_year: int | None = None
    reason_code: str = ""  # rejection, wrong-recipient, withdrawal, dispute
    reason: str = ""
    disputed_number: str = ""  # receive-number-dispute: the number the sender contests


@dataclass(frozen=True)
class KeyWrap:
    """The content key of a secret letter, RSA-OAEP-SHA256-encrypted to one agency's
    encryption certificate (named by its SHA-256 fingerprint)."""

    agency_key: str
    certificate_sha256: str
    wrapped_key: bytes


@dataclass(frozen=True)
class EncryptedLetterData:
    """A secret letter (ลับ, ลับมาก) as it travels: what the registers need in the clear, the
    rest (subject, body, signer, files' names and types...) only inside ``ciphertext``.

    ``ciphertext`` is AES-256-GCM over the canonical ``SecretContent`` XML (see
    ``encryption.py``); the files travel beside the XML, each encrypted on its own.
    """

    number: LetterNumberData
    date: datetime.date
    urgency: str
    secrecy: str
    key_wraps: tuple[KeyWrap, ...]
    ciphertext: bytes
    urgent_deadline: datetime.datetime | None = None


@dataclass(frozen=True)
class SecretFileEntry:
    """What the manifest would say of a file of a secret letter; travels encrypted."""

    attachment_id: str
    role: str
    name: str
    media_type: str
    size: int
    sha256: str  # of the plaintext
    description: str = ""


@dataclass(frozen=True)
class SecretContent:
    """The plaintext inside an EncryptedLetter: the whole letter and its files' facts."""

    letter: LetterData
    files: tuple[SecretFileEntry, ...] = ()


@dataclass(frozen=True)
class Envelope:
    header: Header
    letter: LetterData | None = None
    encrypted_letter: EncryptedLetterData | None = None
    acknowledgement: AcknowledgementData | None = None
    manifest: tuple[ManifestEntry, ...] = field(default_factory=tuple)
