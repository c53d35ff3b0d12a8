"""The outbox (one Delivery per outgoing envelope), its attempts, and what arrived.

PostgreSQL is the source of truth for delivery: Celery only carries "try this one now" kicks,
and the sweeper re-kicks anything due or whose lease ran out (services/outbox.py).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.envelope.types import MessageType

# Defined in their own package (exchange/webhooks/); imported here so that Django registers them
# with this app and `makemigrations exchange` sees them.
from exchange.webhooks.models import (  # noqa: F401
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")  # the recipient's signed receipt is verified
    REGISTERED = "registered", _("Registered")
    REJECTED = "rejected", _("Rejected")
    WRONG_RECIPIENT = "wrong_recipient", _("Wrong recipient")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Work is still to be done only in these states; the sweeper looks nowhere else.
PENDING_STATUSES = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
MESSAGE_TYPE_CHOICES = [(t.value, t.value) for t in MessageType]


class Delivery(models.Model):
    """One signed envelope on its way to one recipient agency: a letter or an acknowledgement."""

    message_id = models.UUIDField(_("message id"), default=uuid.uuid4, unique=True)
    message_type = models.CharField(_("message type"), max_length=30, choices=MESSAGE_TYPE_CHOICES)
    sender = models.ForeignKey(
        "agencies.Agency", verbose_name=_("sender"), on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.ForeignKey(
        "agencies.Agency", verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="+"
    )
    # The outgoing letter for a letter envelope; the letter acknowledged for an acknowledgement.
    letter = models.ForeignKey(
        "letters.Letter",
        verbose_name=_("letter"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    envelope = models.BinaryField(_("signed envelope"))
    envelope_sha256 = models.CharField(max_length=64)

    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("give up after"))
    last_error_code = models.CharField(max_length=100, blank=True)

    # Filled from the recipient's signed acknowledgements.
    receipt = models.BinaryField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    receive_number = models.CharField(_("recipient's receive number"), max_length=100, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="queued"),
                name="delivery_due_idx",
            ),
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(status="sending"),
                name="delivery_lease_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "recipient"],
                # A withdrawn copy may be followed by a resent one, never by two live ones.
                condition=Q(message_type="letter") & ~Q(status="withdrawn"),
                name="delivery_one_letter_copy_per_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.message_id} → {self.recipient_id}: {self.status}"


class SealedDeliveryFile(models.Model):
    """A file of a secret letter as it travels in one envelope: AES-256-GCM ciphertext.

    Each envelope of a secret letter has its own content key, so each recipient's copy of a
    file is a different ciphertext; the transports send these instead of the letter's
    attachments (transports.attachments_by_manifest_id). The name and media type are the
    neutral ones of the manifest; the real ones are inside the encrypted letter.
    """

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="sealed_files")
    attachment_id = models.CharField(_("manifest id"), max_length=64)
    file = models.FileField(_("file"), upload_to="sealed/%Y/%m/", max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    media_type = models.CharField(_("media type"), max_length=100)
    size = models.BigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("sealed file")
        verbose_name_plural = _("sealed files")
        ordering = ["delivery", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "attachment_id"], name="sealed_file_once_per_delivery"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}/{self.attachment_id}"


class BreakGlassAccess(models.Model):
    """A hub administrator opened a secret letter of an agency: the agency is shown each one.

    Hub administrators have no silent access to secret letters (ระเบียบว่าด้วยการรักษาความลับ
    ของทางราชการ): the only way in is this one, with a reason, audited, and listed to the
    agency whose letter it was (exchange.selectors.break_glass_accesses_of_agency).
    """

    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="break_glass_accesses",
    )
    letter = models.ForeignKey(
        "letters.Letter", verbose_name=_("letter"), on_delete=models.PROTECT, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)

    class Meta:
        verbose_name = _("break-glass access")
        verbose_name_plural = _("break-glass accesses")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="break_glass_access_reason_required"
            )
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} by {self.opened_by_id} at {self.opened_at:%Y-%m-%d %H:%M}"


class DeliveryAttempt(models.Model):
    """One try to hand an envelope over, recorded before and after the call."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    transport = models.CharField(max_length=10)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(null=True)
    error_code = models.CharField(max_length=100, blank=True)
    permanent = models.BooleanField(default=False)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"attempt {self.pk} of {self.delivery_id}: {self.succeeded}"


class InboundEnvelope(models.Model):
    """An envelope that arrived, stored byte for byte with the evidence of its verification."""

    sender = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    message_id = models.UUIDField()
    message_type = models.CharField(max_length=30, choices=MESSAGE_TYPE_CHOICES)
    envelope = models.BinaryField()
    envelope_sha256 = models.CharField(max_length=64)
    # The signed receipt we answered with; replaying the same bytes returns exactly this.
    receipt = models.BinaryField()
    letter = models.ForeignKey(
        "letters.Letter", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evidence = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "message_id"], name="inbound_once_per_sender_message"
            )
        ]
        # Replays are recognised by their bytes' digest before anything else is done.
        indexes = [models.Index(fields=["envelope_sha256"], name="inbound_sha256_idx")]

    def __str__(self) -> str:
        return f"{self.message_type} {self.message_id} from {self.sender_id}"


class WorkerHeartbeat(models.Model):
    """When a worker last ran the periodic sweep: proof that beat and a worker are alive."""

    name = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"


class InboundRefusal(models.Model):
    """How many envelopes the inbound endpoint refused, per error code (for metrics): a
    counter, not a log, so that a flood of garbage costs one row per code."""

    code = models.CharField(max_length=100, unique=True)
    count = models.PositiveBigIntegerField(default=0)
    last_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.code}: {self.count}"
