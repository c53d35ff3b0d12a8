"""Signed XML envelopes: build, sign, verify, read. Pure: no database access in here.

The public surface::

    envelope_to_xml(envelope)            -> unsigned tree
    envelope_sign(envelope, key=, certificate=) -> bytes to store and send
    envelopes_sign(envelopes, key=, certificate=) -> those bytes, one envelope at a time
    envelope_verify(data, directory=, now=)     -> VerifiedEnvelope (or an EnvelopeRejected)
    attachments_verify(manifest, streams)       -> None (or an EnvelopeRejected)
    letter_encrypt(header=, letter=, files=, recipients=) -> EncryptedEnvelope (secret letters)
    content_key_unwrap / letter_decrypt / file_decrypt    -> the secret letter opened again
"""

from .attachments import attachments_verify
from .encryption import (
    RecipientKey,
    SecretFile,
    content_key_unwrap,
    file_decrypt,
    letter_decrypt,
    letter_encrypt,
)
from .errors import EnvelopeRejected
from .policy import DEFAULT_POLICY, VerificationPolicy
from .signing import envelope_sign, envelopes_sign, sign_tree
from .types import (
    ACKNOWLEDGEMENT_TYPES,
    NAMESPACE,
    PROTOCOL_VERSION,
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
from .verification import Report, SenderDirectory, VerifiedEnvelope, envelope_verify
from .xml_build import envelope_to_xml, envelopes_to_xml
from .xml_read import xml_to_envelope

__all__ = [
    "ACKNOWLEDGEMENT_TYPES",
    "DEFAULT_POLICY",
    "NAMESPACE",
    "PROTOCOL_VERSION",
    "AcknowledgementData",
    "DistributionEntry",
    "EncryptedLetterData",
    "Envelope",
    "EnvelopeRejected",
    "Header",
    "KeyWrap",
    "LetterData",
    "LetterNumberData",
    "ManifestEntry",
    "MessageType",
    "Party",
    "RecipientKey",
    "ReferenceData",
    "Report",
    "SecretContent",
    "SecretFile",
    "SecretFileEntry",
    "SenderDirectory",
    "VerificationPolicy",
    "VerifiedEnvelope",
    "attachments_verify",
    "content_key_unwrap",
    "envelope_sign",
    "envelope_to_xml",
    "envelope_verify",
    "envelopes_sign",
    "envelopes_to_xml",
    "file_decrypt",
    "letter_decrypt",
    "letter_encrypt",
    "sign_tree",
    "xml_to_envelope",
]
