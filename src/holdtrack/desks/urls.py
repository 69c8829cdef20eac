from django.urls import path

from holdtrack.desks import views

app_name = "desks"
urlpatterns = [path("", views.dashboard, name="dashboard")]
