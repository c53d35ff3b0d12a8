"""Admin pages for letters and registers: for looking, never for changing.

Letters change only through the services (state checks, audit rows); register lines are legal
records that nobody edits.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import (
    Attachment,
    Letter,
    LetterRecipient,
    LetterReference,
    RegisterCancellation,
    RegisterEntry,
    RegisterSeries,
    Secrecy,
)
from .services.sealed import SECRET_CONTENT_FIELDS

# Hub administrators get no silent access to secret letters (docs/security.md): the admin shows
# a secret letter's existence and register facts, never its content, and a search never finds
# one by its content (a search would otherwise answer "is there a secret letter about X?").
SECRET_CODES = (Secrecy.CONFIDENTIAL, Secrecy.SECRET)
HIDDEN = _("(secret: open through the secret registry)")


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecipientInline(admin.TabularInline[LetterRecipient, Letter]):
    model = LetterRecipient
    extra = 0


class ReferenceInline(admin.TabularInline[LetterReference, Letter]):
    model = LetterReference
    fk_name = "letter"
    extra = 0
    exclude = ["referenced_letter"]


class AttachmentInline(admin.TabularInline[Attachment, Letter]):
    model = Attachment
    extra = 0
    exclude = ["file", "uploaded_by"]


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = [
        "shown_subject",
        "agency",
        "direction",
        "status",
        "urgency",
        "secrecy",
        "created_at",
    ]
    list_filter = ["direction", "status", "urgency", "secrecy", "kind"]
    search_fields = ["subject", "number_text"]
    inlines = [RecipientInline, ReferenceInline, AttachmentInline]

    @admin.display(description=_("subject"))
    def shown_subject(self, obj: Letter) -> str:
        return str(HIDDEN) if obj.secrecy in SECRET_CODES else obj.subject

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.secrecy in SECRET_CODES:
            return SECRET_CONTENT_FIELDS
        return super().get_exclude(request, obj)

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        # References (their subjects), recipients' addressees and file names are content too.
        if obj is not None and obj.secrecy in SECRET_CODES:
            return []
        return super().get_inlines(request, obj)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if search_term:
            found = found.exclude(secrecy__in=SECRET_CODES)
        return found, duplicates


@admin.register(RegisterEntry)
class RegisterEntryAdmin(ReadOnlyAdmin):
    list_display = ["agency", "register", "series", "year", "number", "revision", "shown_subject"]
    list_filter = ["register", "series", "year"]
    search_fields = ["subject", "letter_number", "from_party", "to_party"]

    @admin.display(description=_("subject"))
    def shown_subject(self, obj: RegisterEntry) -> str:
        return str(HIDDEN) if obj.series == RegisterSeries.SECRET else obj.subject

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.series == RegisterSeries.SECRET:
            return ["subject"]
        return super().get_exclude(request, obj)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if search_term:
            found = found.exclude(Q(series=RegisterSeries.SECRET))
        return found, duplicates


@admin.register(RegisterCancellation)
class RegisterCancellationAdmin(ReadOnlyAdmin):
    list_display = ["entry", "reason", "cancelled_at"]
