from django.apps import AppConfig


class ApiConfig(AppConfig):
    """REST API v1: system clients (jail systems) and every party's integrations, over the same services."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "holdtrack.api"
