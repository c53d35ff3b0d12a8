"""The receive (ทะเบียนหนังสือรับ) and dispatch (ทะเบียนหนังสือส่ง) registers.

Numbers run per agency, register, series and year, with no gap and no repeat. A
``RegisterCounter`` row holds the last number handed out; allocation locks it inside the
caller's transaction, so a rolled-back caller gives its number back instead of leaving a hole.

Entries are insert-only. A correction is a new revision of the same number carrying an
annotation; a cancellation is a separate row that marks the number ยกเลิก. Nothing is ever
updated or deleted, and a database trigger (see the migration) refuses UPDATE as well.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.append_only import AppendOnlyModel, AppendOnlyQuerySet
from letters.letter_number import Series


class RegisterKind(models.TextChoices):
    RECEIVE = "receive", _("Receive register")
    DISPATCH = "dispatch", _("Dispatch register")


class RegisterSeries(models.TextChoices):
    # Own context: the secret series holds every secret letter (ลับ and ลับมาก alike), so its
    # label must not read as the secrecy level "Secret" (ลับมาก).
    NORMAL = Series.NORMAL.value, pgettext_lazy("register series", "Normal")
    CIRCULAR = Series.CIRCULAR.value, pgettext_lazy("register series", "Circular (ว)")
    SECRET = Series.SECRET.value, pgettext_lazy("register series", "Secret")


class RegisterCounter(models.Model):
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    register = models.CharField(max_length=10, choices=RegisterKind.choices)
    series = models.CharField(max_length=10, choices=RegisterSeries.choices)
    # The Gregorian year that names the numbering period; for a fiscal-year agency, the year
    # in which the period ends (fiscal 2027 runs 1 October 2026 to 30 September 2027).
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("register counter")
        verbose_name_plural = _("register counters")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "register", "series", "year"], name="register_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.register}/{self.series}/{self.year}: {self.last_number}"


class RegisterEntryQuerySet(AppendOnlyQuerySet["RegisterEntry"]):
    pass


class RegisterCancellationQuerySet(AppendOnlyQuerySet["RegisterCancellation"]):
    pass


class RegisterEntry(AppendOnlyModel):
    """One line of a register, with the columns the regulation prescribes, as registered."""

    agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    register = models.CharField(_("register"), max_length=10, choices=RegisterKind.choices)
    series = models.CharField(_("series"), max_length=10, choices=RegisterSeries.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    # 0 is the original line; each correction adds the next revision of the same number.
    revision = models.PositiveSmallIntegerField(_("revision"), default=0)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    annotation = models.TextField(_("annotation"), blank=True)

    letter = models.ForeignKey(
        "letters.Letter",
        verbose_name=_("letter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="register_entries",
    )
    registered_at = models.DateTimeField(_("date registered"))
    letter_number = models.CharField(_("letter number (ที่)"), max_length=100, blank=True)
    letter_date = models.DateField(_("letter date"), null=True, blank=True)
    from_party = models.CharField(_("from"), max_length=500, blank=True)
    to_party = models.CharField(_("to"), max_length=1000, blank=True)
    subject = models.CharField(_("subject"), max_length=1000, blank=True)
    action_taken = models.CharField(_("action taken"), max_length=500, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)

    # NULL means "no key", so the unique constraint ignores keyless lines.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RegisterEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")
        ordering = ["agency", "register", "series", "year", "number", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "register", "series", "year", "number", "revision"],
                name="register_entry_number_unique",
            ),
            models.UniqueConstraint(
                fields=["agency", "register", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="register_entry_idempotency_key_unique",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="register_entry_number_pos"),
            models.CheckConstraint(
                condition=Q(revision=0, corrects__isnull=True)
                | Q(revision__gt=0, corrects__isnull=False),
                name="register_entry_correction_links_original",
            ),
        ]
        indexes = [models.Index(fields=["agency", "register", "registered_at"])]

    def __str__(self) -> str:
        suffix = f" (rev. {self.revision})" if self.revision else ""
        return f"{self.register} {self.series} {self.year} #{self.number}{suffix}"


class RegisterCancellation(AppendOnlyModel):
    """Marks a number ยกเลิก; the number stays in the register and is never handed out again."""

    entry = models.OneToOneField(
        RegisterEntry, on_delete=models.PROTECT, related_name="cancellation"
    )
    reason = models.TextField(_("reason"))
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled"), default=timezone.now)

    objects = RegisterCancellationQuerySet.as_manager()

    class Meta:
        verbose_name = _("register cancellation")
        verbose_name_plural = _("register cancellations")

    def __str__(self) -> str:
        return f"{self.entry} ยกเลิก"
