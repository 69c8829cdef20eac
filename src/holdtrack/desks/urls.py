from django.urls import path

from holdtrack.desks import views

app_name = "desks"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("detainers/<int:pk>/", views.detainer_detail, name="detainer"),
    path("subpoenas/<int:pk>/", views.subpoena_detail, name="subpoena"),
    path("court-cases/<int:pk>/", views.court_case_detail, name="court_case"),
]
