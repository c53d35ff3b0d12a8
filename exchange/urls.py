from django.urls import path

from . import views

urlpatterns = [path("envelopes", views.inbound_envelope, name="exchange-inbound")]
