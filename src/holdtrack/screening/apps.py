from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    """Identity screening of bookings against the subject registry (issue 3)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "holdtrack.screening"

    def ready(self) -> None:
        from holdtrack.screening import rules  # noqa: F401 - registers the party table's rows
