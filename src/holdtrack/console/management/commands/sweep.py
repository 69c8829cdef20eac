from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from holdtrack.cases.services.sweep import sweep


class Command(BaseCommand):
    help = (
        "Advance whatever the clocks say is due: expire holds at their ceiling, lapse subpoenas at their "
        "return date, record court non-compliance, raise work items, close finished cases. Idempotent."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", help="ISO 8601 instant with zone (default: the current time)")

    def handle(self, *args: Any, **opts: Any) -> None:

        now = None
        if opts["now"]:
            try:
                now = datetime.fromisoformat(opts["now"].replace("Z", "+00:00"))
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from exc
            if now.tzinfo is None:
                raise CommandError("--now needs a zone, e.g. 2026-11-28T12:00:00Z")
        result = sweep(now)
        for key, value in result.as_dict().items():
            self.stdout.write(f"{key:>22}: {value}")
