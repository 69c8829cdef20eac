"""Account pages: second-factor enrolment and verification, backup codes."""

from django.urls import path

from holdtrack.accounts import views

app_name = "accounts"
urlpatterns = [
    path("2fa/setup/", views.setup, name="setup"),
    path("2fa/verify/", views.verify, name="verify"),
    path("2fa/backup-codes/", views.backup_codes, name="backup_codes"),
]
