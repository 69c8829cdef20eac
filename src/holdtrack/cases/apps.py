from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "holdtrack.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Declares who may take each case action (kernel.parties) and how to find a case's parties; hears what
        # custody announces (custody.events, kernel.dispatch) to move the detainers that follow from it.
        from holdtrack.cases import rules  # noqa: F401
        from holdtrack.cases.services.detainers import custody_events

        custody_events.register()
