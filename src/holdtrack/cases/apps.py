from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "holdtrack.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Declares who may take each case action (kernel.parties) and how to find a case's parties.
        from holdtrack.cases import rules  # noqa: F401
