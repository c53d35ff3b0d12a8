"""Errors of the PKI, each with a stable code (see config/errors.py and docs/pki.md)."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from config.errors import Conflict, HubError, InvalidInput


class CertificateRejected(HubError):
    """A certificate failed a check of ``validation.certificate_check``; the code says which."""

    code: ClassVar[str] = "pki.certificate_rejected"
    http_status: ClassVar[int] = 400
    default_message: ClassVar[StrPromise | str] = _("The certificate is not acceptable.")


class InvalidCertificate(CertificateRejected):
    code = "pki.invalid_certificate"
    default_message = _("The data is not a readable X.509 certificate.")


class WeakKey(CertificateRejected):
    code = "pki.weak_key"
    default_message = _("The certificate's key is too weak or of a type the hub does not accept.")


class KeyUsageInvalid(CertificateRejected):
    code = "pki.key_usage"
    default_message = _("The certificate is not meant for this use (key usage).")


class CertificateNotYetValid(CertificateRejected):
    code = "pki.not_yet_valid"
    default_message = _("The certificate is not valid yet.")


class CertificateExpired(CertificateRejected):
    code = "pki.expired"
    default_message = _("The certificate has expired.")


class CertificateUntrusted(CertificateRejected):
    code = "pki.untrusted"
    default_message = _("The certificate does not chain to a trusted certification authority.")


class CertificateRevoked(CertificateRejected):
    code = "pki.revoked"
    default_message = _("The certificate has been revoked.")


class RevocationUnknown(CertificateRejected):
    code = "pki.revocation_unknown"
    default_message = _(
        "The revocation status cannot be established: the CA's revocation list is out of date."
    )


class NotACertificateAuthority(InvalidInput):
    code = "pki.not_a_ca"
    default_message = _("A trust anchor must be a CA certificate allowed to sign certificates.")


class InvalidPrivateKey(InvalidInput):
    code = "pki.invalid_key"
    default_message = _("The private key cannot be read (wrong password or format).")


class KeyMismatch(InvalidInput):
    code = "pki.key_mismatch"
    default_message = _("The private key does not belong to the certificate.")


class InvalidCrl(InvalidInput):
    code = "pki.invalid_crl"
    default_message = _("The data is not a readable, complete certificate revocation list.")


class CrlIssuerUnknown(InvalidInput):
    code = "pki.crl_issuer_unknown"
    default_message = _("No active trust anchor has the subject that issued this CRL.")


class CrlSignatureInvalid(InvalidInput):
    code = "pki.crl_signature_invalid"
    default_message = _("The CRL's signature does not verify against its issuing trust anchor.")


class CrlNotNewer(Conflict):
    code = "pki.crl_not_newer"
    default_message = _("A newer or equally recent CRL of this issuer is already imported.")


class CertificateInUse(Conflict):
    code = "pki.certificate_in_use"
    default_message = _("This certificate is already registered for another agency or purpose.")


class NoSigningKey(Conflict):
    code = "pki.no_signing_key"
    default_message = _("The agency has no active signing key on this hub.")


class NoEncryptionKey(Conflict):
    code = "pki.no_encryption_key"
    default_message = _("The agency has no key on this hub to open secret letters with.")


class NoEncryptionCertificate(Conflict):
    code = "pki.no_encryption_certificate"
    default_message = _(
        "The recipient agency has no valid encryption certificate: a secret letter (ลับ, ลับมาก) "
        "cannot be sent to it electronically."
    )


class SigningKeyUnreadable(HubError):
    code = "pki.signing_key_unreadable"
    http_status = 500
    default_message = _(
        "The stored signing key cannot be decrypted (wrong master key, or the data was altered)."
    )
