"""Helpers of the secret-letter tests: build an encrypted letter as a sender's system does,
and look for plaintext wherever the hub keeps things (rows, envelope bytes, stored files)."""

from __future__ import annotations

import dataclasses
import datetime
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User

from agencies.models import Agency
from exchange.envelope import (
    Envelope,
    RecipientKey,
    SecretFile,
    envelope_sign,
    letter_encrypt,
)
from exchange.envelope.encryption import EncryptedEnvelope
from letters.models import AttachmentRole, Letter, Secrecy
from letters.services.attachments import attachment_add
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    ReferenceInput,
    letter_create_draft,
)
from tests.exchange.conftest import letter_envelope


def draft_secret_letter(
    *,
    sender: Agency,
    recipient: Agency,
    clerk: User,
    subject: str,
    body: str,
    signer_name: str,
    files: Sequence[SecretFile],
    references: Sequence[ReferenceInput] = (),
    secrecy: str = Secrecy.SECRET,
) -> Letter:
    """A clerk's draft of a secret letter with its files (``attachment_id`` is not used here:
    sending names the files itself)."""
    draft = letter_create_draft(
        agency=sender,
        actor=clerk,
        values=LetterFields(
            subject=subject,
            body=body,
            secrecy=secrecy,
            urgency="003",
            addressee="เลขาธิการคณะรัฐมนตรี",
            signer_name=signer_name,
            signer_position="ผู้อำนวยการสำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์",
            owning_unit="ฝ่ายความมั่นคงปลอดภัยสารสนเทศ",
        ),
        parts=LetterParts(
            recipients=[RecipientInput(agency=recipient, addressee="เลขาธิการคณะรัฐมนตรี")],
            references=list(references),
        ),
    )
    for file in files:
        attachment_add(
            letter=draft,
            actor=clerk,
            stream=io.BytesIO(file.data),
            name=file.name,
            media_type=file.media_type,
            role=AttachmentRole(file.role),
            description=file.description,
        )
    return draft


def encrypted_envelope(
    pki,
    *,
    secrecy: str = "003",
    created_at: datetime.datetime | None = None,
    subject: str | None = None,
    body: str | None = None,
    signer_name: str | None = None,
    files: Sequence[SecretFile] = (),
    recipient_certificate: x509.Certificate | None = None,
) -> EncryptedEnvelope:
    """ETDA's sample letter to SOC, encrypted to SOC's encryption certificate as ETDA's own
    system (or hub) does before signing (to ``recipient_certificate``, by default SOC's
    encryption certificate of the test PKI). ``secrecy="004"`` is forged in after encrypting:
    ``letter_encrypt`` itself never encrypts ลับที่สุด."""
    plain = letter_envelope(secrecy=secrecy if secrecy != "004" else "003", created_at=created_at)
    assert plain.letter is not None
    letter = plain.letter
    if subject is not None:
        letter = dataclasses.replace(letter, subject=subject)
    if body is not None:
        letter = dataclasses.replace(letter, body=body)
    if signer_name is not None:
        letter = dataclasses.replace(letter, signer_name=signer_name)
    encrypted = letter_encrypt(
        header=plain.header,
        letter=letter,
        files=files,
        recipients=[
            RecipientKey(
                agency_key="soc",
                certificate=recipient_certificate or pki.soc_encryption.certificate,
            )
        ],
    )
    if secrecy == "004":
        assert encrypted.envelope.encrypted_letter is not None
        forged = dataclasses.replace(encrypted.envelope.encrypted_letter, secrecy="004")
        encrypted = dataclasses.replace(
            encrypted, envelope=dataclasses.replace(encrypted.envelope, encrypted_letter=forged)
        )
    return encrypted


def signed_by_etda(pki, envelope: Envelope) -> bytes:
    """Sign as ETDA (its system or its hub: the same key)."""
    return envelope_sign(envelope, key=pki.etda.private_key, certificate=pki.etda.certificate)


def joined_text(values: Iterable[Any]) -> str:
    return " ".join(str(value) for value in values)


@dataclasses.dataclass(frozen=True)
class Stored:
    """What the hub keeps, flattened: every text value, and every binary value and file."""

    text: str
    data: bytes

    def found(self, secrets: Iterable[str | bytes], *, window: int = 12) -> list[str | bytes]:
        """The secrets present anywhere in it, or any ``window`` characters of a text secret
        (a shortened or quoted copy leaks too); empty when nothing leaked."""
        hits: list[str | bytes] = []
        for secret in secrets:
            if isinstance(secret, bytes):
                if secret in self.data:
                    hits.append(secret)
                continue
            pieces = [secret[i : i + window] for i in range(max(1, len(secret) - window + 1))]
            hits.extend(
                piece for piece in pieces if piece in self.text or piece.encode() in self.data
            )
        return hits


def _flatten(rows: Iterable[dict[str, Any]]) -> Stored:
    texts: list[str] = []
    blobs: list[bytes] = []
    for row in rows:
        for value in row.values():
            # BinaryField: bytes on SQLite, memoryview on PostgreSQL.
            if isinstance(value, bytes | memoryview):
                blobs.append(bytes(value))
            elif value is not None:
                texts.append(str(value))
    return Stored(text="\n".join(texts), data=b"\n".join(blobs))


def stored_rows(*querysets: Any) -> Stored:
    """The given querysets' rows (all columns)."""
    return _flatten(row for queryset in querysets for row in queryset.values())


def stored_everywhere() -> Stored:
    """Every row of every table and every file under MEDIA_ROOT: for a letter the hub never
    saw in the clear (encrypted by the sender's own system), none of it may hold plaintext."""
    rows = _flatten(row for model in apps.get_models() for row in model._base_manager.values())
    files = [path.read_bytes() for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    return Stored(text=rows.text, data=b"\n".join([rows.data, *files]))
