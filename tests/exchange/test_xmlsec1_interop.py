"""Interop with xmlsec1, an XMLDSig implementation we did not write.

Every envelope type the hub signs must verify with `xmlsec1 --verify` against the CA, and an
envelope signed by `xmlsec1 --sign` (plain XMLDSig, the shape agencies' own systems produce)
must pass the hub's verifier. `make test` and `.ci/run` install Debian's xmlsec1.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from exchange.envelope import MessageType, envelope_sign, envelope_to_xml, envelope_verify

from .conftest import DGA, acknowledgement_envelope, letter_envelope, now

XMLSEC1 = shutil.which("xmlsec1")
DS = "http://www.w3.org/2000/09/xmldsig#"
ID_ATTRIBUTES = [
    "--id-attr:Id",
    "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
    "--id-attr:Id",
    f"{DS}:KeyInfo",
]
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


@pytest.fixture(scope="module")
def xmlsec1() -> str:
    assert XMLSEC1, "xmlsec1 is missing: `make test` installs it (Debian package xmlsec1)"
    return XMLSEC1


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("message_type", list(MessageType))
def test_xmlsec1_verifies_every_envelope_type_the_hub_signs(xmlsec1, pki, tmp_path, message_type):
    if message_type == MessageType.LETTER:
        envelope, signer = letter_envelope(), pki.etda
    else:
        envelope, signer = acknowledgement_envelope(message_type), pki.soc
    data = envelope_sign(envelope, key=signer.private_key, certificate=signer.certificate)

    result = run(
        xmlsec1,
        "--verify",
        "--trusted-pem",
        write(tmp_path / "ca.pem", pki.ca.certificate_pem()),
        *ID_ATTRIBUTES,
        write(tmp_path / "envelope.xml", data),
    )

    assert result.returncode == 0, result.stderr
    assert "SignedInfo References (ok/all): 3/3" in result.stderr


def test_xmlsec1_verifies_an_ecdsa_signed_letter(xmlsec1, pki, tmp_path):
    data = envelope_sign(
        letter_envelope(sender=DGA), key=pki.dga.private_key, certificate=pki.dga.certificate
    )

    result = run(
        xmlsec1,
        "--verify",
        "--trusted-pem",
        write(tmp_path / "ca.pem", pki.ca.certificate_pem()),
        *ID_ATTRIBUTES,
        write(tmp_path / "envelope.xml", data),
    )

    assert result.returncode == 0, result.stderr


def test_xmlsec1_notices_a_tampered_hub_envelope(xmlsec1, pki, tmp_path):
    data = envelope_sign(
        letter_envelope(), key=pki.etda.private_key, certificate=pki.etda.certificate
    )
    tampered = data.replace("ข้อเสนอ".encode(), "ข้อสั่ง".encode(), 1)

    result = run(
        xmlsec1,
        "--verify",
        "--trusted-pem",
        write(tmp_path / "ca.pem", pki.ca.certificate_pem()),
        *ID_ATTRIBUTES,
        write(tmp_path / "envelope.xml", tampered),
    )

    assert result.returncode != 0


def signature_template(signature_method: str, c14n: str) -> etree._Element:
    """A plain XMLDSig template: one URI="" reference, [enveloped, c14n], cert in KeyInfo."""
    ds = f"{{{DS}}}"
    signature = etree.Element(ds + "Signature", nsmap={"ds": DS})
    signed_info = etree.SubElement(signature, ds + "SignedInfo")
    etree.SubElement(signed_info, ds + "CanonicalizationMethod", Algorithm=c14n)
    etree.SubElement(signed_info, ds + "SignatureMethod", Algorithm=signature_method)
    reference = etree.SubElement(signed_info, ds + "Reference", URI="")
    transforms = etree.SubElement(reference, ds + "Transforms")
    etree.SubElement(
        transforms,
        ds + "Transform",
        Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    )
    etree.SubElement(transforms, ds + "Transform", Algorithm=c14n)
    etree.SubElement(
        reference, ds + "DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"
    )
    etree.SubElement(reference, ds + "DigestValue")
    etree.SubElement(signature, ds + "SignatureValue")
    key_info = etree.SubElement(signature, ds + "KeyInfo")
    etree.SubElement(key_info, ds + "X509Data")
    return signature


@pytest.mark.parametrize(
    ("agency", "signature_method", "c14n"),
    [
        ("etda", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", C14N_11),
        ("etda", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", EXC_C14N),
        ("dga", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", C14N_11),
    ],
)
def test_the_hub_accepts_an_envelope_signed_by_xmlsec1(
    xmlsec1, pki, tmp_path, agency, signature_method, c14n
):
    signer = getattr(pki, agency)
    envelope = letter_envelope(sender=DGA) if agency == "dga" else letter_envelope()
    root = envelope_to_xml(envelope)
    root.append(signature_template(signature_method, c14n))
    template = write(
        tmp_path / "template.xml", etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    )
    key = write(tmp_path / "key.pem", signer.private_key_pem())
    cert = write(tmp_path / "cert.pem", signer.certificate_pem())

    signed = run(
        xmlsec1,
        "--sign",
        "--privkey-pem",
        f"{key},{cert}",
        "--output",
        str(tmp_path / "signed.xml"),
        template,
    )
    assert signed.returncode == 0, signed.stderr

    verified = envelope_verify(
        (tmp_path / "signed.xml").read_bytes(), directory=pki.directory(), now=now()
    )
    assert verified.shape == "xmldsig"
    assert verified.envelope == envelope
