"""Clerk actions run inside a node's Django (see ``Node.call``); each returns JSON-able data."""

from __future__ import annotations

import io
from typing import Any

from agencies.models import Agency
from exchange.models import Delivery
from exchange.selectors import letter_sending_progress
from exchange.services.acknowledgements import incoming_letter_refuse, incoming_letter_register
from exchange.services.sending import letter_send
from letters.models import AttachmentRole, Direction, Letter, LetterStatus
from letters.services.attachments import attachment_add
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    letter_create_draft,
)

ACTOR = "e2e:clerk"
MAIN_PDF = "%PDF-1.4 หนังสือเชิญประชุม".encode()


def send(
    sender: str, recipients: list[str], subject: str, circular: bool = False
) -> dict[str, Any]:
    agency = Agency.objects.get(key=sender)
    letter = letter_create_draft(
        agency=agency,
        actor=ACTOR,
        values=LetterFields(
            subject=subject,
            urgency="004",
            series="circular" if circular else "normal",
            unit_number=agency.unit_number or "0100",
            body="ด้วยสำนักงานฯ ขอเชิญประชุม จึงเรียนมาเพื่อโปรดพิจารณา",
        ),
        parts=LetterParts(
            recipients=[RecipientInput(agency=Agency.objects.get(key=k)) for k in recipients]
        ),
    )
    attachment_add(
        letter=letter,
        actor=ACTOR,
        stream=io.BytesIO(MAIN_PDF),
        name="หนังสือเชิญประชุม.pdf",
        media_type="application/pdf",
        role=AttachmentRole.MAIN,
    )
    letter_send(letter=letter, actor=ACTOR)
    letter.refresh_from_db()
    return {"letter": letter.pk, "number": letter.number_display()}


def progress(letter_id: int) -> dict[str, Any]:
    letter = Letter.objects.get(pk=letter_id)
    counted = letter_sending_progress(letter=letter)
    rows = Delivery.objects.filter(letter=letter, message_type="letter").select_related("recipient")
    return {
        "total": counted.total,
        "done": counted.done,
        "failed": counted.failed,
        "deliveries": {d.recipient.key: [d.status, d.receive_number, d.reason] for d in rows},
    }


def inbox(agency: str, subject: str) -> list[dict[str, Any]]:
    copies = Letter.objects.filter(
        agency__key=agency, direction=Direction.INCOMING, subject=subject
    )
    return [
        {
            "id": copy.pk,
            "status": copy.status,
            "number": copy.number_text,
            "files": [attachment.size for attachment in copy.attachments.all()],
        }
        for copy in copies
    ]


def register(letter_id: int) -> dict[str, Any]:
    entry = incoming_letter_register(letter=Letter.objects.get(pk=letter_id), actor=ACTOR)
    return {"receive_number": str(entry.number)}


def refuse(letter_id: int, status: str, reason: str) -> dict[str, Any]:
    incoming_letter_refuse(
        letter=Letter.objects.get(pk=letter_id),
        status=LetterStatus(status),
        reason=reason,
        actor=ACTOR,
    )
    return {"ok": True}
