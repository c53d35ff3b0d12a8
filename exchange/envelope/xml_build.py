"""Turn envelope data into the unsigned XML tree (see docs/envelope.md for the format)."""

from __future__ import annotations

import base64
import copy
import datetime
import functools
from collections.abc import Iterable, Iterator

from lxml import etree

from .types import (
    NAMESPACE,
    AcknowledgementData,
    EncryptedLetterData,
    Envelope,
    Header,
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


def _check_content(envelope: Envelope) -> None:
    header = envelope.header
    carries_letter = (envelope.letter is not None) + (envelope.encrypted_letter is not None)
    if (header.message_type == MessageType.LETTER) != (carries_letter == 1):
        raise ValueError(
            "A letter envelope carries one letter (plain or encrypted), and only it does."
        )
    if (header.message_type != MessageType.LETTER) != (envelope.acknowledgement is not None):
        raise ValueError("An acknowledgement envelope carries exactly one acknowledgement.")


def _header(root: etree._Element, header: Header) -> etree._Element:
    head = etree.SubElement(root, tag("Header"))
    _text(head, "MessageId", header.message_id)
    _text(head, "MessageType", header.message_type.value)
    _text(head, "CreatedAt", utc_text(header.created_at))
    _party(head, "Sender", header.sender)
    _party(head, "Recipient", header.recipient)
    _text(head, "ConversationId", header.conversation_id)
    _optional(head, "InReplyTo", header.in_reply_to)
    _text(head, "ProtocolVersion", header.protocol_version)
    return head


def envelope_to_xml(envelope: Envelope) -> etree._Element:
    """Build the unsigned envelope tree; the signer appends ds:Signature as the last child."""
    _check_content(envelope)
    root = etree.Element(tag("Envelope"), nsmap={None: NAMESPACE})
    _header(root, envelope.header)
    if envelope.letter is not None:
        _letter(root, envelope.letter)
    if envelope.encrypted_letter is not None:
        _encrypted_letter(root, envelope.encrypted_letter)
    if envelope.acknowledgement is not None:
        _acknowledgement(root, envelope.header.message_type, envelope.acknowledgement)
    _manifest(root, envelope.manifest)
    return root


def envelopes_to_xml(envelopes: Iterable[Envelope]) -> Iterator[etree._Element]:
    """Build envelopes one at a time, exactly as ``envelope_to_xml`` would.

    Envelopes that carry the same letter and manifest (the copies of a circular, which differ
    only in their header) share the work: the first tree is kept as a template and each next
    one is a copy of it with its own header. Each copy carries the whole distribution list, so
    building it again for each of a thousand recipients made sending a circular quadratic in
    Python; copying a tree is done by libxml2.
    """
    for root, _header_only_new in envelope_trees(envelopes):
        yield root


def envelope_trees(envelopes: Iterable[Envelope]) -> Iterator[tuple[etree._Element, bool]]:
    """Yield (tree, header_only_new) per envelope, as ``envelopes_to_xml`` builds them.

    ``header_only_new`` is true when everything but the header is a copy of the tree yielded
    before it (what the signer needs to know to check the schema of the header alone).
    """
    template: etree._Element | None = None
    template_of: Envelope | None = None
    for envelope in envelopes:
        if (
            template is None
            or template_of is None
            or envelope.letter is None
            or envelope.letter is not template_of.letter
            or envelope.manifest != template_of.manifest
        ):
            template = envelope_to_xml(envelope)
            template_of = envelope
            yield copy.deepcopy(template), False
            continue
        _check_content(envelope)
        root = copy.deepcopy(template)
        root.remove(root[0])
        # Built in place (not moved in from another tree), so it uses the root's namespace
        # declaration exactly as envelope_to_xml does; then put first, where the header goes.
        root.insert(0, _header(root, envelope.header))
        yield root, True


def header_probe(root: etree._Element) -> etree._Element:
    """Return a small envelope with a copy of the root's header and a fixed receipt body.

    The schema judges the header the same way whatever body follows it (no constraint of the
    XSD spans the header and the body), so validating this probe validates the header.
    """
    probe = etree.Element(tag("Envelope"), nsmap={None: NAMESPACE})
    probe.append(copy.deepcopy(root[0]))
    for part in _probe_body():
        probe.append(copy.deepcopy(part))
    return probe


@functools.cache
def _probe_body() -> tuple[etree._Element, ...]:
    moment = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    identifier = "00000000-0000-4000-8000-000000000000"
    party = Party(agency_key="probe", name_th="probe")
    receipt = envelope_to_xml(
        Envelope(
            header=Header(
                message_id=identifier,
                message_type=MessageType.RECEIPT,
                created_at=moment,
                sender=party,
                recipient=party,
                conversation_id=identifier,
            ),
            acknowledgement=AcknowledgementData(
                acknowledged_message_id=identifier,
                acknowledged_envelope_sha256="0" * 64,
                at=moment,
            ),
        )
    )
    return tuple(receipt[1:])
