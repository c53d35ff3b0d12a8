"""An official letter (หนังสือราชการ) with every field of the external letter and the memo.

One ``Letter`` row is one agency's copy: the sender's outgoing letter, or a recipient's incoming
copy filed from a verified envelope. Each agency's inbox, outbox and registers then stay
scoped to rows it holds, and a recipient's copy never changes when the sender edits theirs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from letters.letter_number import LetterNumber, Series, render_letter_number


class Direction(models.TextChoices):
    OUTGOING = "outgoing", _("Outgoing")
    INCOMING = "incoming", _("Incoming")


class LetterKind(models.TextChoices):
    # The six kinds of the Regulation on Correspondence, clause 10.
    EXTERNAL = "external", _("External letter")
    INTERNAL = "internal", _("Internal memo")
    STAMPED = "stamped", _("Stamped letter")
    DIRECTIVE = "directive", _("Directive")
    ANNOUNCEMENT = "announcement", _("Public announcement")
    RECORD = "record", _("Record")


class LetterStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NUMBERED = "numbered", _("Numbered")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    RECEIVED = "received", _("Received")
    REGISTERED = "registered", _("Registered")
    REJECTED = "rejected", _("Rejected")
    WRONG_RECIPIENT = "wrong_recipient", _("Wrong recipient")
    WITHDRAWN = "withdrawn", _("Withdrawn by the sender")


class Urgency(models.TextChoices):
    # Codes of the national e-CMS exchange standard (SpeedCode).
    NORMAL = "001", _("Normal")
    URGENT = "002", _("Urgent")
    VERY_URGENT = "003", _("Very urgent")
    MOST_URGENT = "004", _("Most urgent")


class Secrecy(models.TextChoices):
    # Codes of the national e-CMS exchange standard (SecretCode).
    NONE = "001", _("Not secret")
    CONFIDENTIAL = "002", _("Confidential")
    SECRET = "003", _("Secret")
    TOP_SECRET = "004", _("Top secret")


class Letter(models.Model):
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("held by"),
        on_delete=models.PROTECT,
        related_name="letters",
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    sender_agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("sender agency"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=LetterKind.choices, default=LetterKind.EXTERNAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=LetterStatus.choices, default=LetterStatus.DRAFT
    )

    # The number (ที่) as parts; the text form is rendered, never stored as the truth.
    ministry_code = models.CharField(_("ministry letter code"), max_length=5)
    sub_agency_code = models.CharField(_("sub-agency code"), max_length=20, blank=True)
    unit_number = models.CharField(_("unit number"), max_length=20, blank=True)
    series = models.CharField(
        _("number series"),
        max_length=10,
        choices=[(s.value, s.value) for s in Series],
        default=Series.NORMAL.value,
    )
    series_mark = models.CharField(_("series mark as printed"), max_length=10, blank=True)
    running_number = models.PositiveIntegerField(_("running number"), null=True, blank=True)
    number_year = models.PositiveSmallIntegerField(_("numbering year"), null=True, blank=True)
    # An incoming letter whose number did not parse keeps the text exactly as the sender wrote it.
    number_text = models.CharField(_("number as received"), max_length=100, blank=True)

    letter_date = models.DateField(_("letter date"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=1000)
    # Blank allowed: a received letter keeps what its sender wrote, even no salutation.
    salutation = models.CharField(_("salutation"), max_length=50, blank=True, default="เรียน")
    addressee = models.CharField(_("addressee"), max_length=500, blank=True)
    body = models.TextField(_("body"), blank=True)
    closing = models.CharField(_("closing"), max_length=100, blank=True, default="ขอแสดงความนับถือ")
    signer_name = models.CharField(_("signer name"), max_length=255, blank=True)
    signer_position = models.CharField(_("signer position"), max_length=500, blank=True)
    owning_unit = models.CharField(_("owning unit"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    urgency = models.CharField(
        _("urgency"), max_length=3, choices=Urgency.choices, default=Urgency.NORMAL
    )
    secrecy = models.CharField(
        _("secrecy"), max_length=3, choices=Secrecy.choices, default=Secrecy.NONE
    )
    urgent_deadline = models.DateTimeField(_("act by (ด่วนภายใน)"), null=True, blank=True)

    # A form posted twice carries the same token; the second post finds the first letter.
    # NULL, not "", means "no token": the unique constraint then ignores tokenless drafts.
    client_token = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "direction", "status"]),
            models.Index(fields=["agency", "urgency", "created_at"]),
            # The inbox's order (most urgent first, then arrival): a page is read from the
            # index in order, with no sort of the agency's whole inbox (bench/inbox.py).
            models.Index(
                fields=["agency", "direction", "-urgency", "created_at", "id"],
                name="letter_inbox_order",
            ),
            # The inbox's sender filter: one probe per directory agency instead of a scan.
            models.Index(
                fields=["agency", "direction", "sender_agency"], name="letter_inbox_senders"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(urgency__in=Urgency.values), name="letter_urgency_code"
            ),
            models.CheckConstraint(
                condition=Q(secrecy__in=Secrecy.values), name="letter_secrecy_code"
            ),
            models.CheckConstraint(
                condition=~Q(direction=Direction.OUTGOING) | Q(sender_agency=F("agency")),
                name="letter_outgoing_sent_by_holder",
            ),
            models.CheckConstraint(
                condition=Q(running_number__isnull=True) | Q(running_number__gte=1),
                name="letter_running_number_positive",
            ),
            models.UniqueConstraint(
                fields=["agency", "client_token"],
                condition=Q(client_token__isnull=False),
                name="letter_client_token_unique",
            ),
        ]

    def __str__(self) -> str:
        # A secret letter's subject is content: wherever a letter is named (admin titles,
        # links, logs) it is named by its number only.
        if self.secrecy in (Secrecy.CONFIDENTIAL, Secrecy.SECRET):
            return f"หนังสือลับ {self.number_display()}".strip()
        return self.subject

    @property
    def number(self) -> LetterNumber | None:
        """Return the structured number once the letter has one."""
        if self.running_number is None or not self.unit_number:
            return None
        return LetterNumber(
            ministry_code=self.ministry_code,
            sub_agency_code=self.sub_agency_code,
            unit_number=self.unit_number,
            series=Series(self.series),
            series_mark=self.series_mark,
            running=self.running_number,
        )

    def number_display(self, *, thai_digits: bool = True) -> str:
        """Render the number (ที่) as printed, or the text as received when it has no parts."""
        number = self.number
        if number is None:
            return self.number_text
        return render_letter_number(number, thai_digits=thai_digits)


class RecipientRole(models.TextChoices):
    TO = "to", _("To")
    CC = "cc", _("Copy to (สำเนาส่ง)")


class LetterRecipient(models.Model):
    """One addressed agency of a letter: a main recipient or an informational copy."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="recipients")
    agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(
        _("role"), max_length=2, choices=RecipientRole.choices, default=RecipientRole.TO
    )
    addressee = models.CharField(_("addressee position"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "agency"], name="recipient_once_per_letter")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.agency}"


class LetterReference(models.Model):
    """An earlier letter cited under อ้างถึง."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="references")
    number_text = models.CharField(_("letter number"), max_length=100)
    date = models.DateField(_("date"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=1000, blank=True)
    referenced_letter = models.ForeignKey(
        Letter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.number_text


class AttachmentRole(models.TextChoices):
    MAIN = "main", _("Main letter")
    ENCLOSURE = "enclosure", _("Enclosure (สิ่งที่ส่งมาด้วย)")


class Attachment(models.Model):
    """A file of a letter; size and SHA-256 are computed while the bytes stream to storage."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="attachments")
    role = models.CharField(_("role"), max_length=10, choices=AttachmentRole.choices)
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/", max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    media_type = models.CharField(_("media type"), max_length=100)
    size = models.BigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    # The stored bytes are ciphertext: a file of a secret letter, either its agency's own copy
    # (the key is in the letter's SealedContent) or as it arrived encrypted (the key is in the
    # envelope). Name and media type are then the neutral ones; the real ones are sealed.
    sealed = models.BooleanField(_("encrypted"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["role", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter"], condition=Q(role="main"), name="attachment_one_main_letter"
            ),
            models.CheckConstraint(condition=Q(size__gte=0), name="attachment_size_non_negative"),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="attachment_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name
