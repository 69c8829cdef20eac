"""First-stage candidates of the next chunk of a booking feed, retrieved on a second database connection while
the current chunk is written and scored.

A screened import alternates between Python (validating, writing, scoring) and PostgreSQL (candidate
retrieval); on a machine with two cores one of them idles at any moment. The registry does not change while a
feed is imported (bookings never add registry records), so the next chunk's candidates can be retrieved early
from what is committed, and a booking's candidates do not depend on the batch it is retrieved with. Only when the
import runs outside any caller's transaction: a second connection sees committed rows only, and a caller's open
transaction may hold registry rows it cannot see. Nothing here decides anything: ``services.screen_bookings``
retrieves itself whatever is not prefetched, so a missing or failed prefetch costs time, never a candidate.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection, connections

from holdtrack.screening import candidates as cand
from holdtrack.screening.fs_model import Rec
from holdtrack.screening.keys import Keys

log = logging.getLogger(__name__)

Candidates = dict[Keys, list[tuple[int, Rec]]]


def _retrieve(keys: list[Keys]) -> Candidates:
    return dict(zip(keys, cand.retrieve(keys), strict=True))


def _close_connections() -> None:
    connections.close_all()


class FirstStagePrefetch:
    """One worker thread (its own connection) retrieving chunks in the order they are submitted. Each chunk is
    tagged by its bookings' identities; ``take`` returns the candidates of the chunk holding a tag, dropping the
    chunks before it (a chunk with no new booking is never screened)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screening-prefetch")
        self._queue: deque[tuple[frozenset[Hashable], Future[Candidates]]] = deque()

    @staticmethod
    def usable() -> bool:
        return connection.vendor == "postgresql" and not connection.in_atomic_block

    def submit(self, tags: Sequence[Hashable], keys: list[Keys]) -> None:
        self._queue.append((frozenset(tags), self._pool.submit(_retrieve, keys)))

    def take(self, tag: Hashable) -> Candidates:
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
                # The chunk retrieves its candidates itself; the failure is the database's to report there.
                log.warning(
                    "candidate prefetch failed; the chunk is retrieved in the import's transaction", exc_info=True
                )
                return {}
        return {}

    def close(self) -> None:
        for _, future in self._queue:
            future.cancel()
        self._queue.clear()
        # The worker's connection is its thread's own: closed in that thread.
        self._pool.submit(_close_connections).result()
        self._pool.shutdown(wait=True)
