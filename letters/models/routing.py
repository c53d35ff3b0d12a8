"""What happens to a received letter inside the agency: endorsements (เกษียนหนังสือ) and who
it is assigned to.

Both are insert-only notes on the recipient's copy: a later endorsement or assignment adds a
row, so the history of who wrote and decided what stays readable (the latest assignment is the
current one). A form posted twice carries the same ``client_token``; the unique constraint
makes the second post find the first row instead of adding another.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ENDORSEMENT_MAX_LENGTH = 4000


class Endorsement(models.Model):
    """A note written on a received letter: an instruction, an opinion, a routing order."""

    letter = models.ForeignKey(
        "letters.Letter",
        verbose_name=_("letter"),
        on_delete=models.PROTECT,
        related_name="endorsements",
    )
    text = models.TextField(_("endorsement"), max_length=ENDORSEMENT_MAX_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    # NULL, not "", means "no token": the unique constraint then ignores tokenless rows.
    client_token = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("endorsement")
        verbose_name_plural = _("endorsements")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "client_token"],
                condition=Q(client_token__isnull=False),
                name="endorsement_client_token_unique",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="endorsement_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class Assignment(models.Model):
    """The letter handed to a member of the agency to act on (มอบหมาย)."""

    letter = models.ForeignKey(
        "letters.Letter",
        verbose_name=_("letter"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True, max_length=ENDORSEMENT_MAX_LENGTH)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    client_token = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "client_token"],
                condition=Q(client_token__isnull=False),
                name="assignment_client_token_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} → {self.assignee_id}"
