"""A handler registered with the step dispatcher for one test, removed after it: it records what it is handed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from holdtrack.audit.models import Transition
from holdtrack.kernel import dispatch


@contextmanager
def heard(
    *, case_types: Iterable[str] | None = None, names: Iterable[str] | None = None
) -> Iterator[list[list[Transition]]]:
    """The batches handed to a handler registered last (so after every app's), for the block's duration."""
    calls: list[list[Transition]] = []

    def spy(transitions: Sequence[Transition]) -> None:
        calls.append(list(transitions))

    saved = list(dispatch._STEPS)
    dispatch.on_step(spy, case_types=case_types, names=names)
    try:
        yield calls
    finally:
        dispatch._STEPS[:] = saved
        dispatch._BY_KEY.clear()
