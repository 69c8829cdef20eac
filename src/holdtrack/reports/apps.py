from django.apps import AppConfig

from holdtrack.kernel.dispatch import on_step


class ReportsConfig(AppConfig):
    name = "holdtrack.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from holdtrack.reports import rules  # noqa: F401, PLC0415 - registers the party table's rows once the apps are ready
        from holdtrack.reports.models.stats import TRACKED_CASE_TYPES, outbox_on_steps  # noqa: PLC0415 - models load once ready

        # Every step of a tracked case queues it for the aggregates (first of the step handlers: reports comes
        # before desks and api in INSTALLED_APPS).
        on_step(outbox_on_steps, case_types=TRACKED_CASE_TYPES)
