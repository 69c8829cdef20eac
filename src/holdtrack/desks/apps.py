from django.apps import AppConfig


class DesksConfig(AppConfig):
    name = "holdtrack.desks"
    label = "desks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the notifications that follow a step (kernel.dispatch); offer the counterpart's recording of
        # the other side's acts (ADR 0019) beside the acting side's actions.
        from holdtrack.desks import on_steps, recording, rules  # noqa: F401, PLC0415 - models load once ready

        on_steps.register()
        recording.register()
