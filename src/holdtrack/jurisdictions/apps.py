from django.apps import AppConfig


class JurisdictionsConfig(AppConfig):
    name = "holdtrack.jurisdictions"
    label = "jurisdictions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from holdtrack.jurisdictions import rules  # noqa: F401, PLC0415 - registers the party table's rows once the apps are ready
