"""Task-queue tasks of the cases app (huey discovers ``tasks`` modules of installed apps). The same code runs on
SqliteHuey (embedded) and RedisHuey (distributed)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from holdtrack.cases.services.sweep import sweep


@db_periodic_task(crontab(minute="*"))
def sweep_periodic() -> dict[str, int]:
    """Advance whatever the clocks say is due, every minute (``holdtrack sweep`` runs the same once)."""

    return sweep().as_dict()
