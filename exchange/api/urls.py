from django.urls import path

from . import outgoing, views

urlpatterns = [path("time", views.TimeView.as_view(), name="api-time")]

# --- Incoming side: pull queue and webhooks (exchange/api/pull.py, exchange/api/webhooks.py) ---
from . import pull, webhooks  # noqa: E402  (kept beside its block to ease merging)

urlpatterns += [
    path("pull/fetch", pull.PullFetchView.as_view(), name="api-pull-fetch"),
    path(
        "pull/<uuid:message_id>/envelope", pull.PullEnvelopeView.as_view(), name="api-pull-envelope"
    ),
    path(
        "pull/<uuid:message_id>/attachments/<str:manifest_id>",
        pull.PullAttachmentView.as_view(),
        name="api-pull-attachment",
    ),
    path("pull/<uuid:message_id>/ack", pull.PullAcknowledgeView.as_view(), name="api-pull-ack"),
    path("webhooks", webhooks.WebhookListView.as_view(), name="api-webhook-list"),
    path(
        "webhooks/<uuid:public_id>", webhooks.WebhookDetailView.as_view(), name="api-webhook-detail"
    ),
    path(
        "webhooks/<uuid:public_id>/deliveries",
        webhooks.WebhookDeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<uuid:event_id>/redrive",
        webhooks.WebhookRedriveView.as_view(),
        name="api-webhook-redrive",
    ),
]
# --- end of the incoming side ---
# -- Outgoing deliveries and self-signed envelopes (exchange/api/outgoing.py) ------------------
urlpatterns += [
    path(
        "deliveries/<int:delivery_id>",
        outgoing.DeliveryDetailView.as_view(),
        name="api-delivery-detail",
    ),
    path(
        "deliveries/<int:delivery_id>/redrive",
        outgoing.DeliveryRedriveView.as_view(),
        name="api-delivery-redrive",
    ),
    path(
        "deliveries/<int:delivery_id>/withdraw",
        outgoing.DeliveryWithdrawView.as_view(),
        name="api-delivery-withdraw",
    ),
    path(
        "deliveries/<int:delivery_id>/resend",
        outgoing.DeliveryResendView.as_view(),
        name="api-delivery-resend",
    ),
    path(
        "deliveries/<int:delivery_id>/dispute",
        outgoing.DeliveryDisputeView.as_view(),
        name="api-delivery-dispute",
    ),
    path("envelopes", outgoing.EnvelopeSubmitView.as_view(), name="api-envelope-submit"),
]
# -- end of outgoing deliveries ----------------------------------------------------------------
