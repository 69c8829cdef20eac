"""Answers a page asks more than once while it is built, computed once for that page (issue 12).

A case page asks every action's service whether it would refuse (``desks.actions``): several actions ask about
the same booking's parties or the same person's open claim, each a query. Inside ``one_page()`` the first answer
is kept for the rest of the page; outside it (a service acting, under its lock) every call computes afresh. Only
reads go through ``once``, and the scope ends with the page, so nothing outlives the request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_PAGE: ContextVar[dict[Hashable, Any] | None] = ContextVar("holdtrack_page_memo", default=None)


@contextmanager
def one_page() -> Iterator[None]:
    """Keep the answers of ``once`` until the block ends (a nested block keeps the outer one's)."""
    if _PAGE.get() is not None:
        yield
        return
    token = _PAGE.set({})
    try:
        yield
    finally:
        _PAGE.reset(token)


def once(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, asked once per ``key`` inside ``one_page()``; every time outside it."""
    memo = _PAGE.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


__all__ = ["once", "one_page"]
