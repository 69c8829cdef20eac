from django.urls import path, register_converter

from holdtrack.desks import views
from holdtrack.desks.runs import URL_SEGMENTS
from holdtrack.documents import views as document_views


class KindConverter:
    """A case kind in its page's path segment: ``court-cases`` in the URL is the kind ``court_case``, so an
    action's URL sits under its case page (``/court-cases/1/actions/court-step/``)."""

    regex = "|".join(URL_SEGMENTS.values())
    _kinds = {segment: kind for kind, segment in URL_SEGMENTS.items()}

    def to_python(self, value: str) -> str:
        return self._kinds[value]

    def to_url(self, value: str) -> str:
        if value not in URL_SEGMENTS:
            raise ValueError(f"No case kind {value!r}.")  # reverse() answers NoReverseMatch
        return URL_SEGMENTS[value]


register_converter(KindConverter, "case_kind")

app_name = "desks"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("detainers/<int:pk>/", views.detainer_detail, name="detainer"),
    path("subpoenas/<int:pk>/", views.subpoena_detail, name="subpoena"),
    path("court-cases/<int:pk>/", views.court_case_detail, name="court_case"),
    path("matches/<int:pk>/", views.match_detail, name="match"),
    # One POST endpoint per case kind and action (desks.actions), under the case's page; success redirects to it.
    path("<case_kind:kind>/<int:pk>/actions/<slug:key>/", views.case_action, name="case_action"),
    # Documents (issue 5): download, HTML equivalent of a generated document, delivery acknowledgement.
    path("documents/<int:pk>/download/", document_views.document_download, name="document_download"),
    path(
        "documents/preview/<str:kind>/<str:case_type>/<int:case_id>/",
        document_views.document_preview,
        name="document_preview",
    ),
    path("documents/ack/<str:token>/", document_views.delivery_ack, name="document_ack"),
]
