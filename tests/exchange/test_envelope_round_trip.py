"""Sign, store, verify and read back: the content that comes out is what went in."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from uuid import uuid4

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from lxml import etree

from exchange.envelope import (
    DistributionEntry,
    ManifestEntry,
    MessageType,
    envelope_sign,
    envelope_to_xml,
    envelope_verify,
    envelopes_sign,
    envelopes_to_xml,
    errors,
)
from exchange.envelope.verification import DS

from .conftest import DGA, SOC, acknowledgement_envelope, letter_envelope, now

PDF = "%PDF-1.7\nหนังสือราชการ ๑๒๓\n%%EOF\n".encode()
MAIN = ManifestEntry(
    attachment_id="main-1",
    role="main",
    name="หนังสือนำส่ง ฉบับที่ ๑.pdf",
    media_type="application/pdf",
    size=len(PDF),
    sha256=hashlib.sha256(PDF).hexdigest(),
)


def test_a_letter_round_trips_with_its_thai_text_intact(pki):
    envelope = letter_envelope(manifest=(MAIN,))
    data = envelope_sign(envelope, key=pki.etda.private_key, certificate=pki.etda.certificate)

    verified = envelope_verify(data, directory=pki.directory(), now=now())

    assert verified.envelope == envelope
    assert verified.shape == "xades"
    assert verified.certificate == pki.etda.certificate
    assert verified.signing_time is not None
    assert verified.envelope_sha256 == hashlib.sha256(data).hexdigest()
    assert verified.checks[-1] == "secrecy"
    assert "ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕".encode() in data


def test_an_ecdsa_signer_is_accepted(pki):
    envelope = letter_envelope(sender=DGA)
    data = envelope_sign(envelope, key=pki.dga.private_key, certificate=pki.dga.certificate)

    assert envelope_verify(data, directory=pki.directory(), now=now()).envelope == envelope


@pytest.mark.parametrize("message_type", [t for t in MessageType if t != MessageType.LETTER])
def test_every_acknowledgement_type_round_trips(pki, message_type):
    envelope = acknowledgement_envelope(message_type)
    data = envelope_sign(envelope, key=pki.soc.private_key, certificate=pki.soc.certificate)

    assert envelope_verify(data, directory=pki.directory(), now=now()).envelope == envelope


@pytest.mark.django_db
def test_stored_bytes_are_byte_exact_and_still_verify(pki, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = envelope_sign(
        letter_envelope(), key=pki.etda.private_key, certificate=pki.etda.certificate
    )

    name = default_storage.save("envelopes/test.xml", ContentFile(data))
    with default_storage.open(name, "rb") as stored:
        again = stored.read()

    assert again == data
    envelope_verify(again, directory=pki.directory(), now=now())


def _signed_leaves(data: bytes) -> list[tuple[str, str | None]]:
    """Every text node and attribute of the signed content, as (xpath, attribute) pairs.

    Paths are lxml's positional paths (/*/*[1]/*[3]), since the elements are namespaced.
    """
    root = etree.fromstring(data)
    tree = root.getroottree()
    leaves: list[tuple[str, str | None]] = []
    for element in root.iter():
        if etree.QName(element).namespace == DS or any(
            etree.QName(a).namespace == DS for a in element.iterancestors()
        ):
            continue
        if element.text and len(element) == 0:
            leaves.append((tree.getpath(element), None))
        for attribute in element.attrib:
            leaves.append((tree.getpath(element), attribute))
    return leaves


def _tampered(data: bytes, path: str, attribute: str | None) -> bytes:
    root = etree.fromstring(data)
    element = root.getroottree().xpath(path)[0]
    if attribute is None:
        element.text = element.text + "ก"
    else:
        element.set(attribute, element.get(attribute) + "x")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def test_changing_any_signed_value_breaks_the_signature(pki):
    data = envelope_sign(
        letter_envelope(manifest=(MAIN,)),
        key=pki.etda.private_key,
        certificate=pki.etda.certificate,
    )
    leaves = _signed_leaves(data)
    assert len(leaves) > 30  # every field of the letter, the header and the manifest

    root = etree.fromstring(data)
    for path, attribute in leaves:
        tampered = _tampered(data, path, attribute)
        with pytest.raises(errors.EnvelopeRejected) as raised:
            envelope_verify(tampered, directory=pki.directory(), now=now())
        name = etree.QName(root.getroottree().xpath(path)[0]).localname
        parent = etree.QName(root.getroottree().xpath(path)[0].getparent()).localname
        expected = _expected_code(name, parent, attribute)
        assert raised.value.code == expected, (path, attribute, raised.value.code)


def _expected_code(name: str, parent: str, attribute: str | None) -> str:
    # Two header values are read (as lookup keys only) before the signature is checked: a
    # changed sender key finds no agency, a changed creation time is no longer a time.
    if (parent, name, attribute) == ("Sender", "AgencyKey", None):
        return "envelope.unknown_sender"
    if (parent, name, attribute) == ("Header", "CreatedAt", None):
        return "envelope.schema_invalid"
    return "envelope.signature_invalid"


def test_the_copies_of_a_circular_are_built_as_one_at_a_time_would_be(pki):
    """envelopes_to_xml copies the first tree and swaps the header: the bytes must not tell."""
    first = letter_envelope(manifest=(MAIN,))
    assert first.letter is not None
    circular = replace(
        first.letter,
        distribution=tuple(DistributionEntry(party=party) for party in (SOC, DGA)),
    )
    copies = [
        replace(
            first,
            header=replace(first.header, recipient=party, message_id=str(uuid4())),
            letter=circular,
        )
        for party in (SOC, DGA, SOC)
    ]
    acknowledgement = acknowledgement_envelope(MessageType.RECEIPT)

    built = list(envelopes_to_xml([*copies, acknowledgement]))

    assert [etree.tostring(tree) for tree in built] == [
        etree.tostring(envelope_to_xml(envelope)) for envelope in [*copies, acknowledgement]
    ]
    signed = list(
        envelopes_sign(copies, key=pki.etda.private_key, certificate=pki.etda.certificate)
    )
    directory = pki.directory()
    assert [envelope_verify(data, directory=directory, now=now()).envelope for data in signed] == (
        copies
    )


def test_a_circular_copy_with_a_header_the_schema_refuses_is_not_signed(pki):
    """Copies after the first have only their header checked: that check must still bite."""
    first = letter_envelope()
    bad = replace(first, header=replace(first.header, recipient=replace(SOC, agency_key="NO KEY")))
    signed = envelopes_sign(
        [first, bad], key=pki.etda.private_key, certificate=pki.etda.certificate
    )

    assert next(signed)
    with pytest.raises(ValueError, match="schema rejects"):
        next(signed)
