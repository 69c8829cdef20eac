"""Task-queue tasks of the desks (discovered as ``tasks`` modules of installed apps)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from holdtrack.desks.tools.notifications import notify_deadlines


@db_periodic_task(crontab(minute="*/5"))
def notify_deadlines_periodic() -> dict[str, int]:
    """Hold-ending, subpoena return and comply-by notifications; idempotent through dedupe keys."""

    return notify_deadlines()
