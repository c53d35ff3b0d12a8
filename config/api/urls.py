"""/api/v1/: each app's endpoints live in its own ``api/urls.py``; add new ones here."""

from django.urls import include, path

urlpatterns = [
    path("", include("agencies.api.urls")),
    path("", include("letters.api.urls")),
    path("", include("exchange.api.urls")),
]
