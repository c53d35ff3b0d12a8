"""Webhook subscriptions, the events queued for them, and every attempt to hand one over.

Re-exported by exchange/models.py, so Django files them under the ``exchange`` app. A queued
event (``WebhookDelivery``) follows the outbox's rules (services/outbox.py): the database is
the source of truth, Celery only carries kicks, claims are guarded UPDATEs.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    LETTER_RECEIVED = "letter.received", _("A letter arrived in the inbox")
    DELIVERY_STATUS_CHANGED = "delivery.status_changed", _("A sent letter's delivery changed")
    LETTER_WITHDRAWN = "letter.withdrawn", _("The sender withdrew a letter")


class WebhookDeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    # Refused by the receiver, expired, or its subscription was revoked: last_error_code says.
    FAILED = "failed", _("Failed")


class WebhookSubscription(models.Model):
    """One agency system's URL and the events it wants, with the secret that signs them."""

    # The id systems see: not guessable, and the secret's associated data binds to it.
    public_id = models.UUIDField(_("subscription id"), default=uuid.uuid4, unique=True)
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
    )
    url = models.URLField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list)
    # AES-256-GCM under HUB_KEY_ENCRYPTION_KEY (agencies/pki/keystore.py ``seal``); the clear
    # secret is shown once, when the subscription is made.
    secret_encrypted = models.BinaryField(_("encrypted secret"), editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.CharField(_("created by"), max_length=150)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "is_active"], name="webhook_sub_agency_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_active=True, revoked_at__isnull=True)
                | Q(is_active=False, revoked_at__isnull=False),
                name="webhook_sub_revoked_iff_inactive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} → {self.url}"


class WebhookDelivery(models.Model):
    """One event on its way to one subscription; its event id is the receiver's idempotency key."""

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True)
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.QUEUED,
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("give up after"))
    last_error_code = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["created_at", "id"]
        indexes = [
            # The sweeper's two questions, each answered from a small partial index.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="queued"),
                name="webhook_due_idx",
            ),
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(status="sending"),
                name="webhook_lease_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.subscription_id}: {self.status}"


class WebhookAttempt(models.Model):
    """One POST of an event, recorded before the call and completed after it."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(null=True)
    error_code = models.CharField(max_length=100, blank=True)
    permanent = models.BooleanField(default=False)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"webhook attempt {self.pk} of {self.delivery_id}: {self.succeeded}"
