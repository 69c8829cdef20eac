from django.apps import AppConfig


class ApiConfig(AppConfig):
    """REST API v1: system clients (jail systems) and every party's integrations, over the same services."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "holdtrack.api"

    def ready(self) -> None:
        from holdtrack.api import (
            rules,  # noqa: F401 - registers the party table's rows
            tasks,  # noqa: F401 - registers the huey tasks
            webhooks,
        )

        webhooks.register()  # the steps an LEA hears about, after commit (kernel.dispatch)
