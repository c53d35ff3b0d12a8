"""The sealed content of a secret letter (ลับ, ลับมาก) held in its agency's own rows."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .letter import Letter

# What a secret letter's row holds instead of its subject: the real one is only in the sealed
# content (an agency's own letter) or the encrypted envelope (a letter received). Stored data,
# so written in Thai as the register prints it, not translated at display time.
SECRET_PLACEHOLDER_SUBJECT = "หนังสือลับ"  # noqa: S105  (a subject, not a password)


class SealedContent(models.Model):
    """A secret outgoing letter's content, encrypted to its agency's encryption certificate.

    The letter row keeps only the clear facts (number, date, urgency, secrecy, recipients) and
    the subject ``หนังสือลับ``; the subject, body, signer, references' subjects and the files'
    real names, types and keys are in ``ciphertext`` (letters/sealing.py). Replaced whole, with
    a fresh key, whenever the draft changes.
    """

    letter = models.OneToOneField(Letter, on_delete=models.CASCADE, related_name="sealed")
    certificate_sha256 = models.CharField(_("encryption certificate (SHA-256)"), max_length=64)
    wrapped_key = models.BinaryField(_("wrapped key"))
    ciphertext = models.BinaryField(_("ciphertext"))
    sealed_at = models.DateTimeField(_("sealed"), default=timezone.now)

    class Meta:
        verbose_name = _("sealed content")
        verbose_name_plural = _("sealed contents")

    def __str__(self) -> str:
        return f"sealed content of letter {self.letter_id}"
