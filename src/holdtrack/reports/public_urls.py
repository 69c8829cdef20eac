"""Public statistics, no login, included at ``/public/``
(``path("public/", include("holdtrack.reports.public_urls"))``)."""

from django.urls import path

from holdtrack.reports import views

app_name = "public"
urlpatterns = [
    path("", views.public_index, name="index"),
    path("changelog/", views.public_changelog, name="changelog"),
    path("<int:version>/", views.public_snapshot, name="snapshot"),
    path("<int:version>/codebook/", views.public_codebook, name="codebook"),
    path("<int:version>/snapshot.json", views.public_snapshot_json, name="snapshot_json"),
    path("<int:version>/<slug:table>.csv", views.public_table_csv, name="table_csv"),
]
