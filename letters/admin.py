"""Admin pages for letters and registers: for looking, never for changing.

Letters change only through the services (state checks, audit rows); register lines are legal
records that nobody edits.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Attachment,
    Letter,
    LetterRecipient,
    LetterReference,
    RegisterCancellation,
    RegisterEntry,
)


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
    list_display = ["subject", "agency", "direction", "status", "urgency", "secrecy", "created_at"]
    list_filter = ["direction", "status", "urgency", "secrecy", "kind"]
    search_fields = ["subject", "number_text"]
    inlines = [RecipientInline, ReferenceInline, AttachmentInline]


@admin.register(RegisterEntry)
class RegisterEntryAdmin(ReadOnlyAdmin):
    list_display = ["agency", "register", "series", "year", "number", "revision", "subject"]
    list_filter = ["register", "series", "year"]
    search_fields = ["subject", "letter_number", "from_party", "to_party"]


@admin.register(RegisterCancellation)
class RegisterCancellationAdmin(ReadOnlyAdmin):
    list_display = ["entry", "reason", "cancelled_at"]
