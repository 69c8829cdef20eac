from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from holdtrack.accounts import views as account_views
from holdtrack.api.urls import api
from holdtrack.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("account/", include("holdtrack.accounts.urls")),
    path("tools/", include("holdtrack.desks.urls_tools")),
    path("reports/", include("holdtrack.reports.urls")),
    path("public/", include("holdtrack.reports.public_urls")),
    path("", include("holdtrack.desks.urls")),
]
