"""The audit trail: one append-only row per state change, login or sensitive read.

The rows form a hash chain (audit/chain.py): each carries its place in the chain and the hash
of the previous row, so a row altered, removed or slipped in is found by ``audit_verify``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .append_only import AppendOnlyModel, AppendOnlyQuerySet


class AuditEventQuerySet(AppendOnlyQuerySet["AuditEvent"]):
    pass


class AuditEvent(AppendOnlyModel):
    """What happened, who did it, to what, and how it looked before and after."""

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # "user:alice", "system", later "apikey:<prefix>": readable even if the user row goes away.
    actor_label = models.CharField(_("actor"), max_length=150)
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    # The chain: 1, 2, 3, … with no gaps; hash = SHA-256 over prev_hash and the row's fields.
    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["sequence"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"


class AuditChainHead(models.Model):
    """The chain's last link (one row). Locking it orders concurrent writers of the trail."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit chain head #{self.sequence}"


class AuditSigningKey(models.Model):
    """The hub's own key for checkpoints (not an agency's); private key encrypted at rest."""

    created_at = models.DateTimeField(default=timezone.now)
    certificate_pem = models.TextField()
    encrypted_private_key = models.BinaryField()

    def __str__(self) -> str:
        return f"audit checkpoint key of {self.created_at:%Y-%m-%d}"


class AuditCheckpoint(AppendOnlyModel):
    """The hub's signature over the chain head at one moment: rewriting history before it
    would need the hub's private key, not just database access."""

    sequence = models.PositiveBigIntegerField(_("sequence"))
    head_hash = models.CharField(_("head hash"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    signature = models.BinaryField()
    certificate_pem = models.TextField()

    objects: AppendOnlyQuerySet[AuditCheckpoint] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["sequence", "id"]

    def __str__(self) -> str:
        return f"checkpoint at #{self.sequence}"
