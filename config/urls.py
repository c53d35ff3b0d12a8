"""URL map: clerk UI at the root, the API under /api/, Django admin, accounts, language."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.security.login import ThrottledAuthenticationForm
from exchange.monitoring import views as monitoring

urlpatterns = [
    path("", include("letters.urls")),
    path("agencies/", include("agencies.urls")),
    # The inbound envelope endpoint: a plain Django view, authenticated by the signature.
    path("api/v1/exchange/", include("exchange.urls")),
    path("api/v1/", include("config.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("console/", include("audit.console.urls")),
    path("admin/", admin.site.urls),
    path("healthz", monitoring.healthz, name="healthz"),
    path("metrics", monitoring.metrics, name="metrics"),
]

handler403 = "config.security.denied.permission_denied"
handler404 = "config.api.handlers.not_found"
handler500 = "config.api.handlers.server_error"
