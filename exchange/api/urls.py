from django.urls import path

from . import views

urlpatterns = [path("time", views.TimeView.as_view(), name="api-time")]
