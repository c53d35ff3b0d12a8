"""Open a secret letter (ลับ, ลับมาก): decrypt on demand, log every try.

The copy's database row holds only the clear facts (number, date, urgency, secrecy). A letter
received stays encrypted as it arrived (the envelope bytes and the stored ciphertext); an
agency's own secret letter is sealed to its own encryption certificate from its first save
(letters/services/sealed.py). Only the holding agency's secret-registry officers open either,
with the agency's decryption key; every opening and every refused attempt is audited. A hub
administrator has no silent way in: ``secret_letter_break_glass`` needs a reason, is audited
and is listed to the agency."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from agencies.models import AgencyRole, HubRoleName
from agencies.pki.keystore import encryption_material_for
from agencies.selectors import user_has_agency_role, user_has_hub_role
from audit.services import audit_chain_lock, audit_record
from config.errors import HubError
from exchange.envelope import (
    Envelope,
    LetterData,
    ReferenceData,
    content_key_unwrap,
    file_decrypt,
    letter_decrypt,
)
from exchange.envelope.safe_xml import parse_xml
from exchange.envelope.xml_read import xml_to_envelope
from exchange.errors import BreakGlassReasonRequired, BreakGlassRefused, NotAnEncryptedLetter
from exchange.mapping import manifest_id, manifest_pairs
from exchange.models import BreakGlassAccess
from exchange.selectors import inbound_envelope_of_letter
from letters.errors import SecretContentRefused
from letters.models import Attachment, Letter
from letters.services.sealed import letter_holds_sealed, sealed_letter_view

BREAK_GLASS_REASON_MIN_CHARS = 20


@dataclass(frozen=True)
class OpenedFile:
    """One file of a secret letter, decrypted: the real name and type, and the bytes."""

    attachment_id: str  # the manifest's id
    stored_pk: int  # the Attachment row that holds its ciphertext
    role: str
    name: str
    media_type: str
    description: str
    data: bytes


@dataclass(frozen=True)
class OpenedSecretLetter:
    """The plaintext of a secret letter, for the one call that asked; never stored.

    ``letter`` is the decrypted letter of an envelope received, or an unsaved copy of the row
    carrying the sealed content of the agency's own letter: both have the content fields.
    """

    letter: LetterData | Letter
    files: tuple[OpenedFile, ...]
    # The references as the letter cites them (number, date, subject), in order.
    references: tuple[ReferenceData, ...] = ()


def _stored_envelope(letter: Letter) -> Envelope:
    inbound = inbound_envelope_of_letter(letter=letter)
    if inbound is None:
        raise NotAnEncryptedLetter(details={"letter": letter.pk})
    # These bytes were verified (signature, certificate, schema, policy) when they arrived and
    # are kept exactly as received; what decrypts below is also authenticated by AES-GCM with
    # the header bound in, so a stored byte changed since fails here rather than misleads.
    root = parse_xml(
        bytes(inbound.envelope),
        max_bytes=settings.HUB_ENVELOPE_MAX_BYTES,
        max_depth=settings.HUB_ENVELOPE_MAX_DEPTH,
    )
    envelope = xml_to_envelope(root)
    if envelope.encrypted_letter is None:
        raise NotAnEncryptedLetter(details={"letter": letter.pk})
    return envelope


def _open_sealed(letter: Letter, *, only: Attachment | None) -> OpenedSecretLetter:
    """The agency's own secret letter: its sealed content and files (letters/services/sealed)."""
    view = sealed_letter_view(letter, only=None if only is None else [only.pk])
    rows = letter.references.all()
    return OpenedSecretLetter(
        letter=view.letter,
        references=tuple(
            ReferenceData(number_text=row.number_text, date=row.date, subject=subject)
            for row, subject in zip(rows, view.reference_subjects, strict=False)
        ),
        files=tuple(
            OpenedFile(
                attachment_id=manifest_id(attachment),
                stored_pk=attachment.pk,
                role=attachment.role,
                name=facts.name,
                media_type=facts.media_type,
                description=facts.description,
                data=data,
            )
            for attachment, facts, data in view.files
        ),
    )


def _decrypt(letter: Letter, *, only: Attachment | None = None) -> OpenedSecretLetter:
    if letter_holds_sealed(letter):
        return _open_sealed(letter, only=only)
    only_id = secret_manifest_id(letter=letter, attachment=only) if only is not None else None
    envelope = _stored_envelope(letter)
    assert envelope.encrypted_letter is not None
    wraps = [w for w in envelope.encrypted_letter.key_wraps if w.agency_key == letter.agency.key]
    if not wraps:
        raise NotAnEncryptedLetter(details={"letter": letter.pk, "wrap": None})
    material = encryption_material_for(
        agency=letter.agency, fingerprint_sha256=wraps[0].certificate_sha256
    )
    key = content_key_unwrap(
        envelope,
        agency_key=letter.agency.key,
        private_key=material.private_key,
        certificate=material.certificate,
    )
    content = letter_decrypt(envelope, content_key=key)
    stored = manifest_pairs(envelope.manifest, letter.attachments.order_by("position", "pk"))
    files = []
    for entry in content.files:
        if only_id is not None and entry.attachment_id != only_id:
            continue
        held = stored[entry.attachment_id]
        with held.file.open("rb") as stream:
            data = file_decrypt(stream.read(), envelope=envelope, content_key=key, entry=entry)
        files.append(
            OpenedFile(
                attachment_id=entry.attachment_id,
                stored_pk=held.pk,
                role=entry.role,
                name=entry.name,
                media_type=entry.media_type,
                description=entry.description,
                data=data,
            )
        )
    return OpenedSecretLetter(
        letter=content.letter, files=tuple(files), references=content.letter.references
    )


def _refused(*, letter: Letter, user: User, action: str, target: Attachment | None = None) -> None:
    # A refused attempt is logged too: the regulation's log is of who tried, not only of who
    # succeeded. Committed on its own, before the refusal is raised.
    with transaction.atomic(durable=True):
        audit_chain_lock()
        audit_record(
            action=action,
            actor=user,
            agency=letter.agency,
            target=target if target is not None else letter,
            after={"letter": letter.pk, "secrecy": letter.secrecy, "decrypted": False},
        )


def _decrypt_logged(letter: Letter, *, user: User, target: Attachment | None) -> OpenedSecretLetter:
    """Decrypt; a failure (altered bytes, a missing key) is audited before it is raised: an
    officer's try that showed nothing is still a try, and altered ciphertext is an incident."""
    try:
        return _decrypt(letter, only=target)
    except HubError as error:
        with transaction.atomic(durable=True):
            audit_chain_lock()
            audit_record(
                action="letters.letter.secret_open_failed",
                actor=user,
                agency=letter.agency,
                target=target if target is not None else letter,
                after={"letter": letter.pk, "code": error.code, "details": error.details},
            )
        raise


def letter_held_encrypted(*, letter: Letter) -> bool:
    """Say whether the letter's copy holds only ciphertext: it came as an EncryptedLetter, or
    it is the agency's own secret letter, sealed."""
    if letter_holds_sealed(letter):
        return True
    inbound = inbound_envelope_of_letter(letter=letter)
    return inbound is not None and bool(inbound.evidence.get("encrypted"))


def secret_manifest_id(*, letter: Letter, attachment: Attachment) -> str:
    """The manifest id under which a stored ciphertext file travelled (its envelope's)."""
    envelope = _stored_envelope(letter)
    stored = manifest_pairs(envelope.manifest, letter.attachments.order_by("position", "pk"))
    for attachment_id, candidate in stored.items():
        if candidate.pk == attachment.pk:
            return attachment_id
    raise NotAnEncryptedLetter(details={"letter": letter.pk, "attachment": attachment.pk})


def secret_letter_open(
    *, letter: Letter, user: User, attachment: Attachment | None = None
) -> OpenedSecretLetter:
    """Decrypt a secret letter for a secret-registry officer of the agency holding it: a letter
    received encrypted, or the agency's own sealed letter (a draft, or one it sent).

    With ``attachment``, decrypt that one file only (a download). Anyone else is refused
    (``letters.secret_content_refused``) and the attempt is audited as
    ``letters.letter.secret_refused`` (``letters.attachment.secret_refused``); an opening is
    audited as ``letters.letter.secret_opened`` (``letters.attachment.secret_opened``).
    """
    prefix = "letters.attachment." if attachment is not None else "letters.letter."
    if not user_has_agency_role(user=user, agency=letter.agency, roles={AgencyRole.SECRET_OFFICER}):
        _refused(letter=letter, user=user, action=f"{prefix}secret_refused", target=attachment)
        raise SecretContentRefused()
    opened = _decrypt_logged(letter, user=user, target=attachment)
    with transaction.atomic(durable=True):
        audit_chain_lock()
        audit_record(
            action=f"{prefix}secret_opened",
            actor=user,
            agency=letter.agency,
            target=attachment if attachment is not None else letter,
            after={
                "letter": letter.pk,
                "secrecy": letter.secrecy,
                "decrypted": True,
                "files": [item.attachment_id for item in opened.files],
            },
        )
    return opened


def secret_letter_break_glass(*, letter: Letter, user: User, reason: str) -> OpenedSecretLetter:
    """Let a hub administrator open an agency's secret letter, in the open: with a reason of at
    least 20 characters, audited (``letters.letter.secret_break_glass``, under the agency) and
    recorded as a ``BreakGlassAccess`` the agency is shown. Anyone else is refused and logged.
    """
    if not user_has_hub_role(user=user, role=HubRoleName.HUB_ADMIN):
        _refused(letter=letter, user=user, action="letters.letter.secret_break_glass_refused")
        raise BreakGlassRefused()
    reason = reason.strip()
    if len(reason) < BREAK_GLASS_REASON_MIN_CHARS:
        _refused(letter=letter, user=user, action="letters.letter.secret_break_glass_refused")
        raise BreakGlassReasonRequired(details={"min_chars": BREAK_GLASS_REASON_MIN_CHARS})
    opened = _decrypt_logged(letter, user=user, target=None)
    with transaction.atomic(durable=True):
        audit_chain_lock()
        access = BreakGlassAccess.objects.create(
            agency=letter.agency,
            letter=letter,
            opened_by=user,
            reason=reason,
            opened_at=timezone.now(),
        )
        audit_record(
            action="letters.letter.secret_break_glass",
            actor=user,
            agency=letter.agency,
            target=letter,
            after={
                "letter": letter.pk,
                "secrecy": letter.secrecy,
                "reason": reason,
                "break_glass_access": access.pk,
            },
        )
    return opened
