from django.apps import AppConfig


class ApiConfig(AppConfig):
    """REST API v1: system clients (jail systems) and every party's integrations, over the same services."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "holdtrack.api"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from holdtrack.api import (
            rules,  # noqa: F401 - registers the party table's rows
            tasks,  # noqa: F401 - registers the huey tasks
        )
        from holdtrack.api.webhooks import on_transition
        from holdtrack.audit.models import Transition

        post_save.connect(on_transition, sender=Transition, dispatch_uid="api_webhooks_on_transition")
