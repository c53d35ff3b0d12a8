from django.urls import path

from . import views

urlpatterns = [
    path("agencies", views.AgencyListView.as_view(), name="api-agency-list"),
    path("agencies/<slug:key>", views.AgencyDetailView.as_view(), name="api-agency-detail"),
    path("keys", views.ApiKeyListView.as_view(), name="api-key-list"),
    path("keys/<slug:prefix>", views.ApiKeyDetailView.as_view(), name="api-key-detail"),
    path("keys/<slug:prefix>/revoke", views.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("me", views.CallerView.as_view(), name="api-caller"),
]
