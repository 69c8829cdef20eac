from django.apps import AppConfig


class CustodyConfig(AppConfig):
    name = "holdtrack.custody"
    label = "custody"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Declares who may take each custody action (kernel.parties) and how to find a record's parties.
        from holdtrack.custody import rules  # noqa: F401, PLC0415 - registers the party table's rows once the apps are ready
        from holdtrack.custody.areas import connect  # noqa: PLC0415 - models are ready only now

        connect()
