"""The agency directory, and who works for which agency in which role."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DeliveryMode(models.TextChoices):
    HOSTED = "hosted", _("Hosted on this hub")
    PUSH = "push", _("Push to the agency's endpoint")
    PULL = "pull", _("Pulled by the agency's own system")


class RegisterYearStart(models.TextChoices):
    # The regulation restarts numbers on 1 January; some agencies follow the fiscal year.
    CALENDAR = "calendar", _("Calendar year (1 January)")
    FISCAL = "fiscal", _("Fiscal year (1 October)")


class Agency(models.Model):
    """A government agency (ส่วนราชการ) with its codes, address and delivery channel."""

    key = models.SlugField(
        _("directory key"),
        max_length=50,
        unique=True,
        help_text=_("Stable identifier used by the directory file and the API."),
    )
    name_th = models.CharField(_("name (Thai)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=50, blank=True)
    # Blank only while the directory lacks the fact; numbering a letter needs it.
    ministry_letter_code = models.CharField(
        _("ministry letter code"),
        max_length=5,
        blank=True,
        # Two or three Thai consonants: ดศ, นร, or a province code such as ชม.
        validators=[RegexValidator(r"^[ก-ฮ]{2,3}$")],
        help_text=_("Thai consonants that open the letter number, e.g. ดศ."),
    )
    sub_agency_code = models.CharField(_("sub-agency code"), max_length=20, blank=True)
    unit_number = models.CharField(
        _("unit number"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[0-9]+(\.[0-9]+)*$")],
        help_text=_("Default owner number in letter numbers, e.g. 0506."),
    )
    ecms_ministry_code = models.CharField(
        _("e-CMS ministry code"),
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{2}$")],
    )
    ecms_department_code = models.CharField(
        _("e-CMS department code"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{5}$")],
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    email = models.EmailField(_("central e-mail"), blank=True)
    address = models.TextField(_("address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    delivery_mode = models.CharField(
        _("delivery mode"), max_length=10, choices=DeliveryMode.choices, default=DeliveryMode.HOSTED
    )
    endpoint_url = models.URLField(_("endpoint URL"), blank=True)
    # Directory fields not yet checked against a primary source (see docs/directory.md).
    unconfirmed_fields = models.JSONField(_("fields to verify"), default=list, blank=True)
    register_year_start = models.CharField(
        _("register year starts"),
        max_length=10,
        choices=RegisterYearStart.choices,
        default=RegisterYearStart.CALENDAR,
    )

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name_th"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(delivery_mode=DeliveryMode.PUSH) | ~Q(endpoint_url=""),
                name="agency_push_needs_endpoint",
            ),
            models.CheckConstraint(
                condition=Q(ecms_ministry_code="") | Q(ecms_ministry_code__regex=r"^[0-9]{2}$"),
                name="agency_ecms_ministry_code_format",
            ),
            models.CheckConstraint(
                condition=Q(ecms_department_code="") | Q(ecms_department_code__regex=r"^[0-9]{5}$"),
                name="agency_ecms_department_code_format",
            ),
            models.UniqueConstraint(
                fields=["ecms_ministry_code", "ecms_department_code"],
                condition=~Q(ecms_department_code=""),
                name="agency_ecms_codes_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_th} ({self.abbreviation})" if self.abbreviation else self.name_th


class AgencyRole(models.TextChoices):
    CLERK = "clerk", _("Saraban clerk")
    SECRET_OFFICER = "secret_officer", _("Secret-registry officer")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")


class Membership(models.Model):
    """One role of one user in one agency; a user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=AgencyRole.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.agency} · {self.get_role_display()}"


class HubRoleName(models.TextChoices):
    AUDITOR = "auditor", _("Auditor")
    HUB_ADMIN = "hub_admin", _("Hub administrator")


class HubRole(models.Model):
    """A hub-wide role, held independently of any agency."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="hub_roles",
    )
    role = models.CharField(_("role"), max_length=20, choices=HubRoleName.choices)

    class Meta:
        verbose_name = _("hub role")
        verbose_name_plural = _("hub roles")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="hub_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"
