from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from holdtrack.api.urls import api
from holdtrack.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="desks/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("account/", include("holdtrack.accounts.urls")),
    path("tools/", include("holdtrack.desks.urls_tools")),
    path("reports/", include("holdtrack.reports.urls")),
    path("public/", include("holdtrack.reports.public_urls")),
    path("", include("holdtrack.desks.urls")),
]
