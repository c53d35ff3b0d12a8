from django.urls import path

from . import outgoing, views

urlpatterns = [path("time", views.TimeView.as_view(), name="api-time")]

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
