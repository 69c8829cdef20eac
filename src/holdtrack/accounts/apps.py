from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "holdtrack.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from holdtrack.accounts import rules  # noqa: F401, PLC0415 - registers the party table's rows once the apps are ready
