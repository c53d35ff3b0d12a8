"""Reads of webhook subscriptions and deliveries, always scoped by the acting agency.

Another agency's subscription or delivery is "not found", never "forbidden": its existence is
none of the caller's business.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet

from agencies.models import Agency

from .errors import WebhookNotFound
from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def webhook_subscriptions(
    *, agency: Agency, active_only: bool = False
) -> QuerySet[WebhookSubscription]:
    """Return the agency's subscriptions, newest first (revoked ones too unless asked not to)."""
    subscriptions = WebhookSubscription.objects.filter(agency=agency).defer("secret_encrypted")
    if active_only:
        subscriptions = subscriptions.filter(is_active=True)
    return subscriptions.order_by("-created_at", "-id")


def webhook_subscription_get(*, agency: Agency, public_id: uuid.UUID | str) -> WebhookSubscription:
    """Return one of the agency's subscriptions by its public id, or raise WebhookNotFound."""
    try:
        return webhook_subscriptions(agency=agency).get(public_id=public_id)
    except (WebhookSubscription.DoesNotExist, ValidationError, ValueError) as exc:
        # Not a UUID at all is just as unknown.
        raise WebhookNotFound(details={"subscription": str(public_id)}) from exc


def webhook_deliveries(
    *, agency: Agency, subscription: WebhookSubscription
) -> QuerySet[WebhookDelivery]:
    """Return a subscription's deliveries, newest first, each with its attempts in order."""
    return (
        WebhookDelivery.objects.filter(subscription=subscription, subscription__agency=agency)
        .select_related("subscription")
        .prefetch_related(
            Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("started_at", "id"))
        )
        .order_by("-created_at", "-id")
    )


def webhook_delivery_get(*, agency: Agency, event_id: uuid.UUID | str) -> WebhookDelivery:
    """Return one of the agency's deliveries by event id, with attempts, or WebhookNotFound."""
    try:
        return (
            WebhookDelivery.objects.filter(subscription__agency=agency)
            .select_related("subscription")
            .prefetch_related(
                Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("started_at", "id"))
            )
            .get(event_id=event_id)
        )
    except (WebhookDelivery.DoesNotExist, ValidationError, ValueError) as exc:
        raise WebhookNotFound(details={"event": str(event_id)}) from exc
