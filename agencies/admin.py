"""Admin pages for the directory (audited changes) and the PKI (look, and switch off).

Certificates, keys and CRLs enter only through the pki_import_* commands (services that check
them); the admin can deactivate an anchor or a certificate, audited, and never shows a key.
"""

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from audit.admin_mixins import AuditedModelAdmin

from .models import (
    Agency,
    AgencyCertificate,
    AgencySigningKey,
    CertificateRevocationList,
    HubRole,
    Membership,
    RevokedSerial,
    TrustAnchor,
)


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
