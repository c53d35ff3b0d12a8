"""Keep an agency's own secret letter (ลับ, ลับมาก) encrypted in its rows, from the first save.

A secret draft's subject, body, signer, references' subjects and files never reach the
database or the storage in the clear: the row holds the placeholder subject and empty content
fields, the content is a ``SealedContent`` box wrapped to the agency's own encryption
certificate, and each file is stored as ciphertext under a key kept in the box
(letters/sealing.py; docs/security.md, "The sender's copy").

The functions here work inside the caller's transaction and audit nothing themselves: editing,
numbering and sending unseal to do their work (the plaintext stays in memory for that call);
showing the content to a person goes through the audited ``secret_letter_open``.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from cryptography import x509
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, AgencyEncryptionKey
from agencies.pki.errors import NoEncryptionCertificate, NoEncryptionKey
from agencies.pki.keystore import encryption_material_for
from agencies.pki.selectors import agency_encryption_certificate
from letters.errors import SecretContentUnreadable, SecretHoldingUnavailable
from letters.models import Attachment, Letter, SealedContent
from letters.models.sealed import SECRET_PLACEHOLDER_SUBJECT
from letters.sealing import (
    SealedBox,
    SealedFile,
    SealedPayload,
    SealUnreadable,
    box_associated_data,
    box_open,
    box_seal,
    certificate_fingerprint,
    file_associated_data,
    file_open,
    file_seal,
    payload_from_bytes,
    payload_to_bytes,
)

# The content of a letter: sealed in a secret letter's own rows, and written as "[ลับ]" in the
# audit snapshots of secret letters, because auditors read the audit trail across agencies
# and the chain can never be scrubbed (docs/security.md).
SECRET_CONTENT_FIELDS = (
    "subject",
    "salutation",
    "addressee",
    "body",
    "closing",
    "signer_name",
    "signer_position",
    "owning_unit",
    "phone",
    "email",
)
SEALED_MEDIA_TYPE = "application/octet-stream"


def sealing_certificate(
    *, agency: Agency, now: datetime.datetime | None = None
) -> x509.Certificate:
    """The certificate the agency's own secret letters are sealed to: its newest valid
    encryption certificate, provided the hub holds its key (a box nobody here can open would
    lose the letter). Raise ``SecretHoldingUnavailable`` otherwise, before anything is stored.
    """
    try:
        certificate = agency_encryption_certificate(agency=agency, now=now or timezone.now())
    except NoEncryptionCertificate as exc:
        raise SecretHoldingUnavailable(details={"agency": agency.key}) from exc
    if not AgencyEncryptionKey.objects.filter(
        agency=agency, certificate__fingerprint_sha256=certificate_fingerprint(certificate)
    ).exists():
        raise SecretHoldingUnavailable(details={"agency": agency.key, "reason": "no key"})
    return certificate


def storage_name(attachment: Attachment) -> str:
    """The stored file's name: what a sealed file's facts are keyed by in the box."""
    name = attachment.file.name
    if not name:
        raise SecretContentUnreadable(details={"attachment": attachment.pk, "reason": "no file"})
    return name


def letter_holds_sealed(letter: Letter) -> bool:
    """Say whether the letter's own content is sealed (a secret letter its agency wrote)."""
    return SealedContent.objects.filter(letter_id=letter.pk).exists()


def content_take(letter: Letter) -> dict[str, str]:
    """Take the content fields off an unsaved (or about to be saved) row: return them and leave
    the placeholder subject and empty fields, so the plaintext is never written."""
    taken = {name: getattr(letter, name) for name in SECRET_CONTENT_FIELDS}
    for name in SECRET_CONTENT_FIELDS:
        setattr(letter, name, "")
    letter.subject = SECRET_PLACEHOLDER_SUBJECT
    return taken


def content_restore(letter: Letter, payload: SealedPayload) -> None:
    """Put the sealed content back on a row instance (for a letter made ordinary again, or an
    unsaved copy to build an envelope or fill a form from)."""
    for name in SECRET_CONTENT_FIELDS:
        setattr(letter, name, payload.fields.get(name, ""))


def seal_locked(*, letter: Letter, payload: SealedPayload) -> None:
    """Seal the content into the letter's box (a new key each time), in the caller's
    transaction; the row must already hold only the placeholder."""
    certificate = sealing_certificate(agency=letter.agency)
    box = box_seal(
        payload_to_bytes(payload),
        certificate=certificate,
        associated_data=box_associated_data(agency_key=letter.agency.key, letter_pk=letter.pk),
    )
    SealedContent.objects.update_or_create(
        letter=letter,
        defaults={
            "certificate_sha256": box.certificate_sha256,
            "wrapped_key": box.wrapped_key,
            "ciphertext": box.ciphertext,
            "sealed_at": timezone.now(),
        },
    )


def sealed_read(letter: Letter) -> SealedPayload:
    """Open the letter's box with the agency's key, for the one call that needs it.

    Raise ``SecretContentUnreadable`` when the box does not open (altered bytes, a box moved
    from another letter, a key that is gone): nothing is guessed.
    """
    row = SealedContent.objects.filter(letter_id=letter.pk).first()
    if row is None:
        raise SecretContentUnreadable(details={"letter": letter.pk, "reason": "not sealed"})
    try:
        material = encryption_material_for(
            agency=letter.agency, fingerprint_sha256=row.certificate_sha256
        )
        plaintext = box_open(
            SealedBox(
                certificate_sha256=row.certificate_sha256,
                wrapped_key=bytes(row.wrapped_key),
                ciphertext=bytes(row.ciphertext),
            ),
            private_key=material.private_key,
            associated_data=box_associated_data(agency_key=letter.agency.key, letter_pk=letter.pk),
        )
        return payload_from_bytes(plaintext)
    except NoEncryptionKey as exc:
        raise SecretContentUnreadable(details={"letter": letter.pk, "reason": "no key"}) from exc
    except SealUnreadable as exc:
        raise SecretContentUnreadable(details={"letter": letter.pk, "reason": "box"}) from exc


def sealed_file_read(attachment: Attachment, files: Mapping[str, SealedFile]) -> bytes:
    """Decrypt one sealed file and check it against its sealed size and SHA-256."""
    facts = files.get(storage_name(attachment))
    if facts is None:
        raise SecretContentUnreadable(details={"attachment": attachment.pk, "reason": "no key"})
    with attachment.file.open("rb") as stream:
        ciphertext = stream.read()
    try:
        data = file_open(
            ciphertext,
            key=facts.key,
            associated_data=file_associated_data(agency_key=attachment.letter.agency.key),
        )
    except SealUnreadable as exc:
        raise SecretContentUnreadable(details={"attachment": attachment.pk}) from exc
    if len(data) != facts.size or hashlib.sha256(data).hexdigest() != facts.sha256:
        raise SecretContentUnreadable(details={"attachment": attachment.pk, "reason": "digest"})
    return data


def _replace_file(attachment: Attachment, data: bytes, *, suffix: str) -> None:
    """Store new bytes for an attachment row; the old file goes once the change commits (a
    rollback keeps the row pointing at the old one, and the sweep removes the new orphan)."""
    old_name = storage_name(attachment)
    storage = attachment.file.storage
    attachment.file.save(f"{uuid.uuid4().hex}{suffix}", ContentFile(data), save=False)
    attachment.size = len(data)
    attachment.sha256 = hashlib.sha256(data).hexdigest()
    transaction.on_commit(lambda: storage.delete(old_name))


def attachments_seal(attachments: Iterable[Attachment], *, agency: Agency) -> dict[str, SealedFile]:
    """Encrypt files stored in the clear (a draft just made secret); return their sealed facts
    by their new storage names. In the caller's transaction."""
    sealed: dict[str, SealedFile] = {}
    for attachment in attachments:
        if attachment.sealed:
            continue
        with attachment.file.open("rb") as stream:
            plaintext = stream.read()
        key, ciphertext = file_seal(
            plaintext, associated_data=file_associated_data(agency_key=agency.key)
        )
        facts = SealedFile(
            key=key,
            name=attachment.name,
            media_type=attachment.media_type,
            size=len(plaintext),
            sha256=hashlib.sha256(plaintext).hexdigest(),
            description=attachment.description,
        )
        _replace_file(attachment, ciphertext, suffix=".bin")
        sealed[storage_name(attachment)] = facts
        attachment.name = sealed_file_name()
        attachment.media_type, attachment.description, attachment.sealed = (
            SEALED_MEDIA_TYPE,
            "",
            True,
        )
        attachment.save()
    return sealed


def attachments_unseal(
    attachments: Iterable[Attachment], *, files: Mapping[str, SealedFile]
) -> None:
    """Decrypt a draft's sealed files back into the clear (a draft made ordinary again)."""
    for attachment in attachments:
        if not attachment.sealed:
            continue
        facts = files.get(storage_name(attachment))
        data = sealed_file_read(attachment, files)
        assert facts is not None  # sealed_file_read refuses a file without sealed facts
        _replace_file(attachment, data, suffix="")
        attachment.name, attachment.media_type = facts.name, facts.media_type
        attachment.description, attachment.sealed = facts.description, False
        attachment.save()


def sealed_add_files(*, letter: Letter, files: Mapping[str, SealedFile]) -> None:
    """Add files' sealed facts to the letter's box (a file attached to a secret draft)."""
    payload = sealed_read(letter)
    seal_locked(letter=letter, payload=replace(payload, files={**payload.files, **files}))


def sealed_file_name() -> str:
    """A sealed file's row name: neutral, since the real name is content."""
    return f"{uuid.uuid4().hex[:12]}.bin"


@dataclass(frozen=True)
class SealedLetterView:
    """A sealed letter opened for one call: an unsaved copy of the row carrying the content,
    the references' subjects, and each file's real facts and bytes (by attachment pk)."""

    letter: Letter
    reference_subjects: tuple[str, ...]
    files: tuple[tuple[Attachment, SealedFile, bytes], ...]


def sealed_letter_view(letter: Letter, *, only: Sequence[int] | None = None) -> SealedLetterView:
    """Open the letter's box and (all, or ``only`` those) files; nothing is written."""
    payload = sealed_read(letter)
    shown = copy.copy(letter)  # an unsaved copy: the row itself keeps only the placeholder
    content_restore(shown, payload)
    files = []
    for attachment in letter.attachments.order_by("position", "pk"):
        if only is not None and attachment.pk not in only:
            continue
        facts = payload.files.get(storage_name(attachment))
        if facts is None:
            raise SecretContentUnreadable(details={"attachment": attachment.pk, "reason": "no key"})
        files.append((attachment, facts, sealed_file_read(attachment, payload.files)))
    return SealedLetterView(
        letter=shown, reference_subjects=payload.reference_subjects, files=tuple(files)
    )
