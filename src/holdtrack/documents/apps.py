from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "holdtrack.documents"
    label = "documents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from holdtrack.documents import rules  # noqa: F401, PLC0415 - registers the party table's rows once the apps are ready
