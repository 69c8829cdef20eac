"""The task worker, run in-process for the embedded scale (``holdtrack serve`` starts it beside the web
server) or as its own process for the distributed scale (``holdtrack run_huey``)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.utils.module_loading import autodiscover_modules
from huey.consumer import Consumer
from huey.contrib.djhuey import HUEY

from holdtrack.audit.chain import follow

log = logging.getLogger(__name__)


class InProcessConsumer(Consumer):
    """A consumer that leaves signal handling to its host process (the web server owns SIGTERM)."""

    def _set_signal_handlers(self) -> None:
        return None


_consumer: InProcessConsumer | None = None
_chainer: tuple[threading.Thread, threading.Event] | None = None


def start_in_process_worker(workers: int = 1) -> InProcessConsumer:
    global _consumer
    if _consumer is None:
        # Register the periodic tasks of every app's ``tasks`` module, as ``run_huey`` does.
        autodiscover_modules("tasks")
        _consumer = InProcessConsumer(
            HUEY, workers=workers, worker_type="thread", periodic=True, check_worker_health=False
        )
        _consumer.start()
        log.info("in-process task worker started (%s)", type(HUEY).__name__)
        _start_chainer()
    return _consumer


def _start_chainer() -> None:
    """Audit events are inserted unchained (no request waits on a chain lock); this thread links them every
    two seconds. Its own thread, so a long task (a report refresh) never delays the chain."""
    global _chainer

    stop = threading.Event()
    thread = threading.Thread(target=follow, args=(stop,), kwargs={"log": log}, name="audit-chainer", daemon=True)
    thread.start()
    _chainer = (thread, stop)


def stop_in_process_worker() -> None:
    global _consumer, _chainer
    if _chainer is not None:
        _chainer[1].set()
        _chainer[0].join(timeout=10)
        _chainer = None
    if _consumer is not None:
        _consumer.stop(graceful=True)
        _consumer = None


def queue_status() -> dict[str, Any]:
    """The queue's backend and pending count for the health probe; never raises."""
    try:
        pending = HUEY.pending_count()
        return {"ok": True, "backend": type(HUEY).__name__, "pending": pending, "immediate": HUEY.immediate}
    except Exception as exc:  # report, never raise, from a health probe
        return {"ok": False, "backend": type(HUEY).__name__, "error": str(exc)}
