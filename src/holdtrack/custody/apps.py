from django.apps import AppConfig


class CustodyConfig(AppConfig):
    name = "holdtrack.custody"
    label = "custody"
    default_auto_field = "django.db.models.BigAutoField"
