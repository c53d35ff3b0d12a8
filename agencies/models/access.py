"""How agencies' own systems reach the API: API keys, and the idempotency record of their POSTs.

A key belongs to one agency and acts for it alone. Only a SHA-256 hash of the secret is stored:
the plaintext is shown once, when the key is created (``agencies.services.apikey_create``).
Rows change only through the services, which audit every change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .directory import Agency

API_KEY_NAME_MAX_LENGTH = 100


class ApiKey(models.Model):
    """A credential of one agency's system, revocable, identified in public by its prefix."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="api_keys"
    )
    name = models.CharField(
        _("name"),
        max_length=API_KEY_NAME_MAX_LENGTH,
        help_text=_("Which system uses the key, e.g. the agency's e-saraban server."),
    )
    # The public half of the key ("sxh_<prefix>_<secret>"): finds the row without the secret
    # and names the key in audit rows and logs, where the secret must never appear.
    prefix = models.CharField(_("key id"), max_length=16, unique=True)
    # SHA-256 of the whole key, hex. Keys carry 256 random bits, so a fast hash is enough: no
    # dictionary or brute force can reach a key of that entropy, and a slow password hash
    # (PBKDF2, bcrypt) would only add a tenth of a second to every API request.
    key_sha256 = models.CharField(_("SHA-256 of the key"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Who created it when no user did (a command): "system:apikey_create".
    created_by_label = models.CharField(_("created by (label)"), max_length=150)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["agency", "-created_at"]
        constraints = [
            # One live key per name and agency, so that "the e-saraban server's key" means one
            # thing in the admin and in the audit trail; a revoked key frees its name.
            models.UniqueConstraint(
                fields=["agency", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_key_live_name_unique",
            ),
            models.CheckConstraint(
                condition=Q(key_sha256__regex=r"^[0-9a-f]{64}$"),
                name="api_key_hash_is_sha256_hex",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def actor_label(self) -> str:
        """Name the key in audit rows: readable, and never the secret."""
        return f"apikey:{self.prefix}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, kept to answer its repeats.

    The unique (owner, key) index is the lock: of two identical requests racing each other,
    exactly one inserts the row and runs; the other finds it (config/api/idempotency.py).
    """

    # Whose key space: "apikey:<id>" or "user:<id>". Two systems may pick the same key string.
    owner = models.CharField(_("owner"), max_length=64)
    key = models.CharField(_("idempotency key"), max_length=255)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # SHA-256 over method, path and the parsed body: a repeat must be the same request.
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=1000)
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=IdempotencyState.choices,
        default=IdempotencyState.IN_PROGRESS,
    )
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_content_type = models.CharField(_("response content type"), max_length=200, default="")
    response_headers = models.JSONField(_("response headers"), default=dict)
    response_body = models.BinaryField(_("response body"), default=b"")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    # When the request that owns an in-progress record started; a stale one may be taken over.
    locked_at = models.DateTimeField(_("locked at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique"),
            models.CheckConstraint(
                condition=Q(state__in=IdempotencyState.values), name="idempotency_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=IdempotencyState.COMPLETED) | Q(response_status__isnull=False),
                name="idempotency_completed_has_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key} ({self.state})"
