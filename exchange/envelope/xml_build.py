"""Turn envelope data into the unsigned XML tree (see docs/envelope.md for the format)."""

from __future__ import annotations

import base64
import datetime

from lxml import etree

from .types import (
    NAMESPACE,
    AcknowledgementData,
    EncryptedLetterData,
    Envelope,
    LetterData,
    LetterNumberData,
    ManifestEntry,
    MessageType,
    Party,
    SecretContent,
)


def tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def utc_text(moment: datetime.datetime) -> str:
    """Render an aware time as UTC with a Z, to the second: one spelling for every signer."""
    if moment.tzinfo is None:
        raise ValueError("Envelope times must be timezone-aware.")
    return moment.astimezone(datetime.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: etree._Element, name: str, value: str | int | None) -> etree._Element:
    element = etree.SubElement(parent, tag(name))
    element.text = "" if value is None else str(value)
    return element


def _optional(parent: etree._Element, name: str, value: str | int | None) -> None:
    if value not in (None, ""):
        _text(parent, name, value)


def _party(parent: etree._Element, name: str, party: Party) -> etree._Element:
    element = etree.SubElement(parent, tag(name))
    _text(element, "AgencyKey", party.agency_key)
    _text(element, "Name", party.name_th)
    _optional(element, "EcmsMinistryCode", party.ecms_ministry_code)
    _optional(element, "EcmsDepartmentCode", party.ecms_department_code)
    return element


def _number(parent: etree._Element, data: LetterNumberData) -> None:
    number = etree.SubElement(parent, tag("Number"))
    _text(number, "MinistryCode", data.ministry_code)
    _optional(number, "SubAgencyCode", data.sub_agency_code)
    _text(number, "UnitNumber", data.unit_number)
    _text(number, "Series", data.series)
    _optional(number, "SeriesMark", data.series_mark)
    _optional(number, "Running", data.running)
    _optional(number, "Year", data.year)
    _optional(number, "Text", data.text)


def _letter(parent: etree._Element, letter: LetterData) -> None:
    element = etree.SubElement(parent, tag("Letter"))
    _text(element, "Kind", letter.kind)
    _number(element, letter.number)
    _text(element, "Date", letter.date.isoformat())
    _text(element, "Subject", letter.subject)
    _text(element, "Urgency", letter.urgency)
    _text(element, "Secrecy", letter.secrecy)
    if letter.urgent_deadline is not None:
        _text(element, "ActBy", utc_text(letter.urgent_deadline))
    _optional(element, "Salutation", letter.salutation)
    _optional(element, "Addressee", letter.addressee)
    if letter.references:
        references = etree.SubElement(element, tag("References"))
        for reference in letter.references:
            item = etree.SubElement(references, tag("Reference"))
            _text(item, "Number", reference.number_text)
            if reference.date is not None:
                _text(item, "Date", reference.date.isoformat())
            _optional(item, "Subject", reference.subject)
    _optional(element, "Body", letter.body)
    _optional(element, "Closing", letter.closing)
    if letter.signer_name or letter.signer_position:
        signer = etree.SubElement(element, tag("Signer"))
        _optional(signer, "Name", letter.signer_name)
        _optional(signer, "Position", letter.signer_position)
    _optional(element, "OwningUnit", letter.owning_unit)
    _optional(element, "Phone", letter.phone)
    _optional(element, "Email", letter.email)
    distribution = etree.SubElement(element, tag("Distribution"))
    for entry in letter.distribution:
        party = _party(distribution, "Party", entry.party)
        party.set("role", entry.role)
        _optional(party, "Addressee", entry.addressee)


def _encrypted_letter(parent: etree._Element, encrypted: EncryptedLetterData) -> None:
    element = etree.SubElement(parent, tag("EncryptedLetter"))
    _number(element, encrypted.number)
    _text(element, "Date", encrypted.date.isoformat())
    _text(element, "Urgency", encrypted.urgency)
    _text(element, "Secrecy", encrypted.secrecy)
    if encrypted.urgent_deadline is not None:
        _text(element, "ActBy", utc_text(encrypted.urgent_deadline))
    wraps = etree.SubElement(element, tag("KeyWraps"))
    for wrap in encrypted.key_wraps:
        item = etree.SubElement(wraps, tag("KeyWrap"))
        _text(item, "AgencyKey", wrap.agency_key)
        _text(item, "CertificateSha256", wrap.certificate_sha256)
        _text(item, "WrappedKey", base64.b64encode(wrap.wrapped_key).decode("ascii"))
    _text(element, "Ciphertext", base64.b64encode(encrypted.ciphertext).decode("ascii"))


def secret_content_to_xml(content: SecretContent) -> etree._Element:
    """Build the plaintext that an EncryptedLetter's ciphertext holds (global SecretContent)."""
    root = etree.Element(tag("SecretContent"), nsmap={None: NAMESPACE})
    _letter(root, content.letter)
    files = etree.SubElement(root, tag("Files"))
    for entry in content.files:
        item = etree.SubElement(files, tag("File"), id=entry.attachment_id, role=entry.role)
        _text(item, "Name", entry.name)
        _text(item, "MediaType", entry.media_type)
        _text(item, "Size", entry.size)
        _text(item, "Sha256", entry.sha256)
        _optional(item, "Description", entry.description)
    return root


_ACK_ELEMENT = {
    MessageType.RECEIPT: "Receipt",
    MessageType.REGISTRATION: "Registration",
    MessageType.REJECTION: "Rejection",
    MessageType.WRONG_RECIPIENT: "WrongRecipient",
    MessageType.WITHDRAWAL: "Withdrawal",
    MessageType.RECEIVE_NUMBER_DISPUTE: "ReceiveNumberDispute",
}


def _acknowledgement(
    parent: etree._Element, message_type: MessageType, ack: AcknowledgementData
) -> None:
    element = etree.SubElement(parent, tag("Acknowledgement"))
    _text(element, "AcknowledgedMessageId", ack.acknowledged_message_id)
    _text(element, "AcknowledgedEnvelopeSha256", ack.acknowledged_envelope_sha256)
    detail = etree.SubElement(element, tag(_ACK_ELEMENT[message_type]))
    _text(detail, "At", utc_text(ack.at))
    if message_type == MessageType.REGISTRATION:
        _text(detail, "ReceiveNumber", ack.receive_number)
        _optional(detail, "ReceiveYear", ack.receive_year)
    if message_type == MessageType.RECEIVE_NUMBER_DISPUTE:
        _text(detail, "DisputedNumber", ack.disputed_number)
    if message_type not in (MessageType.RECEIPT, MessageType.REGISTRATION):
        _optional(detail, "ReasonCode", ack.reason_code)
        _text(detail, "Reason", ack.reason)


def _manifest(parent: etree._Element, manifest: tuple[ManifestEntry, ...]) -> None:
    element = etree.SubElement(parent, tag("Manifest"))
    for entry in manifest:
        item = etree.SubElement(element, tag("Attachment"), id=entry.attachment_id, role=entry.role)
        _text(item, "Name", entry.name)
        _text(item, "MediaType", entry.media_type)
        _text(item, "Size", entry.size)
        _text(item, "Sha256", entry.sha256)
        _optional(item, "Description", entry.description)


def envelope_to_xml(envelope: Envelope) -> etree._Element:
    """Build the unsigned envelope tree; the signer appends ds:Signature as the last child."""
    header = envelope.header
    carries_letter = (envelope.letter is not None) + (envelope.encrypted_letter is not None)
    if (header.message_type == MessageType.LETTER) != (carries_letter == 1):
        raise ValueError(
            "A letter envelope carries one letter (plain or encrypted), and only it does."
        )
    if (header.message_type != MessageType.LETTER) != (envelope.acknowledgement is not None):
        raise ValueError("An acknowledgement envelope carries exactly one acknowledgement.")
    root = etree.Element(tag("Envelope"), nsmap={None: NAMESPACE})
    head = etree.SubElement(root, tag("Header"))
    _text(head, "MessageId", header.message_id)
    _text(head, "MessageType", header.message_type.value)
    _text(head, "CreatedAt", utc_text(header.created_at))
    _party(head, "Sender", header.sender)
    _party(head, "Recipient", header.recipient)
    _text(head, "ConversationId", header.conversation_id)
    _optional(head, "InReplyTo", header.in_reply_to)
    _text(head, "ProtocolVersion", header.protocol_version)
    if envelope.letter is not None:
        _letter(root, envelope.letter)
    if envelope.encrypted_letter is not None:
        _encrypted_letter(root, envelope.encrypted_letter)
    if envelope.acknowledgement is not None:
        _acknowledgement(root, header.message_type, envelope.acknowledgement)
    _manifest(root, envelope.manifest)
    return root
