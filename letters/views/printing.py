"""The letter in the official layout of an external letter (or a memo), for printing.

Made from the structured fields, not from the PDF: this is the hub's own rendering of what
the letter says (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ, แบบที่ 1 and 2), with a print stylesheet
for A4. A secret letter's body shows only to those who may open it, as on the letter page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from exchange.services.secret_letters import letter_held_encrypted, secret_letter_open
from letters.errors import SecretContentRefused
from letters.models import AttachmentRole, LetterKind, RecipientRole
from letters.selectors import letter_is_secret
from letters.services.secrecy import secret_content_allowed, secret_content_open

from .common import clerk_page, letter_or_404, signed_in_user
from .letter import shown_letter, shown_references


@clerk_page
@require_GET
def letter_print(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = letter_or_404(request, letter_id)
    user = signed_in_user(request)
    attachments = list(letter.attachments.all())
    opened = None
    if letter_is_secret(letter):
        try:
            if letter_held_encrypted(letter=letter):
                # The copy holds only the clear facts: decrypt for this answer (audited).
                opened = secret_letter_open(letter=letter, user=user)
                letter, attachments = shown_letter(letter, opened)
            else:
                secret_content_open(letter=letter, actor=user)
        except SecretContentRefused as error:
            messages.warning(request, str(error.message))
    recipients = list(letter.recipients.select_related("agency"))
    may_open = secret_content_allowed(letter=letter, user=user)
    return render(
        request,
        "letters/print.html",
        {
            "letter": letter,
            "sender": letter.sender_agency,
            "is_memo": letter.kind == LetterKind.INTERNAL,
            "may_open": may_open,
            "references": shown_references(letter, opened, may_open=may_open),
            "enclosures": [a for a in attachments if a.role == AttachmentRole.ENCLOSURE],
            "copies_to": [r for r in recipients if r.role == RecipientRole.CC],
        },
    )
