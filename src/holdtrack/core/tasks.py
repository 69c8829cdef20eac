"""Task-queue tasks. The same code runs on SqliteHuey (embedded) and RedisHuey (distributed)."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task


@db_periodic_task(crontab(minute="*"))
def sweep_periodic() -> dict[str, int]:
    from holdtrack.cases.services.sweep import sweep

    return sweep().as_dict()


def queue_status() -> dict[str, Any]:
    try:
        pending = HUEY.pending_count()
        return {"ok": True, "backend": type(HUEY).__name__, "pending": pending, "immediate": HUEY.immediate}
    except Exception as exc:  # report, never raise, from a health probe
        return {"ok": False, "backend": type(HUEY).__name__, "error": str(exc)}
