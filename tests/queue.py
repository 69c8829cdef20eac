"""Taking one test's own task out of the configured task queue (SqliteHuey, or RedisHuey in the Redis lane).

The queue is shared by every test of a run (and, with pytest-xdist, by the workers of the SQLite queue file), so
a test never counts or flushes it: it dequeues until it meets its own task and puts the others back."""

from __future__ import annotations

from typing import Any

from huey.contrib.djhuey import HUEY


def take_queued(task_type: Any, args: tuple[Any, ...]) -> Any | None:
    """Remove and return the first queued task of ``task_type`` (a huey task wrapper) with ``args``; None if none."""
    others: list[Any] = []
    found = None
    try:
        for _ in range(HUEY.pending_count()):
            task = HUEY.dequeue()
            if task is None:
                break
            if isinstance(task, task_type.task_class) and tuple(task.args) == args:
                found = task
                break
            others.append(task)
    finally:
        for task in others:
            HUEY.enqueue(task)
    return found
