from django.apps import AppConfig


class ApiConfig(AppConfig):
    """REST API v1: system clients (jail systems) and every party's integrations, over the same services."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "holdtrack.api"

    def ready(self) -> None:
        # The party table's rows, the webhook handlers and their queue tasks register once the apps are ready.
        from holdtrack.api import rules, webhooks  # noqa: F401, PLC0415 - models load once the apps are ready

        webhooks.register()  # the steps an LEA hears about, after commit (kernel.dispatch)
