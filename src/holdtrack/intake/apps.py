from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """The one way a booking or a registry comes in (ADR 0019): above custody and screening, it records and
    then screens. No models of its own; an app so that its party-table rows register in ``ready``."""

    name = "holdtrack.intake"

    def ready(self) -> None:
        from holdtrack.intake import rules  # noqa: F401 - registers the party table's rows
