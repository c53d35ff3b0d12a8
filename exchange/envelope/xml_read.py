"""Read verified envelope XML back into typed data.

Call only with ``signed_xml`` from the verifier: the tree that was actually signed.
"""

from __future__ import annotations

import base64
import datetime

from lxml import etree

from .types import (
    AcknowledgementData,
    DistributionEntry,
    EncryptedLetterData,
    Envelope,
    Header,
    KeyWrap,
    LetterData,
    LetterNumberData,
    ManifestEntry,
    MessageType,
    Party,
    ReferenceData,
    SecretContent,
    SecretFileEntry,
)
from .xml_build import tag


def _find(parent: etree._Element, path: str) -> etree._Element | None:
    element = parent
    for name in path.split("/"):
        found = element.find(tag(name))
        if found is None:
            return None
        element = found
    return element


def text(parent: etree._Element, path: str, default: str = "") -> str:
    """Return the text at a child path ("Header/Sender/AgencyKey"), or the default."""
    element = _find(parent, path)
    if element is None:
        return default
    return element.text or ""


def _int(parent: etree._Element, path: str) -> int | None:
    value = text(parent, path)
    return int(value) if value else None


def parse_utc(value: str) -> datetime.datetime:
    return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _party(element: etree._Element) -> Party:
    return Party(
        agency_key=text(element, "AgencyKey"),
        name_th=text(element, "Name"),
        ecms_ministry_code=text(element, "EcmsMinistryCode"),
        ecms_department_code=text(element, "EcmsDepartmentCode"),
    )


def _required(parent: etree._Element, path: str) -> etree._Element:
    element = _find(parent, path)
    if element is None:
        raise ValueError(f"{path} is missing")
    return element


def read_header(root: etree._Element) -> Header:
    return Header(
        message_id=text(root, "Header/MessageId"),
        message_type=MessageType(text(root, "Header/MessageType")),
        created_at=parse_utc(text(root, "Header/CreatedAt")),
        sender=_party(_required(root, "Header/Sender")),
        recipient=_party(_required(root, "Header/Recipient")),
        conversation_id=text(root, "Header/ConversationId"),
        in_reply_to=text(root, "Header/InReplyTo"),
        protocol_version=text(root, "Header/ProtocolVersion"),
    )


def _number(element: etree._Element) -> LetterNumberData:
    return LetterNumberData(
        ministry_code=text(element, "Number/MinistryCode"),
        sub_agency_code=text(element, "Number/SubAgencyCode"),
        unit_number=text(element, "Number/UnitNumber"),
        series=text(element, "Number/Series"),
        series_mark=text(element, "Number/SeriesMark"),
        running=_int(element, "Number/Running"),
        year=_int(element, "Number/Year"),
        text=text(element, "Number/Text"),
    )


def _base64(value: str) -> bytes:
    return base64.b64decode("".join(value.split()), validate=True)


def _encrypted_letter(element: etree._Element) -> EncryptedLetterData:
    deadline = text(element, "ActBy")
    return EncryptedLetterData(
        number=_number(element),
        date=datetime.date.fromisoformat(text(element, "Date")),
        urgency=text(element, "Urgency"),
        secrecy=text(element, "Secrecy"),
        urgent_deadline=parse_utc(deadline) if deadline else None,
        key_wraps=tuple(
            KeyWrap(
                agency_key=text(item, "AgencyKey"),
                certificate_sha256=text(item, "CertificateSha256"),
                wrapped_key=_base64(text(item, "WrappedKey")),
            )
            for item in element.iterfind(f"{tag('KeyWraps')}/{tag('KeyWrap')}")
        ),
        ciphertext=_base64(text(element, "Ciphertext")),
    )


def xml_to_secret_content(root: etree._Element) -> SecretContent:
    """Read a schema-valid, decrypted SecretContent tree into typed data."""
    return SecretContent(
        letter=_letter(_required(root, "Letter")),
        files=tuple(
            SecretFileEntry(
                attachment_id=item.get("id", ""),
                role=item.get("role", ""),
                name=text(item, "Name"),
                media_type=text(item, "MediaType"),
                size=int(text(item, "Size")),
                sha256=text(item, "Sha256"),
                description=text(item, "Description"),
            )
            for item in root.iterfind(f"{tag('Files')}/{tag('File')}")
        ),
    )


def _letter(element: etree._Element) -> LetterData:
    references = tuple(
        ReferenceData(
            number_text=text(item, "Number"),
            date=_date(text(item, "Date")),
            subject=text(item, "Subject"),
        )
        for item in element.iterfind(f"{tag('References')}/{tag('Reference')}")
    )
    distribution = tuple(
        DistributionEntry(
            party=_party(item), role=item.get("role", "to"), addressee=text(item, "Addressee")
        )
        for item in element.iterfind(f"{tag('Distribution')}/{tag('Party')}")
    )
    deadline = text(element, "ActBy")
    return LetterData(
        kind=text(element, "Kind"),
        number=_number(element),
        date=datetime.date.fromisoformat(text(element, "Date")),
        subject=text(element, "Subject"),
        urgency=text(element, "Urgency"),
        secrecy=text(element, "Secrecy"),
        urgent_deadline=parse_utc(deadline) if deadline else None,
        salutation=text(element, "Salutation"),
        addressee=text(element, "Addressee"),
        references=references,
        body=text(element, "Body"),
        closing=text(element, "Closing"),
        signer_name=text(element, "Signer/Name"),
        signer_position=text(element, "Signer/Position"),
        owning_unit=text(element, "OwningUnit"),
        phone=text(element, "Phone"),
        email=text(element, "Email"),
        distribution=distribution,
    )


def _acknowledgement(element: etree._Element) -> AcknowledgementData:
    # The schema allows exactly one detail element after the two Acknowledged* fields.
    detail = next(
        child for child in element if not etree.QName(child).localname.startswith("Acknowledged")
    )
    return AcknowledgementData(
        acknowledged_message_id=text(element, "AcknowledgedMessageId"),
        acknowledged_envelope_sha256=text(element, "AcknowledgedEnvelopeSha256"),
        at=parse_utc(text(detail, "At")),
        receive_number=text(detail, "ReceiveNumber"),
        receive_year=_int(detail, "ReceiveYear"),
        reason_code=text(detail, "ReasonCode"),
        reason=text(detail, "Reason"),
        disputed_number=text(detail, "DisputedNumber"),
    )


def read_manifest(root: etree._Element) -> tuple[ManifestEntry, ...]:
    return tuple(
        ManifestEntry(
            attachment_id=item.get("id", ""),
            role=item.get("role", ""),
            name=text(item, "Name"),
            media_type=text(item, "MediaType"),
            size=int(text(item, "Size")),
            sha256=text(item, "Sha256"),
            description=text(item, "Description"),
        )
        for item in root.iterfind(f"{tag('Manifest')}/{tag('Attachment')}")
    )


def acknowledgement_kind(root: etree._Element) -> str | None:
    """Return the local name of the acknowledgement's detail element, if any."""
    element = _find(root, "Acknowledgement")
    if element is None:
        return None
    names = [etree.QName(child).localname for child in element]
    details = [name for name in names if not name.startswith("Acknowledged")]
    return details[0] if len(details) == 1 else None


def xml_to_envelope(root: etree._Element) -> Envelope:
    """Read a schema-valid, verified envelope tree into typed data."""
    letter = _find(root, "Letter")
    encrypted = _find(root, "EncryptedLetter")
    acknowledgement = _find(root, "Acknowledgement")
    return Envelope(
        header=read_header(root),
        letter=_letter(letter) if letter is not None else None,
        encrypted_letter=_encrypted_letter(encrypted) if encrypted is not None else None,
        acknowledgement=_acknowledgement(acknowledgement) if acknowledgement is not None else None,
        manifest=read_manifest(root),
    )
