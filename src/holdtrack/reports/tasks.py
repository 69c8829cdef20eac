"""Task-queue tasks of the reports app (huey discovers ``tasks`` modules of installed apps)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from holdtrack.reports.aggregates import refresh


@db_periodic_task(crontab(minute="*"))
def refresh_report_aggregates() -> dict[str, int | bool]:
    """Bring the report aggregates up to date with the lifecycle steps recorded since the last run."""

    r = refresh()
    return {"rebuilt": r.rebuilt, "changes": r.changes, "detainers": r.detainers}
