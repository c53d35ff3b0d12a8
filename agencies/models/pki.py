"""Certificates and keys: what the hub trusts, and what each agency signs with.

Certificates are stored as PEM with the facts the admin and the selectors filter on copied
into columns (subject, validity, SHA-256 fingerprint of the DER). Private keys of hosted
agencies are stored only encrypted (AES-256-GCM, see ``agencies/pki/keystore.py``). Rows
change only through ``agencies/pki/services.py``, which validates and audits every change.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .directory import Agency


class CertificatePurpose(models.TextChoices):
    SIGNING = "signing", _("Signing")
    ENCRYPTION = "encryption", _("Encryption")


class KeyAlgorithm(models.TextChoices):
    RSA = "rsa", _("RSA")
    EC = "ec", _("ECDSA")


class TrustAnchor(models.Model):
    """A CA certificate that agency certificates must chain to (a root of trust)."""

    name = models.CharField(_("name"), max_length=200)
    certificate_pem = models.TextField(_("certificate (PEM)"))
    fingerprint_sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    subject = models.TextField(_("subject"))
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    is_active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("trust anchor")
        verbose_name_plural = _("trust anchors")
        ordering = ["name", "added_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.fingerprint_sha256[:16]})"


class AgencyCertificate(models.Model):
    """A certificate registered for an agency: what its signatures are verified against."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="certificates"
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=20,
        choices=CertificatePurpose.choices,
        default=CertificatePurpose.SIGNING,
    )
    certificate_pem = models.TextField(_("certificate (PEM)"))
    fingerprint_sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    subject = models.TextField(_("subject"))
    issuer = models.TextField(_("issuer"))
    serial_hex = models.CharField(_("serial number (hex)"), max_length=64)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    is_active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agency certificate")
        verbose_name_plural = _("agency certificates")
        ordering = ["agency", "-not_before"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=CertificatePurpose.values),
                name="agency_certificate_purpose_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["agency", "purpose", "is_active"], name="agency_certificate_lookup"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.fingerprint_sha256[:16]})"


class AgencySigningKey(models.Model):
    """A hosted agency's private signing key, encrypted at rest, and its certificate."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="signing_keys"
    )
    certificate = models.OneToOneField(
        AgencyCertificate,
        verbose_name=_("certificate"),
        on_delete=models.PROTECT,
        related_name="signing_key",
    )
    # version | master-key id | nonce | AES-256-GCM ciphertext and tag (keystore.py).
    encrypted_key = models.BinaryField(_("encrypted private key"))
    key_algorithm = models.CharField(
        _("key algorithm"), max_length=10, choices=KeyAlgorithm.choices
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agency signing key")
        verbose_name_plural = _("agency signing keys")
        ordering = ["agency", "-created_at"]
        constraints = [
            # The hub signs with exactly one key per agency; rotation deactivates the old one
            # in the same transaction that activates the new one.
            models.UniqueConstraint(
                fields=["agency"],
                condition=Q(is_active=True),
                name="agency_signing_key_one_active",
            ),
            models.CheckConstraint(
                condition=Q(key_algorithm__in=KeyAlgorithm.values),
                name="agency_signing_key_algorithm_valid",
            ),
        ]

    def __str__(self) -> str:
        state = "active" if self.is_active else "inactive"
        return f"{self.agency_id}/{self.key_algorithm}/{self.pk} ({state})"


class AgencyEncryptionKey(models.Model):
    """A hosted agency's private decryption key for secret letters, encrypted at rest.

    Secret letters are encrypted to the certificate (purpose ENCRYPTION). Rotation makes a new
    key the one senders encrypt to; older keys stay (inactive) so that letters already
    received can still be opened by the agency's secret-registry officers.
    """

    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="encryption_keys",
    )
    certificate = models.OneToOneField(
        AgencyCertificate,
        verbose_name=_("certificate"),
        on_delete=models.PROTECT,
        related_name="encryption_key",
    )
    # version | master-key id | nonce | AES-256-GCM ciphertext and tag (keystore.py).
    encrypted_key = models.BinaryField(_("encrypted private key"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agency encryption key")
        verbose_name_plural = _("agency encryption keys")
        ordering = ["agency", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency"],
                condition=Q(is_active=True),
                name="agency_encryption_key_one_active",
            ),
        ]

    def __str__(self) -> str:
        state = "active" if self.is_active else "inactive"
        return f"{self.agency_id}/encryption/{self.pk} ({state})"


class CertificateRevocationList(models.Model):
    """The current CRL of one CA, whose signature was verified against that CA at import."""

    issuer = models.TextField(_("issuer"))
    # The trust anchor whose key verified the CRL's signature; one current CRL per anchor.
    issuer_fingerprint_sha256 = models.CharField(
        _("issuer SHA-256 fingerprint"), max_length=64, unique=True
    )
    crl_der = models.BinaryField(_("CRL (DER)"))
    this_update = models.DateTimeField(_("this update"))
    next_update = models.DateTimeField(_("next update"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate revocation list")
        verbose_name_plural = _("certificate revocation lists")
        ordering = ["issuer"]

    def __str__(self) -> str:
        return f"{self.issuer} @ {self.this_update:%Y-%m-%d %H:%M}"


class RevokedSerial(models.Model):
    """One entry of a CRL, copied out so that a serial number can be looked up by index."""

    crl = models.ForeignKey(
        CertificateRevocationList,
        verbose_name=_("CRL"),
        on_delete=models.CASCADE,
        related_name="revoked_serials",
    )
    serial_hex = models.CharField(_("serial number (hex)"), max_length=64)
    revoked_at = models.DateTimeField(_("revoked at"))

    class Meta:
        verbose_name = _("revoked serial number")
        verbose_name_plural = _("revoked serial numbers")
        constraints = [
            models.UniqueConstraint(fields=["crl", "serial_hex"], name="revoked_serial_unique")
        ]
        indexes = [models.Index(fields=["serial_hex"], name="revoked_serial_lookup")]

    def __str__(self) -> str:
        return self.serial_hex
