"""Desk tools beside the case pages: search, deadline calendar and iCalendar feed, notifications."""

from django.urls import URLPattern

app_name = "tools"
urlpatterns: list[URLPattern] = []
