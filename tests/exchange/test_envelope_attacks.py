"""Hostile envelopes: each is built from a GOOD signed envelope and must be refused with its code.

Every case starts from ``envelope_sign(letter_envelope(), key=ETDA key, certificate=ETDA cert)``
(the hub's XAdES-BES shape), changes it with lxml the way an attacker would, re-serialises it, and
asserts the exact ``code`` the verifier answers with. Pure: no database.

XML signature wrapping (Somorovsky et al., "On Breaking SAML: Be Whoever You Want to Be", 2012),
adapted to an enveloped signature over ``URI=""``: the SAML Response is our ``Envelope``, the
Assertion our ``Letter``. The attacker's content is always the subject
"อนุมัติโอนงบประมาณ ๕๐ ล้านบาท …"; it must never come back as verified data.

=========  ===================================================  ============================
variant    what the attacker does                               code
=========  ===================================================  ============================
XSW1       a new root carrying the attacker's letter keeps the  envelope.reference_forbidden
           signature; the signed original (Id="original") goes
           INSIDE ds:Signature, Reference URI="" -> "#original"
XSW2       as XSW1, the signed original is a sibling BEFORE     envelope.reference_forbidden
           the signature (the detached layout)
XSW3       an attacker Letter is inserted before the signed     envelope.signature_invalid
           Letter; the reference stays URI=""
XSW4       an attacker Letter wraps the signed Letter           envelope.signature_invalid
XSW5       the signature moves into the attacker Letter; the    envelope.signature_wrapping
           signed Letter is appended at the end of Envelope
XSW6       the signature moves into the attacker Letter; the    envelope.signature_wrapping
           signed Letter moves INTO the signature
XSW7       the signed original (Id) goes into an extra foreign  envelope.reference_forbidden
           wrapper (x:Extensions), referenced by Id
XSW8       the signed original (Id) goes into a new ds:Object   envelope.reference_forbidden
           of the signature, referenced by Id
XSW8'      as XSW8 with the reference left at URI="" (so a      envelope.signature_wrapping
           second ds:Object)
nested     an attacker Envelope nested inside the signed one    envelope.signature_invalid
two-sigs   a second ds:Signature (a copy) after the first       envelope.signature_wrapping
sig-first  the signature moved to the first child of Envelope   envelope.signature_wrapping
dup-Id     a copy of KeyInfo, same Id, in a foreign wrapper     envelope.signature_wrapping
dup-Id'    the SignedProperties Id also put on the Letter       envelope.signature_wrapping
=========  ===================================================  ============================

The other attacks in this module:

=============================================================  ====================================
attack                                                         code
=============================================================  ====================================
comment / PI inside a signed value, around the root, in        envelope.comments_forbidden
SignedInfo
KeyInfo certificate of another agency (SOC signs as ETDA),     envelope.certificate_not_registered
a self-made certificate, an empty or unreadable one
ETDA's certificate in KeyInfo, an attacker's key signing       envelope.signature_invalid
SHA-1 digest, RSA-SHA1, HMAC-SHA256, SHA-512, RSA-PSS,         envelope.algorithm_forbidden
DSA/unknown URIs, rewritten Algorithm attributes
every #WithComments c14n, in SignedInfo, on the URI=""         envelope.c14n_forbidden
reference, on the SignedProperties reference, or re-signed
an extra Reference (#Letter, external URL, a second URI=""),   envelope.reference_forbidden
``#xpointer(/)``, a missing or mistyped XAdES reference
extra / missing / reordered Transforms on URI=""               envelope.transform_forbidden
expired, not yet valid, revoked, untrusted, RSA-1024           pki.expired, pki.not_yet_valid,
certificates (registered for ETDA)                             pki.revoked, pki.untrusted,
                                                               pki.weak_key
DTD: internal entity, external file / HTTP entity, parameter   envelope.dtd_forbidden (< 1 s, the
entity, external subset, billion laughs                        HTTP listener gets no request)
XInclude (2001 and 2003 namespaces)                            envelope.xinclude_forbidden
xsi:schemaLocation, xsi:noNamespaceSchemaLocation, xsi:type    envelope.schema_invalid
=============================================================  ====================================

UTF-16 and UTF-32 documents are refused as envelope.malformed ("envelopes are UTF-8") before
any DTD is considered; no file is read and no connection is opened either way.
"""

from __future__ import annotations

import copy
import datetime
import http.client
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.signer import XMLSigner
from signxml.xades.xades import XAdESSigner

from agencies.pki.errors import CertificateRejected
from agencies.pki.issuing import (
    IssuedCertificate,
    issue_certificate,
    make_ca,
    make_crl,
    new_private_key,
)
from agencies.pki.validation import TrustMaterial
from exchange.envelope import (
    EnvelopeRejected,
    envelope_sign,
    envelope_to_xml,
    envelope_verify,
)
from exchange.envelope.verification import DS, XADES
from exchange.envelope.xml_build import tag

from .conftest import ETDA, MemoryDirectory, Pki, letter_envelope, now

ATTACKER_SUBJECT = "อนุมัติโอนงบประมาณ ๕๐ ล้านบาท เข้าบัญชีเลขที่ ๑๒๓-๔-๕๖๗๘๙-๐"
ATTACKER_NS = "urn:example:attacker"
XINCLUDE_2001 = "http://www.w3.org/2001/XInclude"
XINCLUDE_2003 = "http://www.w3.org/2003/XInclude"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
XSLT = "http://www.w3.org/TR/1999/REC-xslt-19991116"
BASE64 = "http://www.w3.org/2000/09/xmldsig#base64"
WITH_COMMENTS = [
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
]


# --------------------------------------------------------------------------- helpers


def ds(name: str) -> str:
    return f"{{{DS}}}{name}"


def _good(pki: Pki) -> bytes:
    return envelope_sign(
        letter_envelope(), key=pki.etda.private_key, certificate=pki.etda.certificate
    )


def _tree(data: bytes) -> etree._Element:
    # Test-side parsing of our own, freshly signed bytes.
    return etree.fromstring(data)


def _bytes(root: etree._Element) -> bytes:
    """Re-serialise the whole document (with anything before or after the root)."""
    return bytes(etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8"))


def _subject(root: etree._Element) -> etree._Element:
    return root.find(f"{tag('Letter')}/{tag('Subject')}")


def _attacker_copy(root: etree._Element) -> etree._Element:
    """A deep copy of the document (signature included) with the attacker's subject."""
    evil = copy.deepcopy(root)
    _subject(evil).text = ATTACKER_SUBJECT
    return evil


def _attacker_letter(root: etree._Element) -> etree._Element:
    return _attacker_copy(root).find(tag("Letter"))


def _unsigned(root: etree._Element, id_value: str | None = None) -> etree._Element:
    """A copy of the signed original without its signature, optionally with an Id."""
    original = copy.deepcopy(root)
    original.remove(original.find(ds("Signature")))
    if id_value is not None:
        original.set("Id", id_value)
    return original


def _signed_info(root_or_signature: etree._Element) -> etree._Element:
    return root_or_signature.find(f".//{ds('SignedInfo')}")


def _whole_reference(root_or_signature: etree._Element) -> etree._Element:
    (reference,) = [
        r for r in _signed_info(root_or_signature).findall(ds("Reference")) if r.get("URI") == ""
    ]
    return reference


def _references(root: etree._Element) -> list[etree._Element]:
    return list(_signed_info(root).findall(ds("Reference")))


def _refusal(
    data: bytes,
    directory: MemoryDirectory,
    *,
    expected: type[Exception] = EnvelopeRejected,
) -> EnvelopeRejected | CertificateRejected:
    with pytest.raises(expected) as raised:
        envelope_verify(data, directory=directory, now=now())
    assert isinstance(raised.value, (EnvelopeRejected, CertificateRejected))
    return raised.value


class _PermissiveSigner(XMLSigner):
    """signxml refuses to *sign* with SHA-1; an attacker's signer does not."""

    def check_deprecated_methods(self) -> None:
        pass


class _PermissiveXAdESSigner(XAdESSigner):
    def check_deprecated_methods(self) -> None:
        pass


def _resign(
    signer: XMLSigner,
    *,
    key,
    certificate: x509.Certificate | None,
) -> bytes:
    """Sign a fresh ETDA letter with an arbitrary signxml configuration (bypassing sign_tree)."""
    signer.namespaces = {"ds": DS}
    chain = [certificate.public_bytes(Encoding.PEM).decode()] if certificate is not None else None
    signed = signer.sign(
        envelope_to_xml(letter_envelope()), key=key, cert=chain, always_add_key_value=False
    )
    return _bytes(signed)


@dataclass
class Listener:
    """A local HTTP server that records every request: proof that nothing was fetched."""

    url: str
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = '<!ENTITY leak "ข้อมูลรั่วไหล">'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/xml-dtd")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = str(server.server_address[0]), int(server.server_address[1])
    # The listener really answers: without this, "no request" would prove nothing.
    connection = http.client.HTTPConnection(host, port, timeout=5)
    connection.request("GET", "/ping")
    assert connection.getresponse().status == 200
    connection.close()
    assert requests == ["/ping"]
    requests.clear()
    try:
        yield Listener(url=f"http://{host}:{port}", requests=requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class Certificates:
    """Extra keys and certificates for this module, made once (RSA key generation is slow)."""

    attacker_key: object
    self_made: x509.Certificate
    expired: IssuedCertificate
    not_yet_valid: IssuedCertificate
    revoked: IssuedCertificate
    crl: x509.CertificateRevocationList
    untrusted: IssuedCertificate
    weak: IssuedCertificate


def _self_signed(key, subject: x509.Name) -> x509.Certificate:
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def certificates(pki: Pki) -> Certificates:
    # A test certificate differs from ETDA's good one in the one property under test, so the
    # ETDA key is reused wherever the key itself is not what is wrong.
    key = pki.etda.private_key
    issued_now = datetime.datetime.now(datetime.UTC)
    attacker_key = new_private_key("rsa")

    def etda_certificate(ca: IssuedCertificate = pki.ca, **options) -> IssuedCertificate:
        return issue_certificate(
            ca, common_name="สพธอ. signer", organization=ETDA.name_th, **options
        )

    revoked = etda_certificate(key=key)
    return Certificates(
        attacker_key=attacker_key,
        self_made=_self_signed(attacker_key, pki.etda.certificate.subject),
        expired=etda_certificate(
            key=key, valid_from=issued_now - datetime.timedelta(days=800), days=730
        ),
        not_yet_valid=etda_certificate(key=key, valid_from=issued_now + datetime.timedelta(days=1)),
        revoked=revoked,
        crl=make_crl(
            pki.ca, [(revoked.certificate.serial_number, issued_now - datetime.timedelta(hours=1))]
        ),
        untrusted=etda_certificate(make_ca("CA ปลอมของผู้โจมตี"), key=key),
        weak=etda_certificate(rsa_bits=1024),
    )


def _registered(pki: Pki, certificate: x509.Certificate, **overrides) -> MemoryDirectory:
    """The directory with ``certificate`` as ETDA's only registered signing certificate."""
    return pki.directory(
        certificates={
            "etda": [certificate],
            "soc": [pki.soc.certificate],
            "dga": [pki.dga.certificate],
        },
        **overrides,
    )


def test_the_good_envelope_that_every_attack_starts_from_is_accepted(pki):
    verified = envelope_verify(_good(pki), directory=pki.directory(), now=now())

    assert verified.shape == "xades"
    assert verified.envelope.letter.subject != ATTACKER_SUBJECT


# --------------------------------------------------------------------------- signature wrapping


def xsw1(data: bytes) -> bytes:
    signed = _tree(data)
    evil = _attacker_copy(signed)
    evil.find(ds("Signature")).append(_unsigned(signed, "original"))
    _whole_reference(evil).set("URI", "#original")
    return _bytes(evil)


def xsw2(data: bytes) -> bytes:
    signed = _tree(data)
    evil = _attacker_copy(signed)
    evil.find(ds("Signature")).addprevious(_unsigned(signed, "original"))
    _whole_reference(evil).set("URI", "#original")
    return _bytes(evil)


def xsw3(data: bytes) -> bytes:
    signed = _tree(data)
    signed.find(tag("Letter")).addprevious(_attacker_letter(signed))
    return _bytes(signed)


def xsw4(data: bytes) -> bytes:
    signed = _tree(data)
    original = signed.find(tag("Letter"))
    evil = _attacker_letter(signed)
    original.addprevious(evil)
    evil.append(original)
    return _bytes(signed)


def xsw5(data: bytes) -> bytes:
    signed = _tree(data)
    original = signed.find(tag("Letter"))
    evil = _attacker_letter(signed)
    original.addprevious(evil)
    evil.append(signed.find(ds("Signature")))
    signed.append(original)
    return _bytes(signed)


def xsw6(data: bytes) -> bytes:
    signed = _tree(data)
    original = signed.find(tag("Letter"))
    signature = signed.find(ds("Signature"))
    evil = _attacker_letter(signed)
    original.addprevious(evil)
    evil.append(signature)
    signature.append(original)
    return _bytes(signed)


def xsw7(data: bytes) -> bytes:
    signed = _tree(data)
    evil = _attacker_copy(signed)
    wrapper = etree.Element(f"{{{ATTACKER_NS}}}Extensions", nsmap={"x": ATTACKER_NS})
    wrapper.append(_unsigned(signed, "original"))
    evil.find(ds("Signature")).addprevious(wrapper)
    _whole_reference(evil).set("URI", "#original")
    return _bytes(evil)


def xsw8(data: bytes) -> bytes:
    signed = _tree(data)
    evil = _attacker_copy(signed)
    etree.SubElement(evil.find(ds("Signature")), ds("Object")).append(_unsigned(signed, "original"))
    _whole_reference(evil).set("URI", "#original")
    return _bytes(evil)


def xsw8_reference_kept(data: bytes) -> bytes:
    signed = _tree(data)
    evil = _attacker_copy(signed)
    etree.SubElement(evil.find(ds("Signature")), ds("Object")).append(_unsigned(signed))
    return _bytes(evil)


def nested_envelope(data: bytes) -> bytes:
    signed = _tree(data)
    signed.find(ds("Signature")).addprevious(_unsigned(_attacker_copy(signed)))
    return _bytes(signed)


def two_signatures(data: bytes) -> bytes:
    signed = _tree(data)
    evil = _attacker_copy(signed)
    evil.append(copy.deepcopy(signed.find(ds("Signature"))))
    return _bytes(evil)


def signature_first(data: bytes) -> bytes:
    evil = _attacker_copy(_tree(data))
    evil.insert(0, evil.find(ds("Signature")))
    return _bytes(evil)


def duplicate_key_info_id(data: bytes) -> bytes:
    evil = _attacker_copy(_tree(data))
    wrapper = etree.Element(f"{{{ATTACKER_NS}}}Extensions", nsmap={"x": ATTACKER_NS})
    wrapper.append(copy.deepcopy(evil.find(f"{ds('Signature')}/{ds('KeyInfo')}")))
    evil.find(ds("Signature")).addprevious(wrapper)
    return _bytes(evil)


def duplicate_signed_properties_id(data: bytes) -> bytes:
    evil = _attacker_copy(_tree(data))
    properties = evil.find(f".//{{{XADES}}}SignedProperties")
    evil.find(tag("Letter")).set("Id", properties.get("Id"))
    return _bytes(evil)


WRAPPING = [
    ("XSW1", xsw1, "envelope.reference_forbidden"),
    ("XSW2", xsw2, "envelope.reference_forbidden"),
    ("XSW3", xsw3, "envelope.signature_invalid"),
    ("XSW4", xsw4, "envelope.signature_invalid"),
    ("XSW5", xsw5, "envelope.signature_wrapping"),
    ("XSW6", xsw6, "envelope.signature_wrapping"),
    ("XSW7", xsw7, "envelope.reference_forbidden"),
    ("XSW8", xsw8, "envelope.reference_forbidden"),
    ("XSW8-reference-kept", xsw8_reference_kept, "envelope.signature_wrapping"),
    ("nested-envelope", nested_envelope, "envelope.signature_invalid"),
    ("two-signatures", two_signatures, "envelope.signature_wrapping"),
    ("signature-first-child", signature_first, "envelope.signature_wrapping"),
    ("duplicate-keyinfo-id", duplicate_key_info_id, "envelope.signature_wrapping"),
    (
        "duplicate-signedproperties-id",
        duplicate_signed_properties_id,
        "envelope.signature_wrapping",
    ),
]


@pytest.mark.parametrize(("wrap", "code"), [pytest.param(w, c, id=i) for i, w, c in WRAPPING])
def test_signature_wrapping_never_yields_the_attackers_letter(pki, wrap, code):
    hostile = wrap(_good(pki))
    assert ATTACKER_SUBJECT.encode() in hostile  # the attack really carries the forged letter

    refusal = _refusal(hostile, pki.directory())

    assert refusal.code == code


@pytest.mark.parametrize("smuggled", ["letter", "envelope"])
def test_unsigned_content_smuggled_into_the_xades_object_is_refused(pki, smuggled):
    # XSW8's hiding place used the other way round: the signed content stays where it is, an
    # unsigned, attacker-written letter rides along inside ds:Object, in the stored bytes.
    signed = _tree(_good(pki))
    payload = (
        _attacker_letter(signed) if smuggled == "letter" else _unsigned(_attacker_copy(signed))
    )
    signed.find(f"{ds('Signature')}/{ds('Object')}").append(payload)
    hostile = _bytes(signed)
    assert ATTACKER_SUBJECT.encode() in hostile

    assert _refusal(hostile, pki.directory()).code == "envelope.signature_wrapping"


def _text_after_the_signature(root: etree._Element) -> None:
    root.find(ds("Signature")).tail = ATTACKER_SUBJECT


def _thai_element_name(root: etree._Element) -> None:
    etree.SubElement(root.find(tag("Letter")), f"{{{ATTACKER_NS}}}ชั้นความลับ").text = "ลับ"


def _thai_attribute_name(root: etree._Element) -> None:
    root.find(tag("Letter")).set("ชั้นความลับ", ATTACKER_SUBJECT)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_text_after_the_signature, id="text-after-signature"),
        pytest.param(_thai_element_name, id="thai-element-name"),
        pytest.param(_thai_attribute_name, id="thai-attribute-name"),
    ],
)
def test_content_that_signxml_cannot_reparse_is_refused_with_a_code(pki, change):
    signed = _tree(_good(pki))
    change(signed)
    hostile = _bytes(signed)
    assert ATTACKER_SUBJECT.encode() in hostile or "ชั้นความลับ".encode() in hostile

    expected = (
        # Text after the signature lies outside every reference: refused before any digest.
        "envelope.signature_wrapping"
        if change is _text_after_the_signature
        else "envelope.signature_invalid"
    )
    assert _refusal(hostile, pki.directory()).code == expected


def test_an_added_ascii_named_element_breaks_the_digest(pki):
    signed = _tree(_good(pki))
    etree.SubElement(signed.find(tag("Letter")), f"{{{ATTACKER_NS}}}Classification").text = "ลับ"

    assert _refusal(_bytes(signed), pki.directory()).code == "envelope.signature_invalid"


def test_whitespace_after_the_signature_breaks_the_digest(pki):
    signed = _tree(_good(pki))
    signed.find(ds("Signature")).tail = "\n  "

    assert _refusal(_bytes(signed), pki.directory()).code == "envelope.signature_invalid"


# --------------------------------------------------------------------------- comments and PIs


def _comment_in_subject(root: etree._Element) -> None:
    subject = _subject(root)
    subject.text = "ข้อเสนอ"
    comment = etree.Comment("")
    subject.append(comment)
    comment.tail = "แก้"


def _pi_in_subject(root: etree._Element) -> None:
    subject = _subject(root)
    subject.text = "ข้อเสนอ"
    instruction = etree.ProcessingInstruction("saraban", "ซ่อนข้อความ")
    subject.append(instruction)
    instruction.tail = "แก้"


def _comment_in_signed_info(root: etree._Element) -> None:
    _signed_info(root).insert(0, etree.Comment("ลงนามโดย สพธอ."))


def _pi_before_root(root: etree._Element) -> None:
    root.addprevious(etree.ProcessingInstruction("xml-stylesheet", 'type="text/xsl" href="x.xsl"'))


def _comment_after_root(root: etree._Element) -> None:
    root.addnext(etree.Comment("อนุมัติแล้ว"))


@pytest.mark.parametrize(
    "inject",
    [
        _comment_in_subject,
        _pi_in_subject,
        _comment_in_signed_info,
        _pi_before_root,
        _comment_after_root,
    ],
)
def test_comments_and_processing_instructions_are_refused(pki, inject):
    root = _tree(_good(pki))
    inject(root)

    assert _refusal(_bytes(root), pki.directory()).code == "envelope.comments_forbidden"


def test_a_comment_split_subject_is_the_exact_injection_of_the_brief(pki):
    root = _tree(_good(pki))
    _comment_in_subject(root)

    assert "<Subject>ข้อเสนอ<!---->แก้</Subject>".encode() in _bytes(root)


# --------------------------------------------------------------------------- KeyInfo certificate


def test_another_agencys_certificate_is_not_registered_for_the_sender(pki):
    # สลค. signs, correctly, an envelope that claims to come from สพธอ.
    hostile = envelope_sign(
        letter_envelope(), key=pki.soc.private_key, certificate=pki.soc.certificate
    )

    refusal = _refusal(hostile, pki.directory())

    assert refusal.code == "envelope.certificate_not_registered"
    assert refusal.details == {"sender": "etda"}


def test_a_self_made_certificate_is_not_registered(pki, certificates):
    hostile = envelope_sign(
        letter_envelope(), key=certificates.attacker_key, certificate=certificates.self_made
    )
    assert certificates.self_made.subject == pki.etda.certificate.subject

    assert _refusal(hostile, pki.directory()).code == "envelope.certificate_not_registered"


@pytest.mark.parametrize("value", ["", "bm90IGEgY2VydGlmaWNhdGU="])
def test_an_empty_or_unreadable_keyinfo_certificate_is_not_registered(pki, value):
    root = _tree(_good(pki))
    root.find(f".//{ds('X509Certificate')}").text = value

    assert _refusal(_bytes(root), pki.directory()).code == "envelope.certificate_not_registered"


def test_etdas_certificate_with_an_attackers_key_fails_the_signature(pki, certificates):
    hostile = _resign(XMLSigner(), key=certificates.attacker_key, certificate=pki.etda.certificate)

    assert _refusal(hostile, pki.directory()).code == "envelope.signature_invalid"


# --------------------------------------------------------------------------- algorithms


def _rewrite(path: str, algorithm: str) -> Callable[[Pki, Certificates], bytes]:
    def build(pki: Pki, certificates: Certificates) -> bytes:
        root = _tree(_good(pki))
        root.find(path).set("Algorithm", algorithm)
        return _bytes(root)

    return build


def _resigned(signer_factory: Callable[[], XMLSigner]) -> Callable[[Pki, Certificates], bytes]:
    def build(pki: Pki, certificates: Certificates) -> bytes:
        return _resign(signer_factory(), key=pki.etda.private_key, certificate=pki.etda.certificate)

    return build


def _hmac_as_signxml_writes_it(pki: Pki, certificates: Certificates) -> bytes:
    return _resign(XMLSigner(signature_algorithm="hmac-sha256"), key=b"secret", certificate=None)


def _hmac_with_etdas_key_info(pki: Pki, certificates: Certificates) -> bytes:
    root = _tree(_hmac_as_signxml_writes_it(pki, certificates))
    key_info = _tree(_good(pki)).find(f"{ds('Signature')}/{ds('KeyInfo')}")
    root.find(ds("Signature")).append(key_info)
    return _bytes(root)


SIGNATURE_METHOD = f"{ds('Signature')}/{ds('SignedInfo')}/{ds('SignatureMethod')}"
FIRST_DIGEST = f"{ds('Signature')}/{ds('SignedInfo')}/{ds('Reference')}/{ds('DigestMethod')}"
KEY_INFO_DIGEST = f"{ds('Signature')}/{ds('SignedInfo')}/{ds('Reference')}[3]/{ds('DigestMethod')}"

ALGORITHMS = [
    pytest.param(_resigned(lambda: _PermissiveSigner(digest_algorithm="sha1")), id="sha1-digest"),
    pytest.param(
        _resigned(lambda: _PermissiveSigner(signature_algorithm="rsa-sha1")), id="rsa-sha1"
    ),
    pytest.param(
        _resigned(lambda: _PermissiveXAdESSigner(digest_algorithm="sha1", c14n_algorithm=C14N_11)),
        id="xades-sha1-digest",
    ),
    pytest.param(_resigned(lambda: XMLSigner(digest_algorithm="sha512")), id="sha512-digest"),
    pytest.param(_resigned(lambda: XMLSigner(signature_algorithm="rsa-sha512")), id="rsa-sha512"),
    pytest.param(
        _resigned(
            lambda: XMLSigner(
                signature_algorithm="http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
            )
        ),
        id="rsa-pss",
    ),
    pytest.param(
        _hmac_as_signxml_writes_it,
        id="hmac-sha256-as-signxml-writes-it",
    ),
    pytest.param(_hmac_with_etdas_key_info, id="hmac-sha256-with-keyinfo"),
    pytest.param(
        _rewrite(SIGNATURE_METHOD, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
        id="rewritten-rsa-sha1",
    ),
    pytest.param(
        _rewrite(SIGNATURE_METHOD, "http://www.w3.org/2000/09/xmldsig#dsa-sha1"),
        id="rewritten-dsa-sha1",
    ),
    pytest.param(
        _rewrite(SIGNATURE_METHOD, "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"),
        id="rewritten-hmac-sha256",
    ),
    pytest.param(_rewrite(SIGNATURE_METHOD, "urn:example:rot13"), id="rewritten-unknown"),
    pytest.param(
        _rewrite(FIRST_DIGEST, "http://www.w3.org/2000/09/xmldsig#sha1"),
        id="rewritten-digest-sha1",
    ),
    pytest.param(
        _rewrite(FIRST_DIGEST, "http://www.w3.org/2001/04/xmldsig-more#md5"),
        id="rewritten-digest-md5",
    ),
    pytest.param(
        _rewrite(KEY_INFO_DIGEST, "http://www.w3.org/2000/09/xmldsig#sha1"),
        id="rewritten-keyinfo-reference-sha1",
    ),
]


@pytest.mark.parametrize("build", ALGORITHMS)
def test_algorithms_outside_the_profile_are_refused(pki, certificates, build):
    assert _refusal(build(pki, certificates), pki.directory()).code == (
        "envelope.algorithm_forbidden"
    )


# --------------------------------------------------------------------------- canonicalization


def _with_comments_in(place: str, algorithm: str, pki: Pki) -> bytes:
    if place == "re-signed":
        # A genuinely valid signature, made with the #WithComments variant everywhere.
        return _resign(
            XMLSigner(c14n_algorithm=algorithm),
            key=pki.etda.private_key,
            certificate=pki.etda.certificate,
        )
    root = _tree(_good(pki))
    if place == "SignedInfo":
        _signed_info(root).find(ds("CanonicalizationMethod")).set("Algorithm", algorithm)
    elif place == "URI-transform":
        _whole_reference(root).find(ds("Transforms"))[1].set("Algorithm", algorithm)
    else:  # a transform added to the SignedProperties reference
        transforms = etree.Element(ds("Transforms"))
        etree.SubElement(transforms, ds("Transform"), Algorithm=algorithm)
        _references(root)[1].insert(0, transforms)
    return _bytes(root)


@pytest.mark.parametrize("algorithm", WITH_COMMENTS, ids=["c14n10", "c14n11", "exc-c14n"])
@pytest.mark.parametrize(
    "place", ["SignedInfo", "URI-transform", "SignedProperties-transform", "re-signed"]
)
def test_with_comments_canonicalization_is_refused(pki, place, algorithm):
    refusal = _refusal(_with_comments_in(place, algorithm, pki), pki.directory())

    assert refusal.code == "envelope.c14n_forbidden"
    assert refusal.details == {"algorithm": algorithm}


# --------------------------------------------------------------------------- references


def _fourth_reference_to_the_letter(root: etree._Element) -> None:
    root.find(tag("Letter")).set("Id", "letter-1")
    extra = copy.deepcopy(_references(root)[2])
    extra.set("URI", "#letter-1")
    _signed_info(root).append(extra)


def _external_reference(url: str) -> Callable[[etree._Element], None]:
    def add(root: etree._Element) -> None:
        extra = copy.deepcopy(_references(root)[2])
        extra.set("URI", f"{url}/หนังสือ.xml")
        _signed_info(root).append(extra)

    return add


def _second_whole_reference(root: etree._Element) -> None:
    extra = copy.deepcopy(_whole_reference(root))
    del extra.attrib["Id"]  # a copied Id would be caught as a duplicate first
    _signed_info(root).append(extra)


def _xpointer_reference(root: etree._Element) -> None:
    _whole_reference(root).set("URI", "#xpointer(/)")


def _key_info_reference_dropped(root: etree._Element) -> None:
    _signed_info(root).remove(_references(root)[2])


def _signed_properties_type_dropped(root: etree._Element) -> None:
    del _references(root)[1].attrib["Type"]


@pytest.mark.parametrize(
    "change",
    [
        _fourth_reference_to_the_letter,
        _second_whole_reference,
        _xpointer_reference,
        _key_info_reference_dropped,
        _signed_properties_type_dropped,
    ],
)
def test_references_outside_the_profile_are_refused(pki, change):
    root = _tree(_good(pki))
    change(root)

    assert _refusal(_bytes(root), pki.directory()).code == "envelope.reference_forbidden"


def test_an_external_reference_is_refused_without_fetching_it(pki, listener):
    root = _tree(_good(pki))
    _external_reference(listener.url)(root)
    listener.requests.clear()

    assert _refusal(_bytes(root), pki.directory()).code == "envelope.reference_forbidden"
    assert listener.requests == []


def _plain_xmldsig(pki: Pki) -> bytes:
    """The other accepted shape: plain XMLDSig, one Reference URI="" (as xmlsec1 writes it)."""
    return _resign(XMLSigner(), key=pki.etda.private_key, certificate=pki.etda.certificate)


def test_the_plain_xmldsig_shape_itself_is_accepted(pki):
    assert envelope_verify(_plain_xmldsig(pki), directory=pki.directory(), now=now()).shape == (
        "xmldsig"
    )


def test_an_extra_reference_in_plain_xmldsig_is_a_forbidden_reference(pki):
    root = _tree(_plain_xmldsig(pki))
    root.find(tag("Letter")).set("Id", "letter-1")
    extra = copy.deepcopy(_whole_reference(root))
    extra.set("URI", "#letter-1")
    _signed_info(root).append(extra)

    assert _refusal(_bytes(root), pki.directory()).code == "envelope.reference_forbidden"


# --------------------------------------------------------------------------- transforms


def _transforms(root: etree._Element) -> etree._Element:
    return _whole_reference(root).find(ds("Transforms"))


def _transform(algorithm: str) -> etree._Element:
    element = etree.Element(ds("Transform"), Algorithm=algorithm)
    if algorithm == XPATH:
        # Would sign everything except the subject, leaving it free to change.
        etree.SubElement(
            element, ds("XPath")
        ).text = "not(ancestor-or-self::*[local-name()='Subject'])"
    return element


def _appended(algorithm: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        _transforms(root).append(_transform(algorithm))

    return change


def _replacing_c14n(algorithm: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        transforms = _transforms(root)
        transforms.replace(transforms[1], _transform(algorithm))

    return change


def _only_enveloped(root: etree._Element) -> None:
    transforms = _transforms(root)
    transforms.remove(transforms[1])


def _reordered(root: etree._Element) -> None:
    transforms = _transforms(root)
    transforms.append(transforms[0])


def _none(root: etree._Element) -> None:
    reference = _whole_reference(root)
    reference.remove(reference.find(ds("Transforms")))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_appended(XPATH), id="xpath-added"),
        pytest.param(_appended(BASE64), id="base64-added"),
        pytest.param(_appended(XSLT), id="xslt-added"),
        pytest.param(_appended(C14N_11), id="second-c14n-added"),
        pytest.param(_only_enveloped, id="c14n-missing"),
        pytest.param(_reordered, id="c14n-before-enveloped"),
        pytest.param(_none, id="no-transforms"),
        pytest.param(_replacing_c14n(XPATH), id="xpath-instead-of-c14n"),
        pytest.param(_replacing_c14n(BASE64), id="base64-instead-of-c14n"),
    ],
)
def test_transforms_outside_the_profile_are_refused(pki, change):
    root = _tree(_good(pki))
    change(root)

    assert _refusal(_bytes(root), pki.directory()).code == "envelope.transform_forbidden"


# --------------------------------------------------------------------------- certificates


def _sign_as_etda(issued: IssuedCertificate) -> bytes:
    return envelope_sign(letter_envelope(), key=issued.private_key, certificate=issued.certificate)


def test_an_expired_certificate_is_refused(pki, certificates):
    hostile = _sign_as_etda(certificates.expired)

    refusal = _refusal(
        hostile, _registered(pki, certificates.expired.certificate), expected=CertificateRejected
    )

    assert refusal.code == "pki.expired"
    assert refusal.details["moment"] == "signing_time"


def test_a_certificate_not_yet_valid_is_refused(pki, certificates):
    hostile = _sign_as_etda(certificates.not_yet_valid)

    refusal = _refusal(
        hostile,
        _registered(pki, certificates.not_yet_valid.certificate),
        expected=CertificateRejected,
    )

    assert refusal.code == "pki.not_yet_valid"
    assert refusal.details["moment"] == "signing_time"


def test_a_revoked_certificate_is_refused(pki, certificates):
    hostile = _sign_as_etda(certificates.revoked)
    directory = _registered(
        pki,
        certificates.revoked.certificate,
        trust=TrustMaterial(anchors=(pki.ca.certificate,), crls=(certificates.crl,)),
    )

    assert _refusal(hostile, directory, expected=CertificateRejected).code == "pki.revoked"
    # The same certificate without the CRL passes: the CRL is what refuses it.
    envelope_verify(
        hostile, directory=_registered(pki, certificates.revoked.certificate), now=now()
    )


def test_a_certificate_from_an_untrusted_ca_is_refused(pki, certificates):
    hostile = _sign_as_etda(certificates.untrusted)

    refusal = _refusal(
        hostile, _registered(pki, certificates.untrusted.certificate), expected=CertificateRejected
    )

    assert refusal.code == "pki.untrusted"


def test_an_rsa_1024_certificate_is_refused_as_a_weak_key(pki, certificates):
    weak = certificates.weak
    with pytest.raises(ValueError, match="2048"):
        _sign_as_etda(weak)  # the hub's own signer refuses; an attacker's does not
    signer = XAdESSigner(c14n_algorithm=C14N_11)  # the hub's shape, without the guard
    hostile = _resign(signer, key=weak.private_key, certificate=weak.certificate)

    refusal = _refusal(hostile, _registered(pki, weak.certificate), expected=CertificateRejected)

    assert refusal.code == "pki.weak_key"
    assert refusal.details["bits"] == 1024


# --------------------------------------------------------------------------- DTD and entities


def _laughs(levels: int = 10, fan_out: int = 10) -> str:
    entities = ['<!ENTITY l0 "ฮ่าฮ่าฮ่า">'] + [
        f'<!ENTITY l{i} "{f"&l{i - 1};" * fan_out}">' for i in range(1, levels)
    ]
    return f"<!DOCTYPE Envelope [{''.join(entities)}]>"


def _dtd_cases(listener: Listener, local_file: str) -> dict[str, tuple[str, str | None]]:
    """Name -> (DOCTYPE, entity referenced from the Subject, if any)."""
    return {
        "internal-entity": ('<!DOCTYPE Envelope [<!ENTITY subject "ข้อเสนอปลอม">]>', "subject"),
        "external-file-entity": (
            f'<!DOCTYPE Envelope [<!ENTITY x SYSTEM "{local_file}">]>',
            "x",
        ),
        "external-http-entity": (
            f'<!DOCTYPE Envelope [<!ENTITY x SYSTEM "{listener.url}/xxe">]>',
            "x",
        ),
        "parameter-entity-http": (
            f'<!DOCTYPE Envelope [<!ENTITY % p SYSTEM "{listener.url}/p.dtd"> %p;]>',
            None,
        ),
        "parameter-entity-file": (
            f'<!DOCTYPE Envelope [<!ENTITY % p SYSTEM "{local_file}"> %p;]>',
            None,
        ),
        "external-subset-http": (f'<!DOCTYPE Envelope SYSTEM "{listener.url}/e.dtd">', None),
        "external-subset-file": (f'<!DOCTYPE Envelope SYSTEM "{local_file}">', None),
        "billion-laughs": (_laughs(), "l9"),
    }


DTD_KINDS = [
    "internal-entity",
    "external-file-entity",
    "external-http-entity",
    "parameter-entity-http",
    "parameter-entity-file",
    "external-subset-http",
    "external-subset-file",
    "billion-laughs",
]


def _with_doctype(pki: Pki, doctype: str, entity: str | None, encoding: str = "UTF-8") -> bytes:
    root = _tree(_good(pki))
    if entity is not None:
        subject = _subject(root)
        subject.text = "ข้อเสนอ "
        reference = etree.Entity(entity)
        subject.append(reference)
        reference.tail = " แก้"
    return bytes(
        etree.tostring(root.getroottree(), xml_declaration=True, encoding=encoding, doctype=doctype)
    )


@pytest.fixture
def local_file(tmp_path: Path) -> str:
    secret = tmp_path / "server-secret.dtd"
    secret.write_text("รหัสผ่านของเครื่องแม่ข่าย: hunter2\n", encoding="utf-8")
    return secret.as_uri()


@pytest.mark.parametrize("kind", DTD_KINDS)
def test_dtds_and_entities_are_refused_fast_and_offline(pki, listener, local_file, kind):
    doctype, entity = _dtd_cases(listener, local_file)[kind]
    hostile = _with_doctype(pki, doctype, entity)
    assert b"<!DOCTYPE" in hostile
    listener.requests.clear()

    started = time.monotonic()
    refusal = _refusal(hostile, pki.directory())
    elapsed = time.monotonic() - started

    assert refusal.code == "envelope.dtd_forbidden"
    assert elapsed < 1.0  # a bound on hostile input, not a benchmark
    assert listener.requests == []


@pytest.mark.parametrize("kind", DTD_KINDS)
def test_dtds_in_utf16_are_refused_without_reading_files_or_the_network(
    pki, listener, local_file, kind
):
    doctype, entity = _dtd_cases(listener, local_file)[kind]
    hostile = _with_doctype(pki, doctype, entity, encoding="UTF-16")
    assert b"<!DOCTYPE" not in hostile  # the byte-level pre-check cannot see it
    listener.requests.clear()

    started = time.monotonic()
    refusal = _refusal(hostile, pki.directory())
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert listener.requests == []
    assert "server-secret" not in str(refusal.details)  # nothing about the local file leaks back
    # The profile is UTF-8 only: a UTF-16 document is refused before any DTD is looked at.
    assert refusal.code == "envelope.malformed"
    assert refusal.details == {"reason": "envelopes are UTF-8"}


def test_a_good_envelope_re_encoded_as_utf16_is_refused(pki):
    good = _good(pki)
    root = _tree(good)
    utf16 = etree.tostring(root, xml_declaration=True, encoding="UTF-16")

    refusal = _refusal(utf16, pki.directory())

    assert refusal.code == "envelope.malformed"


@pytest.mark.parametrize("namespace", [XINCLUDE_2001, XINCLUDE_2003])
def test_xinclude_is_refused(pki, namespace):
    root = _tree(_good(pki))
    subject = _subject(root)
    subject.text = ""
    etree.SubElement(subject, f"{{{namespace}}}include", href="file:///etc/passwd", parse="text")

    assert _refusal(_bytes(root), pki.directory()).code == "envelope.xinclude_forbidden"


@pytest.mark.parametrize("where", ["schemaLocation", "noNamespaceSchemaLocation", "type"])
def test_xsi_attributes_are_refused_without_fetching_the_schema(pki, listener, where):
    root = _tree(_good(pki))
    if where == "schemaLocation":
        root.set(
            f"{{{XSI}}}schemaLocation", f"urn:th:saraban-hub:envelope:1.0 {listener.url}/x.xsd"
        )
    elif where == "noNamespaceSchemaLocation":
        root.set(f"{{{XSI}}}noNamespaceSchemaLocation", f"{listener.url}/x.xsd")
    else:
        _subject(root).set(f"{{{XSI}}}type", "xs:anyType")
    listener.requests.clear()

    refusal = _refusal(_bytes(root), pki.directory())

    assert refusal.code == "envelope.schema_invalid"
    assert listener.requests == []
