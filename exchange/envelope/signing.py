"""Sign an envelope: XAdES-BES, enveloped, over the whole document.

Canonicalization is inclusive c14n 1.1: signxml 5.2's XAdES signer with exclusive c14n writes
SignedProperties digests that neither xmlsec1 nor signxml itself verifies; with c14n 1.1 both
xmlsec1 and the JDK verify them (see tests/exchange/test_xmlsec1_interop.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.xades.xades import XAdESSigner

from .document_copies import DocumentCopies
from .schema import envelope_schema
from .types import Envelope
from .xml_build import envelope_to_xml, envelope_trees, header_probe

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _signature_method(key: SigningKey) -> SignatureMethod:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise ValueError("RSA signing keys must have at least 2048 bits.")
        return SignatureMethod.RSA_SHA256
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return SignatureMethod.ECDSA_SHA256
    raise TypeError(f"Unsupported signing key type {type(key).__name__}.")


class _EnvelopeSigner(DocumentCopies, XAdESSigner):
    """signxml's XAdES signer; the envelope it is given is copied by lxml (document_copies.py).

    The output is checked by xmlsec1 and the JDK in tests/exchange/test_xmlsec1_interop.py.
    """


def sign_tree(root: etree._Element, *, key: SigningKey, certificate: x509.Certificate) -> bytes:
    """Sign an envelope tree and return the exact bytes to store and send.

    Those bytes are final: re-indenting or re-serialising them would break the signature, so
    callers keep them as they are.
    """
    _schema_checked(root)
    return _sign(root, key=key, certificate=certificate)


def _schema_checked(document: etree._Element) -> None:
    schema = envelope_schema()
    if not schema.validate(document):
        # Our own bug, not the peer's: never sign what a recipient would refuse.
        raise ValueError(f"Refusing to sign an envelope the schema rejects: {schema.error_log}")


def _sign(root: etree._Element, *, key: SigningKey, certificate: x509.Certificate) -> bytes:
    signer = _EnvelopeSigner(
        signature_algorithm=_signature_method(key),
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_1,
    )
    # The certificate's public key already identifies the signer; a KeyValue beside it would
    # only be a second, redundant copy for verifiers to reconcile.
    signer.namespaces = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
    signed = signer.sign(
        root,
        key=key,
        # The certificate object, not its PEM: signxml writes the same base64 into KeyInfo and
        # takes the SigningCertificateV2 digest from it without parsing the PEM twice more.
        cert=[certificate],
        always_add_key_value=False,
    )
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def envelope_sign(envelope: Envelope, *, key: SigningKey, certificate: x509.Certificate) -> bytes:
    """Build and sign an envelope; return its bytes."""
    return sign_tree(envelope_to_xml(envelope), key=key, certificate=certificate)


def envelopes_sign(
    envelopes: Iterable[Envelope], *, key: SigningKey, certificate: x509.Certificate
) -> Iterator[bytes]:
    """Build and sign envelopes one at a time (the copies of a circular); yield their bytes.

    Each is checked against the schema before it is signed, as ``sign_tree`` does; a copy
    whose body is that of the envelope before it (already checked) has its header checked on
    a small probe instead of the whole distribution list again.
    """
    for root, header_only_new in envelope_trees(envelopes):
        _schema_checked(header_probe(root) if header_only_new else root)
        yield _sign(root, key=key, certificate=certificate)
