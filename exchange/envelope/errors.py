"""Why an envelope was refused: one class per reason, each with a stable code.

Peers see the code in the HTTP answer; clerks and the envelope_verify command see the sentence.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from config.errors import Conflict, HubError


class EnvelopeRejected(HubError):
    code = "envelope.rejected"
    default_message = _("The envelope was refused.")


class TooLarge(EnvelopeRejected):
    code = "envelope.too_large"
    http_status = 413
    default_message = _("The envelope is larger than the hub accepts.")


class Malformed(EnvelopeRejected):
    code = "envelope.malformed"
    default_message = _("The envelope is not well-formed XML.")


class TooDeep(EnvelopeRejected):
    code = "envelope.too_deep"
    default_message = _("The envelope nests elements too deeply.")


class DtdForbidden(EnvelopeRejected):
    code = "envelope.dtd_forbidden"
    default_message = _("Document type declarations and entities are not allowed.")


class XIncludeForbidden(EnvelopeRejected):
    code = "envelope.xinclude_forbidden"
    default_message = _("XInclude is not allowed.")


class CommentsForbidden(EnvelopeRejected):
    code = "envelope.comments_forbidden"
    default_message = _("Comments and processing instructions are not allowed in an envelope.")


class UnknownSender(EnvelopeRejected):
    code = "envelope.unknown_sender"
    http_status = 403
    default_message = _("The sending agency is not in the directory.")


class CertificateNotRegistered(EnvelopeRejected):
    code = "envelope.certificate_not_registered"
    http_status = 403
    default_message = _("The signing certificate is not registered for the sending agency.")


class AlgorithmForbidden(EnvelopeRejected):
    code = "envelope.algorithm_forbidden"
    default_message = _("The signature uses an algorithm the hub does not accept.")


class CanonicalizationForbidden(EnvelopeRejected):
    code = "envelope.c14n_forbidden"
    default_message = _("The signature uses a canonicalization the hub does not accept.")


class ReferenceForbidden(EnvelopeRejected):
    code = "envelope.reference_forbidden"
    default_message = _("The signature signs something other than the whole envelope.")


class TransformForbidden(EnvelopeRejected):
    code = "envelope.transform_forbidden"
    default_message = _("The signature applies a transform the hub does not accept.")


class SignatureWrapping(EnvelopeRejected):
    code = "envelope.signature_wrapping"
    default_message = _("The signature is not where the profile puts it.")


class SignatureInvalid(EnvelopeRejected):
    code = "envelope.signature_invalid"
    default_message = _("The signature does not match the envelope.")


class SchemaInvalid(EnvelopeRejected):
    code = "envelope.schema_invalid"
    default_message = _("The envelope does not follow the envelope schema.")


class InconsistentHeader(EnvelopeRejected):
    code = "envelope.inconsistent_header"
    default_message = _("The header read before and after verification differs.")


class TypeMismatch(EnvelopeRejected):
    code = "envelope.type_mismatch"
    default_message = _("The message type does not match the envelope's content.")


class WrongRecipient(EnvelopeRejected):
    code = "envelope.wrong_recipient"
    default_message = _("The envelope is addressed to an agency this endpoint does not serve.")


class ClockSkew(EnvelopeRejected):
    code = "envelope.clock_skew"
    default_message = _("The envelope's creation time is too far from the hub's clock.")


class TopSecretRefused(EnvelopeRejected):
    code = "envelope.top_secret_refused"
    default_message = _("Top secret (ลับที่สุด) letters must not be sent electronically.")


class SecretNotEncrypted(EnvelopeRejected):
    code = "envelope.secret_not_encrypted"
    default_message = _(
        "Secret (ลับ, ลับมาก) letters travel only encrypted to the recipient agency "
        "(EncryptedLetter)."
    )


class SecretNotForAgency(EnvelopeRejected):
    code = "envelope.secret_not_for_agency"
    default_message = _("The secret letter's content key is not wrapped for this agency.")


class SecretUndecryptable(EnvelopeRejected):
    code = "envelope.secret_undecryptable"
    default_message = _(
        "The secret letter could not be decrypted: the content was altered or the key is wrong."
    )


class AttachmentMissing(EnvelopeRejected):
    code = "envelope.attachment_missing"
    default_message = _("An attachment listed in the manifest did not arrive.")


class AttachmentUnexpected(EnvelopeRejected):
    code = "envelope.attachment_unexpected"
    default_message = _("A file arrived that the manifest does not list.")


class AttachmentSizeMismatch(EnvelopeRejected):
    code = "envelope.attachment_size_mismatch"
    default_message = _("An attachment's size differs from the signed manifest.")


class AttachmentDigestMismatch(EnvelopeRejected):
    code = "envelope.attachment_digest_mismatch"
    default_message = _("An attachment's content differs from the signed manifest.")


class DuplicateMessage(Conflict):
    code = "envelope.duplicate_message_id"
    default_message = _("A different envelope was already received under this message id.")
