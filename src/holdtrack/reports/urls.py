"""Internal report pages, included at ``/reports/`` (``path("reports/", include("holdtrack.reports.urls"))``)."""

from django.urls import path

from holdtrack.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("download/<slug:table>.<slug:fmt>", views.download, name="download"),
    path("declined/", views.declined_report, name="declined"),
]
