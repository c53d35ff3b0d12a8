from django.contrib import admin

from .models import Agency, HubRole, Membership


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "agency", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "agency__name_th"]
    autocomplete_fields = ["agency"]


@admin.register(HubRole)
class HubRoleAdmin(admin.ModelAdmin[HubRole]):
    list_display = ["user", "role"]
    list_filter = ["role"]
