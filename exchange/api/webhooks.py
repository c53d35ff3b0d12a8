"""Webhook subscriptions of the caller's agency, their deliveries with every attempt, redrive.

The services and selectors are ``exchange/webhooks/``; docs/webhooks.md describes the events,
the signature and the retry rules. Another agency's subscription or delivery is 404
``webhook.not_found``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Agency
from config.api.links import absolute_url
from config.api.pagination import KeysetCursorPagination
from config.api.permissions import ActsForAgency
from config.api.views import HubAPIView, HubListAPIView
from exchange.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from exchange.webhooks.selectors import (
    webhook_deliveries,
    webhook_delivery_get,
    webhook_subscription_get,
    webhook_subscriptions,
)
from exchange.webhooks.services import webhook_redrive, webhook_subscribe, webhook_unsubscribe

TAG = "webhooks"


class WebhookSubscribeSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(
        max_length=2000,
        help_text="Where to POST events: `https://`, no user name or password, no #fragment.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        min_length=1,
        help_text="The event types to receive.",
    )


class WebhookSubscriptionSerializer(serializers.ModelSerializer[WebhookSubscription]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), read_only=True
    )
    url = serializers.CharField(read_only=True)
    deliveries_url = serializers.SerializerMethodField(help_text="Its events and attempts.")

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "is_active",
            "created_at",
            "created_by",
            "revoked_at",
            "deliveries_url",
        ]
        read_only_fields = fields

    def get_deliveries_url(self, subscription: WebhookSubscription) -> str:
        return absolute_url(
            self.context, "api-webhook-deliveries", public_id=subscription.public_id
        )


class WebhookCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        allow_null=True,
        read_only=True,
        help_text="`whsec_…`: the key of each delivery's HMAC signature. Shown in this answer "
        "only; a replay of the request (same Idempotency-Key) answers null, because the hub "
        "never keeps the secret in clear.",
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookAttemptSerializer(serializers.ModelSerializer[WebhookAttempt]):
    class Meta:
        model = WebhookAttempt
        fields = [
            "started_at",
            "duration_ms",
            "http_status",
            "succeeded",
            "error_code",
            "permanent",
            "response_excerpt",
        ]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    subscription = serializers.UUIDField(source="subscription.public_id", read_only=True)
    attempts = WebhookAttemptSerializer(many=True, read_only=True)
    payload = serializers.DictField(read_only=True, help_text="The event's `data`.")
    redrive_url = serializers.SerializerMethodField(help_text="POST to send a failed event again.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "event_id",
            "event_type",
            "subscription",
            "status",
            "attempt_count",
            "next_attempt_at",
            "expires_at",
            "last_error_code",
            "created_at",
            "delivered_at",
            "payload",
            "attempts",
            "redrive_url",
        ]
        read_only_fields = fields

    def get_redrive_url(self, delivery: WebhookDelivery) -> str:
        return absolute_url(self.context, "api-webhook-redrive", event_id=delivery.event_id)


def _agency(view: HubAPIView) -> Agency:
    agency = view.caller.agency
    assert agency is not None  # ActsForAgency let the request in
    return agency


_NEW_ONE = {"public_id": "$response.body#/id"}


@extend_schema_view(
    get=extend_schema(
        summary="The agency's webhook subscriptions, newest first (revoked ones too)",
        operation_id="webhooks_list",
    ),
    post=extend_schema(
        summary="Subscribe a URL to events; the answer shows the signing secret, once",
        description="The secret signs every delivery (`X-Saraban-Signature`, docs/webhooks.md); "
        "the hub keeps it only encrypted and never shows it again. Refused URLs: "
        "`webhook.url_not_https`, `webhook.url_has_credentials`, `webhook.url_invalid`.",
        request=WebhookSubscribeSerializer,
        responses={201: WebhookCreatedSerializer},
        operation_id="webhooks_subscribe",
    ),
)
@extend_schema(tags=[TAG])
class WebhookListView(HubListAPIView[WebhookSubscription]):
    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [ActsForAgency]
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-created_at", "-id")
    idempotency_redacted_fields = ("secret",)
    openapi_links = {
        "POST": {
            "GetSubscription": {"operationId": "webhooks_retrieve", "parameters": _NEW_ONE},
            "ListDeliveries": {"operationId": "webhooks_deliveries", "parameters": _NEW_ONE},
            "Unsubscribe": {"operationId": "webhooks_unsubscribe", "parameters": _NEW_ONE},
        }
    }

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return WebhookSubscription.objects.none()
        return webhook_subscriptions(agency=_agency(self))

    def post(self, request: Request) -> Response:
        form = WebhookSubscribeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        created = webhook_subscribe(
            agency=_agency(self),
            url=form.validated_data["url"],
            events=form.validated_data["events"],
            actor=self.caller.actor,
        )
        data = WebhookSubscriptionSerializer(
            created.subscription, context=self.get_serializer_context()
        ).data
        location = absolute_url(
            {"request": request}, "api-webhook-detail", public_id=created.subscription.public_id
        )
        return Response(
            {**data, "secret": created.secret},
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


@extend_schema_view(
    get=extend_schema(summary="One webhook subscription", operation_id="webhooks_retrieve"),
    delete=extend_schema(
        summary="Unsubscribe: revoke the subscription",
        description="Kept for the record with `revoked_at`; events still queued for it are "
        "given up (`webhook.subscription_revoked`). Revoking again changes nothing.",
        operation_id="webhooks_unsubscribe",
    ),
)
@extend_schema(tags=[TAG], responses={200: WebhookSubscriptionSerializer})
class WebhookDetailView(HubAPIView):
    permission_classes = [ActsForAgency]

    def _answer(self, subscription: WebhookSubscription) -> Response:
        context = {"request": self.request}
        return Response(WebhookSubscriptionSerializer(subscription, context=context).data)

    def get(self, request: Request, public_id: str) -> Response:
        return self._answer(webhook_subscription_get(agency=_agency(self), public_id=public_id))

    def delete(self, request: Request, public_id: str) -> Response:
        subscription = webhook_subscription_get(agency=_agency(self), public_id=public_id)
        return self._answer(webhook_unsubscribe(subscription=subscription, actor=self.caller.actor))


@extend_schema(
    tags=[TAG],
    summary="A subscription's events, newest first, each with its attempts",
)
@extend_schema_view(get=extend_schema(operation_id="webhooks_deliveries"))
class WebhookDeliveryListView(HubListAPIView[WebhookDelivery]):
    serializer_class = WebhookDeliverySerializer
    permission_classes = [ActsForAgency]
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-created_at", "-id")
    openapi_links = {
        "GET": {
            "RedriveFirst": {
                "operationId": "webhooks_redrive",
                "parameters": {"event_id": "$response.body#/results/0/event_id"},
            }
        }
    }

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return WebhookDelivery.objects.none()
        agency = _agency(self)
        subscription = webhook_subscription_get(agency=agency, public_id=self.kwargs["public_id"])
        return webhook_deliveries(agency=agency, subscription=subscription)


@extend_schema(
    tags=[TAG],
    summary="Send a failed event again (same event id, fresh time-to-live)",
    description="Only a `failed` event of an active subscription (`webhook.not_redrivable`, "
    "409). The receiver de-duplicates by the event id.",
    request=None,
    responses={200: WebhookDeliverySerializer},
)
@extend_schema_view(post=extend_schema(operation_id="webhooks_redrive"))
class WebhookRedriveView(HubAPIView):
    permission_classes = [ActsForAgency]

    def post(self, request: Request, event_id: str) -> Response:
        agency = _agency(self)
        delivery = webhook_delivery_get(agency=agency, event_id=event_id)
        webhook_redrive(delivery=delivery, actor=self.caller.actor)
        # Read again through the selector: the answer shows the attempts so far.
        again = webhook_delivery_get(agency=agency, event_id=event_id)
        context = {"request": request}
        return Response(WebhookDeliverySerializer(again, context=context).data)
