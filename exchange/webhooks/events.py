"""What each event says, built from the letter or delivery that changed (docs/webhooks.md).

Each function runs in the transaction of the change and queues the event through
``webhook_emit``; the services that change letters and deliveries call them in one line.
Payloads carry identifiers and codes, not letter content: a system that wants more fetches it
through the API, under its own key's permissions.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from agencies.models import Agency
from exchange.envelope.types import MessageType
from exchange.models import Delivery, DeliveryStatus
from letters.models import Letter, Secrecy

from .models import WebhookEvent, WebhookSubscription
from .services import webhook_emit

# States whose reason (the recipient's, or the sender's own for a withdrawal) the sender sees.
_STATES_WITH_REASON = (
    DeliveryStatus.REJECTED,
    DeliveryStatus.WRONG_RECIPIENT,
    DeliveryStatus.WITHDRAWN,
)


def _agency(agency: Agency) -> dict[str, str]:
    return {"key": agency.key, "name_th": agency.name_th}


def _text_or_none(value: str) -> str | None:
    return value or None


def letter_received_payload(letter: Letter) -> dict[str, Any]:
    """Describe an incoming copy just filed into its agency's inbox."""
    payload: dict[str, Any] = {
        "letter_id": letter.pk,
        "sender": _agency(letter.sender_agency),
        "number": letter.number_display(),
        "urgency": letter.urgency,
        "secrecy": letter.secrecy,
        "received_at": letter.created_at.isoformat(),
    }
    # A secret letter's subject is itself classified (ระเบียบว่าด้วยการรักษาความลับของทางราชการ):
    # inside the hub only its secret-registry officers may read it, while a webhook body leaves
    # that control (receivers' logs, proxies, queues). Its system fetches it through the API.
    if letter.secrecy == Secrecy.NONE:
        payload["subject"] = letter.subject
    return payload


def webhook_letter_received(*, letter: Letter) -> None:
    """Tell the recipient agency's systems a letter arrived (also a relayed copy)."""
    webhook_emit(
        agency=letter.agency,
        event=WebhookEvent.LETTER_RECEIVED,
        payload=letter_received_payload(letter),
    )


def webhook_delivery_status_changed(
    *, delivery: Delivery, status: str | None = None, error_code: str = ""
) -> None:
    """Tell the sending agency's systems that a copy of its letter moved on.

    ``status`` is the new state when the caller moved the row with an UPDATE and the instance
    still holds the old one. Only letter copies this hub sent for the agency count: the
    outbox's acknowledgements are not the agency's letters, and a relayed copy's sender is
    another hub's agency.
    """
    if delivery.message_type != MessageType.LETTER.value:
        return
    # Most agencies subscribe to nothing: one indexed query, then nothing more, for a circular
    # to hundreds of recipients whose sender has no system listening.
    if not WebhookSubscription.objects.filter(
        agency_id=delivery.sender_id, is_active=True
    ).exists():
        return
    holder = Letter.objects.filter(pk=delivery.letter_id).values_list("agency_id", flat=True)
    if holder.first() != delivery.sender_id:
        return
    new_status = status or delivery.status
    registered = new_status == DeliveryStatus.REGISTERED
    with_reason = new_status in _STATES_WITH_REASON
    payload: dict[str, Any] = {
        "letter_id": delivery.letter_id,
        "message_id": str(delivery.message_id),
        "recipient": _agency(delivery.recipient),
        "status": str(new_status),
        "receive_number": _text_or_none(delivery.receive_number) if registered else None,
        "reason": _text_or_none(delivery.reason) if with_reason else None,
        "error_code": _text_or_none(error_code),
        "at": timezone.now().isoformat(),
    }
    webhook_emit(
        agency=delivery.sender, event=WebhookEvent.DELIVERY_STATUS_CHANGED, payload=payload
    )


def webhook_letter_withdrawn(*, letter: Letter, reason: str) -> None:
    """Tell the recipient agency's systems that the sender withdrew the copy it holds."""
    webhook_emit(
        agency=letter.agency,
        event=WebhookEvent.LETTER_WITHDRAWN,
        payload={
            "letter_id": letter.pk,
            "sender": _agency(letter.sender_agency),
            "number": letter.number_display(),
            "reason": _text_or_none(reason),
            "at": timezone.now().isoformat(),
        },
    )
