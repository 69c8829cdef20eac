from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "holdtrack.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Declares who may take each case action (kernel.parties) and how to find a case's parties; registers the
        # subjects met through cases with custody.access.
        from holdtrack.cases import access, rules  # noqa: F401
