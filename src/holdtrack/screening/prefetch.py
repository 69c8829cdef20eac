"""The next chunk of a booking feed screened in a second process while the current chunk is written and its
proposals stored.

A screened import spends its time in Python (validating, writing, scoring) and in PostgreSQL; in one process the
interpreter runs one thread at a time, so on a machine with two cores a second thread only overlaps the waits
(measured: a thread deciding the next chunk made the import slower, docs/benchmarks.md). A second process, forked
when the import starts, scores on the other core. The registry does not change while a feed is imported
(bookings never add registry records), and what ``stages.decide`` proposes for a booked record depends on the
record and the registry only, so the next chunk's decisions can be made early from what is committed, before its
bookings exist. Only when the import runs outside any caller's transaction: another connection sees committed
rows only, and a caller's open transaction may hold registry rows it cannot see.

Nothing is stored or authorized in the worker: ``services.screen_bookings`` stores the decisions under the
feed's actor and decides afresh any booking whose decision is missing or came from another model version; so a
missing or failed prefetch costs time, never a proposal.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Hashable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor

from django.db import connection, connections

from holdtrack.screening.stages import Booked, Decision, active_model, decide

log = logging.getLogger(__name__)


def _follow_parent(parent: int) -> None:
    """The worker ends when the importer ends, even killed (a pool's worker waits for tasks on a pipe whose other
    end it inherited, so it would never see the importer go, and would keep its database connection open)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, name="screening-worker-parent", daemon=True).start()


def _ready() -> bool:
    return True


def _decide(tags: Sequence[Hashable], booked: list[Booked]) -> dict[Hashable, Decision]:
    # The model active now: screen_bookings decides afresh if another one is active when the chunk is stored.
    return dict(zip(tags, decide(booked, active_model()), strict=True))


def _close_connections() -> None:
    connections.close_all()


class ChunkPrefetch:
    """One worker process (its own connection) deciding chunks in the order they are submitted. Each chunk's
    records are tagged by their bookings' identities; ``take`` returns the decisions of the chunk holding a tag,
    dropping the chunks before it (a chunk with no new booking is never screened)."""

    def __init__(self, executor: Executor | None = None) -> None:
        if executor is None:
            # The worker is forked: it starts at once, with this process's Django, settings and the stages' settings
            # as a benchmark or a test set them. It must not share a database connection with this process, so this
            # process closes its own first (outside any transaction: ``usable``); each then opens its own.
            connections.close_all()
            executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_follow_parent,
                initargs=(os.getpid(),),
            )
        self._pool = executor
        # Fork the worker now, while this process holds no connection (a pool forks on its first task).
        self._pool.submit(_ready)
        self._queue: deque[tuple[frozenset[Hashable], Future[dict[Hashable, Decision]]]] = deque()

    @staticmethod
    def usable() -> bool:
        return connection.vendor == "postgresql" and not connection.in_atomic_block

    def submit(self, tags: Sequence[Hashable], booked: list[Booked]) -> None:
        try:
            self._queue.append((frozenset(tags), self._pool.submit(_decide, list(tags), booked)))
        except Exception:  # a broken worker: the chunk is decided in the import's transaction
            log.warning("screening prefetch unavailable; chunks are screened in the import's process", exc_info=True)

    def take(self, tag: Hashable) -> dict[Hashable, Decision]:
        if not any(tag in tags for tags, _ in self._queue):
            return {}
        while self._queue:
            tags, future = self._queue.popleft()
            if tag not in tags:
                future.cancel()
                continue
            try:
                return future.result()
            except Exception:
                # The chunk is decided in the import's transaction; the failure is the database's to report there.
                log.warning("screening prefetch failed; the chunk is screened in the import's process", exc_info=True)
                return {}
        return {}

    def close(self) -> None:
        for _, future in self._queue:
            future.cancel()
        self._queue.clear()
        try:
            self._pool.submit(_close_connections).result()
        except Exception:  # a worker that died has no connection left to close
            log.warning("screening prefetch worker could not close its connection", exc_info=True)
        self._pool.shutdown(wait=True)
