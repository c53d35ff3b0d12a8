"""Verify an envelope that arrived, fail closed, in the order of docs/envelope.md.

1. size cap, hardened parse, depth cap (safe_xml.py);
2. look up the claimed sender (a lookup key only, not trusted yet);
3. the signature's shape: one ds:Signature, last child of the root, exactly the profile's
   references, transforms, algorithms and canonicalization (this is where wrapping attacks die);
   the certificate in KeyInfo must be one registered for the sender, and pass the PKI checks;
4. signxml verifies the signature against that registered certificate;
5. from here on only ``signed_xml`` is read: schema, header consistency, type, recipient,
   clock skew, secrecy policy.
Steps 6 (duplicates) and 7 (storage) need the database and live in the inbound service;
attachment bytes are checked against the signed manifest by ``attachments.py``.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, XMLVerifier
from signxml.xades.xades import XAdESSignatureConfiguration, XAdESVerifier

from agencies.pki.validation import TrustMaterial, certificate_check

from . import errors
from .document_copies import DocumentCopies
from .encryption import SECRET_CODES
from .policy import (
    DEFAULT_POLICY,
    ENVELOPED_TRANSFORM,
    XADES_SIGNED_PROPERTIES_TYPE,
    VerificationPolicy,
)
from .safe_xml import compiled_xpath, hardened_parser, parse_xml
from .schema import envelope_schema
from .types import ACKNOWLEDGEMENT_TYPES, Envelope, MessageType
from .xml_build import tag
from .xml_read import acknowledgement_kind, parse_utc, text, xml_to_envelope

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
NS = {"ds": DS, "xades": XADES}

SignatureShape = Literal["xades", "xmldsig"]

_ACK_DETAIL = {
    MessageType.RECEIPT: "Receipt",
    MessageType.REGISTRATION: "Registration",
    MessageType.REJECTION: "Rejection",
    MessageType.WRONG_RECIPIENT: "WrongRecipient",
    MessageType.WITHDRAWAL: "Withdrawal",
    MessageType.RECEIVE_NUMBER_DISPUTE: "ReceiveNumberDispute",
}


class SenderDirectory(Protocol):
    """What the verifier needs to know about agencies; the exchange app backs it with the DB."""

    def agency_exists(self, agency_key: str) -> bool: ...

    def signing_certificates(self, agency_key: str) -> Sequence[x509.Certificate]: ...

    def trust_material(self) -> TrustMaterial: ...

    def serves(self, agency_key: str) -> bool: ...


@dataclass
class Report:
    """The checks that passed, in order, for people reading a verdict (envelope_verify)."""

    passed: list[str] = field(default_factory=list)

    def ok(self, check: str) -> None:
        self.passed.append(check)


@dataclass(frozen=True)
class VerifiedEnvelope:
    envelope: Envelope
    signed_xml: etree._Element
    certificate: x509.Certificate
    shape: SignatureShape
    signing_time: datetime.datetime | None
    envelope_sha256: str
    checks: tuple[str, ...]


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _c14n_checked(algorithm: str | None, policy: VerificationPolicy) -> None:
    try:
        method = CanonicalizationMethod(algorithm)
    except ValueError:
        raise errors.CanonicalizationForbidden(details={"algorithm": algorithm}) from None
    if method not in policy.canonicalizations:
        raise errors.CanonicalizationForbidden(details={"algorithm": algorithm})


def _digest_checked(reference: etree._Element, policy: VerificationPolicy) -> None:
    method = reference.find("ds:DigestMethod", NS)
    algorithm = method.get("Algorithm") if method is not None else None
    try:
        digest = DigestAlgorithm(algorithm)
    except ValueError:
        raise errors.AlgorithmForbidden(details={"digest": algorithm}) from None
    if digest not in policy.digest_algorithms:
        raise errors.AlgorithmForbidden(details={"digest": algorithm})


def _transforms(reference: etree._Element) -> list[str | None]:
    return [t.get("Algorithm") for t in reference.findall("ds:Transforms/ds:Transform", NS)]


def _canonicalization_transform_checked(algorithm: str | None, policy: VerificationPolicy) -> None:
    """A transform in the c14n position must be a canonicalization, and an allowed one."""
    try:
        CanonicalizationMethod(algorithm)
    except ValueError:
        raise errors.TransformForbidden(details={"transform": algorithm}) from None
    _c14n_checked(algorithm, policy)


def _check_key_info(signature: etree._Element) -> None:
    """Allow in KeyInfo only the certificate (and optionally its key value).

    In plain XMLDSig, KeyInfo is not signed: nothing a reader could take for data may hide there.
    """
    key_info = signature.find("ds:KeyInfo", NS)
    names = [etree.QName(child).localname for child in key_info] if key_info is not None else []
    certificates = [
        etree.QName(child).localname for child in signature.iterfind("ds:KeyInfo/ds:X509Data/*", NS)
    ]
    if (
        set(names) - {"X509Data", "KeyValue"}
        or names.count("X509Data") != 1
        or set(certificates) != {"X509Certificate"}
    ):
        raise errors.CertificateNotRegistered(details={"key_info": names, "x509": certificates})


# Every attribute named id in any letter case (Id, ID, iD, id), namespaced or not: what
# signxml may resolve a "#…" reference against.
_ID_VALUES = "descendant-or-self::*/@*[translate(local-name(), 'ID', 'id') = 'id']"


def _signature_element(root: etree._Element) -> etree._Element:
    """Return the one ds:Signature, which must be the root's last child."""
    signatures = root.findall(".//ds:Signature", NS)
    if (
        len(signatures) != 1
        or signatures[0].getparent() is not root
        or root[-1] is not signatures[0]
    ):
        raise errors.SignatureWrapping(details={"signatures": len(signatures)})
    if (signatures[0].tail or "").strip():
        # Text after the signature is outside every reference: unsigned content.
        raise errors.SignatureWrapping(details={"reason": "text after the signature"})
    ids = compiled_xpath(_ID_VALUES)(root)
    assert isinstance(ids, list)
    if len(ids) != len(set(ids)):
        raise errors.SignatureWrapping(details={"duplicate_ids": True})
    return signatures[0]


def _check_shape(signature: etree._Element, policy: VerificationPolicy) -> SignatureShape:
    """Accept exactly the hub's XAdES-BES shape or plain XMLDSig over URI=""; nothing else."""
    children = [etree.QName(child).localname for child in signature]
    signed_info = signature.find("ds:SignedInfo", NS)
    if signed_info is None:
        raise errors.SignatureWrapping(details={"children": children})
    c14n = signed_info.find("ds:CanonicalizationMethod", NS)
    _c14n_checked(c14n.get("Algorithm") if c14n is not None else None, policy)
    method = signed_info.find("ds:SignatureMethod", NS)
    algorithm = method.get("Algorithm") if method is not None else None
    try:
        signature_method = SignatureMethod(algorithm)
    except ValueError:
        raise errors.AlgorithmForbidden(details={"signature": algorithm}) from None
    if signature_method not in policy.signature_methods:
        raise errors.AlgorithmForbidden(details={"signature": algorithm})
    # Algorithms first, so an HMAC or SHA-1 signature is named as such whatever its layout.
    if children[:3] != ["SignedInfo", "SignatureValue", "KeyInfo"]:
        raise errors.SignatureWrapping(details={"children": children})
    _check_key_info(signature)

    references = signed_info.findall("ds:Reference", NS)
    for reference in references:
        _digest_checked(reference, policy)
    whole = [r for r in references if r.get("URI") == ""]
    if len(whole) != 1:
        raise errors.ReferenceForbidden(details={"whole_document_references": len(whole)})
    transforms = _transforms(whole[0])
    if len(transforms) != 2 or transforms[0] != ENVELOPED_TRANSFORM:
        raise errors.TransformForbidden(details={"transforms": transforms})
    _canonicalization_transform_checked(transforms[1], policy)

    others = [r for r in references if r is not whole[0]]
    objects = signature.findall("ds:Object", NS)
    if not others:
        if objects or len(children) != 3:
            raise errors.SignatureWrapping(details={"children": children})
        return "xmldsig"
    if not objects:
        # Plain XMLDSig signs exactly one thing: the whole envelope.
        raise errors.ReferenceForbidden(details={"references": len(references)})
    _check_xades_references(signature, others, objects, policy)
    return "xades"


def _check_xades_references(
    signature: etree._Element,
    others: list[etree._Element],
    objects: list[etree._Element],
    policy: VerificationPolicy,
) -> None:
    key_info = signature.find("ds:KeyInfo", NS)
    properties = signature.findall(
        "ds:Object/xades:QualifyingProperties/xades:SignedProperties", NS
    )
    if len(objects) != 1 or len(properties) != 1 or key_info is None:
        raise errors.SignatureWrapping(details={"objects": len(objects)})
    # The Object holds the qualifying properties and nothing else: anything beside them would
    # travel in the "signed" bytes without being signed.
    qualifying_properties = properties[0].getparent()
    if (
        len(objects[0]) != 1
        or qualifying_properties is None
        or len(qualifying_properties) != 1
        or (objects[0].text or "").strip()
        or len(signature) != 4
    ):
        raise errors.SignatureWrapping(details={"reason": "unsigned content in ds:Object"})
    qualifying = properties[0].getparent()
    if qualifying is None or qualifying.get("Target") != f"#{signature.get('Id')}":
        raise errors.SignatureWrapping(details={"target": "QualifyingProperties"})
    expected = {
        (f"#{properties[0].get('Id')}", XADES_SIGNED_PROPERTIES_TYPE),
        (f"#{key_info.get('Id')}", None),
    }
    found = {(r.get("URI"), r.get("Type")) for r in others}
    if len(others) != 2 or found != expected:
        raise errors.ReferenceForbidden(details={"references": sorted(str(f) for f in found)})
    for reference in others:
        transforms = _transforms(reference)
        if len(transforms) > 1:
            raise errors.TransformForbidden(details={"transforms": transforms})
        for transform in transforms:
            _canonicalization_transform_checked(transform, policy)


def _key_info_certificate(signature: etree._Element) -> x509.Certificate:
    values = signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    if not values or not (values[0].text or "").strip():
        raise errors.CertificateNotRegistered(details={"reason": "no X509Certificate in KeyInfo"})
    body = "".join((values[0].text or "").split())
    try:
        return x509.load_pem_x509_certificate(
            f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n".encode()
        )
    except ValueError as exc:
        raise errors.CertificateNotRegistered(details={"reason": "unreadable certificate"}) from exc


def _claimed(root: etree._Element, path: str) -> str:
    value = text(root, path)
    if not value:
        raise errors.SchemaInvalid(details={"missing": path})
    return value


class _XAdESVerifier(DocumentCopies, XAdESVerifier):
    """signxml's XAdES verifier; whole-document copies are made by lxml (document_copies.py)."""


class _XMLVerifier(DocumentCopies, XMLVerifier):
    """signxml's XMLDSig verifier; whole-document copies are made by lxml (document_copies.py)."""


def _signxml_verify(
    root: etree._Element,
    *,
    certificate: x509.Certificate,
    shape: SignatureShape,
    policy: VerificationPolicy,
) -> tuple[etree._Element, datetime.datetime | None]:
    # signxml's XAdES verifier for the XAdES shape (3 references), the plain one otherwise.
    verifier: XMLVerifier = _XAdESVerifier() if shape == "xades" else _XMLVerifier()
    configuration = XAdESSignatureConfiguration if shape == "xades" else SignatureConfiguration
    try:
        outcome = verifier.verify(
            root,
            x509_cert=certificate,
            parser=hardened_parser(),
            # The signature must be the root's own child ("./"), with only the policy's
            # algorithms.
            expect_config=configuration(
                location="./",
                expect_references=3 if shape == "xades" else 1,
                signature_methods=policy.signature_methods,
                digest_algorithms=policy.digest_algorithms,
            ),
        )
        results = outcome if isinstance(outcome, list) else [outcome]
    except (InvalidDigest, InvalidSignature, InvalidInput, InvalidCertificate) as exc:
        raise errors.SignatureInvalid(details={"reason": str(exc)[:300]}) from exc
    except etree.DocumentInvalid as exc:
        raise errors.SignatureInvalid(
            details={"reason": "ds:Signature is not schema-valid"}
        ) from exc
    except etree.XMLSyntaxError as exc:
        # signxml re-parses its own serialisation; what it cannot re-read was not signed as-is.
        raise errors.SignatureInvalid(
            details={"reason": "unreadable after canonicalization"}
        ) from exc
    signed = [
        r.signed_xml
        for r in results
        if r.signed_xml is not None and r.signed_xml.tag == tag("Envelope")
    ]
    if len(signed) != 1:
        raise errors.ReferenceForbidden(details={"reason": "the envelope itself was not signed"})
    signing_time = None
    for result in results:
        properties = getattr(result, "signed_properties", None)
        if properties is not None:
            value = properties.findtext("xades:SigningTime", namespaces=NS)
            if value:
                signing_time = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return signed[0], signing_time


def _check_type(envelope: Envelope, root: etree._Element) -> None:
    """Match content to type: a letter has at most one main document; acks carry no files."""
    message_type = envelope.header.message_type
    if message_type == MessageType.LETTER:
        mains = [entry for entry in envelope.manifest if entry.role == "main"]
        carried = (envelope.letter is not None) + (envelope.encrypted_letter is not None)
        if carried != 1 or len(mains) > 1:
            raise errors.TypeMismatch(details={"message_type": message_type})
        return
    if (
        message_type not in ACKNOWLEDGEMENT_TYPES
        or acknowledgement_kind(root) != _ACK_DETAIL[message_type]
        or envelope.manifest
    ):
        raise errors.TypeMismatch(details={"message_type": message_type})


def _check_secrecy(envelope: Envelope, policy: VerificationPolicy) -> None:
    """ลับที่สุด never travels; ลับ and ลับมาก travel only encrypted (ระเบียบงานสารบรรณ 2564)."""
    if envelope.encrypted_letter is not None:
        if envelope.encrypted_letter.secrecy == "004":
            raise errors.TopSecretRefused()
        if envelope.encrypted_letter.secrecy not in SECRET_CODES:
            # Nothing to hide and nobody to hide it from: an ordinary letter is sent in the clear.
            raise errors.TypeMismatch(details={"secrecy": envelope.encrypted_letter.secrecy})
        return
    if envelope.letter is None:
        return
    if envelope.letter.secrecy == "004":
        raise errors.TopSecretRefused()
    if envelope.letter.secrecy in SECRET_CODES and policy.require_secret_encryption:
        raise errors.SecretNotEncrypted(details={"secrecy": envelope.letter.secrecy})


def envelope_verify(
    data: bytes,
    *,
    directory: SenderDirectory,
    now: datetime.datetime,
    policy: VerificationPolicy = DEFAULT_POLICY,
    report: Report | None = None,
) -> VerifiedEnvelope:
    """Verify the bytes of an envelope and return what was signed, or raise why not."""
    report = report if report is not None else Report()
    root = parse_xml(data, max_bytes=policy.max_bytes, max_depth=policy.max_depth)
    if root.tag != tag("Envelope"):
        raise errors.SchemaInvalid(details={"root": str(root.tag)})
    report.ok("parsed")

    claimed_sender = _claimed(root, "Header/Sender/AgencyKey")
    claimed_created = _claimed(root, "Header/CreatedAt")
    if not directory.agency_exists(claimed_sender):
        raise errors.UnknownSender(details={"sender": claimed_sender})
    report.ok("sender_known")

    signature = _signature_element(root)
    shape = _check_shape(signature, policy)
    report.ok("signature_shape")

    presented = _key_info_certificate(signature)
    # Certificates compare by their DER bytes.
    certificate = next(
        (c for c in directory.signing_certificates(claimed_sender) if c == presented), None
    )
    if certificate is None:
        raise errors.CertificateNotRegistered(details={"sender": claimed_sender})
    try:
        claimed_time = parse_utc(claimed_created)
    except ValueError as exc:
        raise errors.SchemaInvalid(details={"CreatedAt": claimed_created}) from exc
    certificate_check(
        certificate,
        trust=directory.trust_material(),
        signing_time=claimed_time,
        now=now,
        min_rsa_bits=policy.min_rsa_bits,
    )
    report.ok("certificate")

    signed_xml, signing_time = _signxml_verify(
        root, certificate=certificate, shape=shape, policy=policy
    )
    report.ok("signature")

    # Only the signed tree from here on.
    schema = envelope_schema()
    if not schema.validate(signed_xml):
        raise errors.SchemaInvalid(details={"errors": [str(e) for e in schema.error_log][:5]})
    report.ok("schema")
    envelope = xml_to_envelope(signed_xml)
    header = envelope.header
    if header.sender.agency_key != claimed_sender or header.created_at != claimed_time:
        raise errors.InconsistentHeader()
    _check_type(envelope, signed_xml)
    report.ok("message_type")
    if not directory.serves(header.recipient.agency_key):
        raise errors.WrongRecipient(details={"recipient": header.recipient.agency_key})
    report.ok("recipient")
    if abs(now - header.created_at) > policy.clock_skew:
        raise errors.ClockSkew(
            details={"created_at": header.created_at.isoformat(), "now": now.isoformat()}
        )
    report.ok("clock")
    _check_secrecy(envelope, policy)
    report.ok("secrecy")
    return VerifiedEnvelope(
        envelope=envelope,
        signed_xml=signed_xml,
        certificate=certificate,
        shape=shape,
        signing_time=signing_time,
        envelope_sha256=hashlib.sha256(data).hexdigest(),
        checks=tuple(report.passed),
    )
