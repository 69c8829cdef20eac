"""The web worker: gunicorn's threaded worker, which leaves a new connection to an idle worker while it is busy.

gunicorn's ``gthread`` worker accepts in its event loop whatever its threads are doing, and a kept-alive
connection stays with the worker that accepted it. Clients that connect at once (a reverse proxy's pool of
upstream connections, a feed's client, wrk) can all land on one worker while the other idles, for as long as
they stay connected: the benchmarks saw 16 | 0 splits that left a core unused (ADR 0050).

This worker listens while one of its threads is free. Once every thread has a request, it accepts at most one
new connection per gap: ``BUSY_ACCEPT_GAP`` for each thread's worth of connections it holds, at most
``MAX_BUSY_ACCEPT_GAP``. An idle worker takes the next connection at once; when every worker is busy, the one
holding fewer connections takes it sooner, and a connection waits in the listen backlog no longer than about the
longest gap times the connections queued before it. The connections a worker holds are served as before.
"""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

# Long enough for an idle worker's loop to take the connection first, short beside a request; a busy worker
# holding more connections than it has threads waits proportionally longer, up to the maximum.
BUSY_ACCEPT_GAP = 0.01
MAX_BUSY_ACCEPT_GAP = 0.05


class BalancedThreadWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Requests handed to the thread pool and not yet finished. Only the event loop's thread touches these:
        # accept, enqueue_req and finish_request all run there.
        self.in_flight = 0
        self.accepted_at = 0.0

    def _may_listen(self) -> bool:
        if self.in_flight < self.cfg.threads:
            return True
        # The more connections this worker holds, the longer it leaves the next one to the others.
        gap = min(BUSY_ACCEPT_GAP * max(1, self.nr_conns) / self.cfg.threads, MAX_BUSY_ACCEPT_GAP)
        return time.monotonic() - self.accepted_at >= gap

    def set_accept_enabled(self, enabled: bool) -> None:
        # The loop asks to listen on every turn while it holds fewer connections than worker_connections and is
        # not listening: the gap is checked again each turn.
        super().set_accept_enabled(enabled and self._may_listen())

    def accept(self, listener: Any) -> None:
        self.accepted_at = time.monotonic()
        super().accept(listener)

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight += 1
        if self._accepting and not self._may_listen():
            super().set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)
