"""Admin pages for the directory (audited changes), the PKI (look, and switch off) and API keys.

Certificates, keys and CRLs enter only through the pki_import_* commands (services that check
them); the admin can deactivate an anchor or a certificate, audited, and never shows a key.
API keys are created and revoked through their services; a new key is shown once.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_protect

from audit.admin_mixins import AuditedModelAdmin

from .models import (
    Agency,
    AgencyCertificate,
    AgencySigningKey,
    ApiKey,
    CertificateRevocationList,
    HubRole,
    Membership,
    RevokedSerial,
    TrustAnchor,
)
from .services import CreatedApiKey, apikey_create, apikey_revoke


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    list_display = [
        "name_th",
        "abbreviation",
        "ministry_letter_code",
        "ecms_ministry_code",
        "ecms_department_code",
        "delivery_mode",
        "is_active",
    ]
    list_filter = ["delivery_mode", "is_active", "register_year_start"]
    search_fields = ["name_th", "name_en", "abbreviation", "key", "ministry_letter_code"]
    autocomplete_fields = ["parent"]
    # An endpoint typed without a scheme means https: agency endpoints are TLS only.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "agency", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "agency__name_th"]
    autocomplete_fields = ["agency"]


@admin.register(HubRole)
class HubRoleAdmin(AuditedModelAdmin):
    list_display = ["user", "role"]
    list_filter = ["role"]


_ANCHOR_FIELDS: tuple[str, ...] = (
    "name",
    "subject",
    "fingerprint_sha256",
    "not_before",
    "not_after",
    "is_active",
    "added_at",
    "certificate_pem",
)
_CERTIFICATE_FIELDS: tuple[str, ...] = (
    "agency",
    "purpose",
    "subject",
    "issuer",
    "serial_hex",
    "fingerprint_sha256",
    "not_before",
    "not_after",
    "is_active",
    "added_at",
    "certificate_pem",
)
# Never encrypted_key: not even the ciphertext leaves the database through the UI.
_SIGNING_KEY_FIELDS: tuple[str, ...] = (
    "agency",
    "certificate",
    "key_algorithm",
    "is_active",
    "created_at",
)
_CRL_FIELDS: tuple[str, ...] = (
    "issuer",
    "issuer_fingerprint_sha256",
    "this_update",
    "next_update",
    "imported_at",
)
_REVOKED_FIELDS: tuple[str, ...] = ("serial_hex", "revoked_at")


class _NoAddNoDelete:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ReadOnly(_NoAddNoDelete):
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TrustAnchor)
class TrustAnchorAdmin(_NoAddNoDelete, AuditedModelAdmin):
    list_display = ["name", "subject", "not_after", "is_active", "fingerprint_sha256"]
    list_filter = ["is_active"]
    search_fields = ["name", "subject", "fingerprint_sha256"]
    fields = _ANCHOR_FIELDS
    readonly_fields = [field for field in _ANCHOR_FIELDS if field != "is_active"]


@admin.register(AgencyCertificate)
class AgencyCertificateAdmin(_NoAddNoDelete, AuditedModelAdmin):
    list_display = ["agency", "purpose", "subject", "not_after", "is_active"]
    list_filter = ["purpose", "is_active"]
    search_fields = ["agency__name_th", "agency__key", "subject", "fingerprint_sha256"]
    fields = _CERTIFICATE_FIELDS
    readonly_fields = [field for field in _CERTIFICATE_FIELDS if field != "is_active"]


@admin.register(AgencySigningKey)
class AgencySigningKeyAdmin(_ReadOnly, admin.ModelAdmin[AgencySigningKey]):
    list_display = ["agency", "key_algorithm", "certificate", "is_active", "created_at"]
    list_filter = ["key_algorithm", "is_active"]
    search_fields = ["agency__name_th", "agency__key", "certificate__fingerprint_sha256"]
    fields = _SIGNING_KEY_FIELDS
    readonly_fields = _SIGNING_KEY_FIELDS


class RevokedSerialInline(admin.TabularInline[RevokedSerial, CertificateRevocationList]):
    model = RevokedSerial
    fields = _REVOKED_FIELDS
    readonly_fields = _REVOKED_FIELDS
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CertificateRevocationList)
class CertificateRevocationListAdmin(_ReadOnly, admin.ModelAdmin[CertificateRevocationList]):
    list_display = ["issuer", "this_update", "next_update", "imported_at"]
    search_fields = ["issuer", "issuer_fingerprint_sha256"]
    fields = _CRL_FIELDS
    readonly_fields = _CRL_FIELDS
    inlines = [RevokedSerialInline]


class ApiKeyAddForm(forms.ModelForm[ApiKey]):
    class Meta:
        model = ApiKey
        fields = ["agency", "name"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        agency, name = cleaned.get("agency"), (cleaned.get("name") or "").strip()
        if agency is not None and not agency.is_active:
            self.add_error("agency", _("This agency is not active."))
        if (
            agency is not None
            and name
            and ApiKey.objects.filter(agency=agency, name=name, revoked_at__isnull=True).exists()
        ):
            self.add_error("name", _("This agency already has a live API key with that name."))
        return cleaned


_API_KEY_FIELDS: tuple[str, ...] = (
    "agency",
    "name",
    "prefix",
    "created_at",
    "created_by_label",
    "last_used_at",
    "revoked_at",
)
# Where the admin's add view leaves the one-time plaintext for response_add; never stored.
_CREATED_KEY_ATTRIBUTE = "_hub_created_api_key"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ["prefix", "name", "agency", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "agency__name_th", "agency__key"]
    autocomplete_fields = ["agency"]
    actions = ["revoke_keys"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A key stays, revoked, so that audit rows naming it keep pointing at something.
        return False

    @method_decorator(csrf_protect)
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Django wraps this view in a transaction; apikey_create owns its own (durable), so
        # the admin must not open one around it.
        response: HttpResponse = self._changeform_view(  # type: ignore[attr-defined]
            request, object_id, form_url, extra_context
        )
        return response

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        return ("agency", "name") if obj is None else _API_KEY_FIELDS

    def get_readonly_fields(
        self, request: HttpRequest, obj: ApiKey | None = None
    ) -> tuple[str, ...]:
        return () if obj is None else _API_KEY_FIELDS

    def get_form(
        self, request: HttpRequest, obj: ApiKey | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[ApiKey]]:
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm[ApiKey], change: bool
    ) -> None:
        if change:
            return  # nothing about a key is editable; revoke it instead
        created = apikey_create(
            agency=obj.agency,
            name=obj.name,
            actor=request.user if isinstance(request.user, User) else "anonymous",
        )
        # The admin's change log needs the saved row's id and text.
        obj.pk = created.api_key.pk
        obj.prefix = created.api_key.prefix
        setattr(request, _CREATED_KEY_ATTRIBUTE, created)

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        created: CreatedApiKey | None = getattr(request, _CREATED_KEY_ATTRIBUTE, None)
        if created is None:
            return super().response_add(request, obj, post_url_continue)
        # Rendered, not redirected: the plaintext must not pass through a message cookie or
        # the session; this page is the only time it exists outside the caller's memory.
        response = TemplateResponse(
            request,
            "admin/agencies/apikey/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("API key created"),
                "created": created,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        actor = request.user if isinstance(request.user, User) else "anonymous"
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            apikey_revoke(api_key=api_key, actor=actor, reason="admin")
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
