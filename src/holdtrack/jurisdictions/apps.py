from django.apps import AppConfig


class JurisdictionsConfig(AppConfig):
    name = "holdtrack.jurisdictions"
    label = "jurisdictions"
    default_auto_field = "django.db.models.BigAutoField"
