from django.urls import path

from . import views

urlpatterns = [
    path("codes/urgency", views.UrgencyCodesView.as_view(), name="api-codes-urgency"),
    path("codes/secrecy", views.SecrecyCodesView.as_view(), name="api-codes-secrecy"),
    path("codes/media-types", views.MediaTypeCodesView.as_view(), name="api-codes-media-types"),
]
