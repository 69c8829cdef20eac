"""Internal report pages, included at ``/reports/`` (``path("reports/", include("holdtrack.reports.urls"))``)."""

from django.urls import path

from holdtrack.reports import views, views_hold_impact

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("download/<slug:table>.<slug:fmt>", views.download, name="download"),
    path("declined/", views.declined_report, name="declined"),
    path("hold-impact/", views_hold_impact.hold_impact_report, name="hold-impact"),
    path(
        "hold-impact/download/<slug:table>.<slug:fmt>",
        views_hold_impact.download,
        name="hold-impact-download",
    ),
]
