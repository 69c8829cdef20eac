"""Account pages: second-factor enrolment and verification, password change."""

from django.urls import URLPattern

app_name = "accounts"
urlpatterns: list[URLPattern] = []
