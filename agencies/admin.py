from django.contrib import admin
from django.db import models

from audit.admin_mixins import AuditedModelAdmin

from .models import Agency, HubRole, Membership


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
