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


class RecipientInline(admin.TabularInline[LetterRecipient, Letter]):
    model = LetterRecipient
    extra = 0
    autocomplete_fields = ["agency"]


class ReferenceInline(admin.TabularInline[LetterReference, Letter]):
    model = LetterReference
    fk_name = "letter"
    extra = 0
    exclude = ["referenced_letter"]


class AttachmentInline(admin.TabularInline[Attachment, Letter]):
    model = Attachment
    extra = 0
    readonly_fields = ["name", "media_type", "size", "sha256", "role"]
    exclude = ["file", "uploaded_by"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # files arrive through the attachment service, which hashes them


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin[Letter]):
    list_display = ["subject", "agency", "direction", "status", "urgency", "secrecy", "created_at"]
    list_filter = ["direction", "status", "urgency", "secrecy", "kind"]
    search_fields = ["subject", "number_text"]
    inlines = [RecipientInline, ReferenceInline, AttachmentInline]
    readonly_fields = ["running_number", "number_year", "status"]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Registers are legal records: the admin may look, never touch."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RegisterEntry)
class RegisterEntryAdmin(ReadOnlyAdmin):
    list_display = ["agency", "register", "series", "year", "number", "revision", "subject"]
    list_filter = ["register", "series", "year"]
    search_fields = ["subject", "letter_number", "from_party", "to_party"]


@admin.register(RegisterCancellation)
class RegisterCancellationAdmin(ReadOnlyAdmin):
    list_display = ["entry", "reason", "cancelled_at"]
