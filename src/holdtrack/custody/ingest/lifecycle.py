"""An import run's life: RUNNING only while a live process writes it; FAILED with the reason when it stops
(an error, Ctrl-C, SIGTERM); a RUNNING run whose process is gone (SIGKILL, a lost machine) is found stale by
the next run of the same file, marked FAILED and resumed.

The owner (process id and host) is stored in the run's ``options``. A run of another host cannot be probed;
it counts as live, so two machines never write one run at once, unless the operator says that host's import
is gone (``--take-over``).
"""

from __future__ import annotations

import os
import socket
from typing import Any

from django.db import DatabaseError, connection

from holdtrack.core.timeutil import now
from holdtrack.custody.models import BookingImportRun, FeedImportStatus

MAX_FAILURE = 2000


def owner() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname()}


def stop_in(exc: BaseException) -> BaseException | None:
    """The Ctrl-C or SIGTERM behind an exception. A stop that lands while a query runs leaves the connection busy,
    and the rollback that follows fails: the database error is what surfaces, the stop is its context."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, KeyboardInterrupt) or type(current).__name__ == "Terminated":
            return current
        current = current.__cause__ or current.__context__
    return None


def failure_reason(exc: BaseException) -> str:
    exc = stop_in(exc) or exc
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    text = str(exc).strip()
    if type(exc).__name__ == "Terminated":
        return text or "stopped by SIGTERM"
    return f"{type(exc).__name__}: {text}"[:MAX_FAILURE] if text else type(exc).__name__


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is not writing it: a run left behind in it earlier
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's
    try:  # a zombie (ended, not yet reaped) is gone for our purpose
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def stale_reason(run: BookingImportRun, *, take_over: bool = False) -> str:
    """Why a RUNNING run is stale, or "" when its process may still be writing it. ``take_over``: the operator
    says the import on another host is gone."""
    pid, host = run.options.get("pid"), run.options.get("host")
    if not isinstance(pid, int):
        return "left RUNNING by an earlier version (no process recorded)"
    if host != socket.gethostname():
        return f"taken over from process {pid} on {host} (--take-over)" if take_over else ""
    if _process_alive(pid):
        return ""
    return f"process {pid} ended without finishing (killed)"


def run_fail(run: BookingImportRun, reason: str) -> None:
    """Mark the run FAILED (only while RUNNING: a finished run keeps its status). A stop that came in the middle
    of a query (SIGTERM, Ctrl-C) can leave the connection busy with that query ("another command is already in
    progress"): then the mark goes through a fresh connection."""

    def mark() -> None:
        BookingImportRun.objects.filter(pk=run.pk, status=FeedImportStatus.RUNNING).update(
            status=FeedImportStatus.FAILED, failure=reason[:MAX_FAILURE], finished_at=now()
        )

    try:
        mark()
    except DatabaseError:  # busy, broken or closed in the middle of a query: a fresh connection
        connection.close()
        mark()


def run_resume(run: BookingImportRun, **options: Any) -> bool:
    """Take a FAILED run over for this process; False when another process took it first."""
    run.refresh_from_db()
    failures = [*run.options.get("failures", []), run.failure][-20:]
    merged = {
        **run.options,
        **options,
        **owner(),
        "failures": failures,
        "resumed": int(run.options.get("resumed", 0)) + 1,
    }
    taken = BookingImportRun.objects.filter(pk=run.pk, status=FeedImportStatus.FAILED).update(
        status=FeedImportStatus.RUNNING, options=merged, failure=""
    )
    run.refresh_from_db()
    return taken == 1
