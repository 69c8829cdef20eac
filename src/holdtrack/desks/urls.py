from django.urls import path

from holdtrack.desks import views
from holdtrack.documents import views as document_views

app_name = "desks"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("detainers/<int:pk>/", views.detainer_detail, name="detainer"),
    path("subpoenas/<int:pk>/", views.subpoena_detail, name="subpoena"),
    path("court-cases/<int:pk>/", views.court_case_detail, name="court_case"),
    path("matches/<int:pk>/", views.match_detail, name="match"),
    # One POST endpoint per case kind and action (desks.actions); success redirects back to the case page.
    path("<str:kind>/<int:pk>/actions/<slug:key>/", views.case_action, name="case_action"),
    # Documents (issue 5): download, HTML equivalent of a generated document, delivery acknowledgement.
    path("documents/<int:pk>/download/", document_views.document_download, name="document_download"),
    path(
        "documents/preview/<str:kind>/<str:case_type>/<int:case_id>/",
        document_views.document_preview,
        name="document_preview",
    ),
    path("documents/ack/<str:token>/", document_views.delivery_ack, name="document_ack"),
]
