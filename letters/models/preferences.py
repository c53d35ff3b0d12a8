"""A user's display preferences for the clerk UI (one row per user, created on first change)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DisplayPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="display_preference",
    )
    # Thai digits (๐–๙) are the official style and the default; many clerks read 0–9 faster.
    thai_digits = models.BooleanField(_("Thai digits"), default=True)

    class Meta:
        verbose_name = _("display preference")
        verbose_name_plural = _("display preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: thai_digits={self.thai_digits}"
