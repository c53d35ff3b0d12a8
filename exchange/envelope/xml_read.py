"""Read verified envelope XML back into typed data.

Call only with ``signed_xml`` from the verifier: the tree that was actually signed.
"""

from __future__ import annotations

import base64
import datetime
import re

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


class _Children:
    """An element's children by local name, the first of each (what ``find`` would return).

    One pass over the children instead of one ``find`` per field: a circular's distribution
    list has a thousand parties of four fields each.
    """

    __slots__ = ("_by_tag",)

    def __init__(self, element: etree._Element | None) -> None:
        by_tag: dict[str, etree._Element] = {}
        if element is not None:
            for child in element:
                by_tag.setdefault(child.tag, child)
        self._by_tag = by_tag

    def element(self, name: str) -> etree._Element | None:
        return self._by_tag.get(_TAGS.get(name) or tag(name))

    def children(self, name: str) -> _Children:
        return _Children(self.element(name))

    def text(self, name: str) -> str:
        element = self.element(name)
        return (element.text or "") if element is not None else ""

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        return int(value) if value else None


_TAGS = {
    name: tag(name)
    for name in (
        "AgencyKey",
        "Name",
        "EcmsMinistryCode",
        "EcmsDepartmentCode",
        "Addressee",
        "Party",
        "Distribution",
    )
}
_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def parse_utc(value: str) -> datetime.datetime:
    """Read a time written as the profile requires, "2020-04-22T03:15:00Z", and nothing else."""
    if not _UTC.fullmatch(value):
        raise ValueError(f"Not a UTC time of the form YYYY-MM-DDThh:mm:ssZ: {value!r}")
    return datetime.datetime.fromisoformat(value[:-1]).replace(tzinfo=datetime.UTC)


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _party(element: etree._Element | None) -> Party:
    return _party_of(_Children(element))


def _party_of(fields: _Children) -> Party:
    return Party(
        agency_key=fields.text("AgencyKey"),
        name_th=fields.text("Name"),
        ecms_ministry_code=fields.text("EcmsMinistryCode"),
        ecms_department_code=fields.text("EcmsDepartmentCode"),
    )


def _required(parent: etree._Element, path: str) -> etree._Element:
    element = _find(parent, path)
    if element is None:
        raise ValueError(f"{path} is missing")
    return element


def read_header(root: etree._Element) -> Header:
    header = _Children(root).children("Header")
    for party in ("Sender", "Recipient"):
        if header.element(party) is None:
            raise ValueError(f"Header/{party} is missing")
    return Header(
        message_id=header.text("MessageId"),
        message_type=MessageType(header.text("MessageType")),
        created_at=parse_utc(header.text("CreatedAt")),
        sender=_party(header.element("Sender")),
        recipient=_party(header.element("Recipient")),
        conversation_id=header.text("ConversationId"),
        in_reply_to=header.text("InReplyTo"),
        protocol_version=header.text("ProtocolVersion"),
    )


_PARTY_FIELDS = tuple(
    tag(name) for name in ("AgencyKey", "Name", "EcmsMinistryCode", "EcmsDepartmentCode")
)
_ADDRESSEE = tag("Addressee")


def _distribution_entry(item: etree._Element) -> DistributionEntry:
    # The schema allows each field once, so a plain dict of the children is the index here.
    texts = {child.tag: child.text or "" for child in item}
    key, name, ministry, department = (texts.get(field, "") for field in _PARTY_FIELDS)
    return DistributionEntry(
        party=Party(
            agency_key=key,
            name_th=name,
            ecms_ministry_code=ministry,
            ecms_department_code=department,
        ),
        role=item.get("role", "to"),
        addressee=texts.get(_ADDRESSEE, ""),
    )


def _number(number: _Children) -> LetterNumberData:
    """A letter's Number element (plain or encrypted letter alike)."""
    return LetterNumberData(
        ministry_code=number.text("MinistryCode"),
        sub_agency_code=number.text("SubAgencyCode"),
        unit_number=number.text("UnitNumber"),
        series=number.text("Series"),
        series_mark=number.text("SeriesMark"),
        running=number.integer("Running"),
        year=number.integer("Year"),
        text=number.text("Text"),
    )


def _base64(value: str) -> bytes:
    return base64.b64decode("".join(value.split()), validate=True)


def _encrypted_letter(element: etree._Element) -> EncryptedLetterData:
    deadline = text(element, "ActBy")
    return EncryptedLetterData(
        number=_number(_Children(element).children("Number")),
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
    fields = _Children(element)
    number = fields.children("Number")
    signer = fields.children("Signer")
    references = tuple(
        ReferenceData(
            number_text=text(item, "Number"),
            date=_date(text(item, "Date")),
            subject=text(item, "Subject"),
        )
        for item in element.iterfind(f"{tag('References')}/{tag('Reference')}")
    )
    parties = fields.element("Distribution")
    distribution = (
        tuple(_distribution_entry(item) for item in parties.iterchildren(_TAGS["Party"]))
        if parties is not None
        else ()
    )
    deadline = fields.text("ActBy")
    return LetterData(
        kind=fields.text("Kind"),
        number=_number(number),
        date=datetime.date.fromisoformat(fields.text("Date")),
        subject=fields.text("Subject"),
        urgency=fields.text("Urgency"),
        secrecy=fields.text("Secrecy"),
        urgent_deadline=parse_utc(deadline) if deadline else None,
        salutation=fields.text("Salutation"),
        addressee=fields.text("Addressee"),
        references=references,
        body=fields.text("Body"),
        closing=fields.text("Closing"),
        signer_name=signer.text("Name"),
        signer_position=signer.text("Position"),
        owning_unit=fields.text("OwningUnit"),
        phone=fields.text("Phone"),
        email=fields.text("Email"),
        distribution=distribution,
    )


def _acknowledgement(element: etree._Element) -> AcknowledgementData:
    # The schema allows exactly one detail element after the two Acknowledged* fields.
    detail = next(
        child for child in element if not etree.QName(child).localname.startswith("Acknowledged")
    )
    fields = _Children(element)
    details = _Children(detail)
    return AcknowledgementData(
        acknowledged_message_id=fields.text("AcknowledgedMessageId"),
        acknowledged_envelope_sha256=fields.text("AcknowledgedEnvelopeSha256"),
        at=parse_utc(details.text("At")),
        receive_number=details.text("ReceiveNumber"),
        receive_year=details.integer("ReceiveYear"),
        reason_code=details.text("ReasonCode"),
        reason=details.text("Reason"),
        disputed_number=details.text("DisputedNumber"),
    )


def read_manifest(root: etree._Element) -> tuple[ManifestEntry, ...]:
    entries = []
    for item in root.iterfind(f"{tag('Manifest')}/{tag('Attachment')}"):
        fields = _Children(item)
        entries.append(
            ManifestEntry(
                attachment_id=item.get("id", ""),
                role=item.get("role", ""),
                name=fields.text("Name"),
                media_type=fields.text("MediaType"),
                size=int(fields.text("Size")),
                sha256=fields.text("Sha256"),
                description=fields.text("Description"),
            )
        )
    return tuple(entries)


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
    parts = _Children(root)
    letter = parts.element("Letter")
    encrypted = parts.element("EncryptedLetter")
    acknowledgement = parts.element("Acknowledgement")
    return Envelope(
        header=read_header(root),
        letter=_letter(letter) if letter is not None else None,
        encrypted_letter=_encrypted_letter(encrypted) if encrypted is not None else None,
        acknowledgement=_acknowledgement(acknowledgement) if acknowledgement is not None else None,
        manifest=read_manifest(root),
    )
