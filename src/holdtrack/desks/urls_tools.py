"""Desk tools beside the case pages: search, deadline calendar and iCalendar feed, notifications, audit search,
the screening model page."""

from django.urls import URLPattern, path

from holdtrack.desks import views_tools as v

app_name = "tools"
urlpatterns: list[URLPattern] = [
    path("search/", v.search_view, name="search"),
    path("calendar/", v.calendar_view, name="calendar"),
    path("calendar/feed/", v.calendar_feed_manage, name="calendar_feed_manage"),
    path("calendar/feed/<str:token>.ics", v.calendar_feed, name="calendar_feed"),
    path("notifications/", v.notifications_view, name="notifications"),
    path("notifications/<int:pk>/read/", v.notification_read, name="notification_read"),
    path("notifications/read-all/", v.notifications_read_all, name="notifications_read_all"),
    path("audit/", v.audit_view, name="audit"),
    path("audit/export.csv", v.audit_export, name="audit_export"),
    path("screening/models/", v.screening_models_view, name="screening_models"),
    path("screening/models/<int:pk>/", v.screening_model_view, name="screening_model"),
]
