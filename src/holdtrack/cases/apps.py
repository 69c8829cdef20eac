from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "holdtrack.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Declares who may take each case action (kernel.parties) and how to find a case's parties; registers the
        # subjects met through cases with custody.access; hears what custody announces (custody.events,
        # kernel.dispatch) to move the detainers that follow from it.
        from holdtrack.cases import access, rules  # noqa: F401, PLC0415 - registers once the apps are ready
        from holdtrack.cases.services.detainers import custody_events  # noqa: PLC0415 - models load once ready

        custody_events.register()
