from django.apps import AppConfig


class DesksConfig(AppConfig):
    name = "holdtrack.desks"
    label = "desks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the notification receivers (audit.Transition post_save).
        from holdtrack.desks import (
            rules,  # noqa: F401 - registers the party table's rows
            signals,  # noqa: F401
        )
