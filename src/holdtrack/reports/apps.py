from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "holdtrack.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from holdtrack.reports import rules  # noqa: F401, PLC0415 - registers the party table's rows once the apps are ready
