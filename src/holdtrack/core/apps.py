from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "holdtrack.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # PostgreSQL timestamps through psycopg's compiled loader, on each new connection (core.pgload).
        from holdtrack.core import pgload  # noqa: PLC0415 - connects a signal once the apps are ready

        pgload.install()
