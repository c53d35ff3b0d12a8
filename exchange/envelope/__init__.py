"""Signed XML envelopes: build, sign, verify, read. Pure: no database access in here.

The public surface::

    envelope_to_xml(envelope)            -> unsigned tree
    envelope_sign(envelope, key=, certificate=) -> bytes to store and send
    envelopes_sign(envelopes, key=, certificate=) -> those bytes, one envelope at a time
    envelope_verify(data, directory=, now=)     -> VerifiedEnvelope (or an EnvelopeRejected)
    attachments_verify(manifest, streams)       -> None (or an EnvelopeRejected)
"""

from .attachments import attachments_verify
from .errors import EnvelopeRejected
from .policy import DEFAULT_POLICY, VerificationPolicy
from .signing import envelope_sign, envelopes_sign, sign_tree
from .types import (
    ACKNOWLEDGEMENT_TYPES,
    NAMESPACE,
    PROTOCOL_VERSION,
    AcknowledgementData,
    DistributionEntry,
    Envelope,
    Header,
    LetterData,
    LetterNumberData,
    ManifestEntry,
    MessageType,
    Party,
    ReferenceData,
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
    "Envelope",
    "EnvelopeRejected",
    "Header",
    "LetterData",
    "LetterNumberData",
    "ManifestEntry",
    "MessageType",
    "Party",
    "ReferenceData",
    "Report",
    "SenderDirectory",
    "VerificationPolicy",
    "VerifiedEnvelope",
    "attachments_verify",
    "envelope_sign",
    "envelope_to_xml",
    "envelope_verify",
    "envelopes_sign",
    "envelopes_to_xml",
    "sign_tree",
    "xml_to_envelope",
]
