from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse

from holdtrack.core.worker import queue_status


def healthz(request: HttpRequest) -> JsonResponse:
    """Database and task-queue status, for load balancers and operators."""
    status: dict[str, object] = {}
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        status["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # report, never raise, from a health probe
        status["database"] = {"ok": False, "error": str(exc)}
    status["queue"] = queue_status()
    ok = all(part["ok"] for part in status.values() if isinstance(part, dict))
    status["ok"] = ok
    return JsonResponse(status, status=200 if ok else 503)
