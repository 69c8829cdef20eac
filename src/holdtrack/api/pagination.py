"""Limit/offset pagination: ``{"count": n | null, "limit": l, "offset": o, "has_more": bool, "items": [...]}``.

Issue 12: a full ``COUNT(*)`` on every page cost as much as the page itself. A page fetches one row more than
it shows, which gives ``has_more``; ``count`` is the total when it comes free (the page reaches the end of the
list) or when the client asks for it with ``count=true``, and null otherwise (docs/api.md).

The page is built once: ``page``'s converters make the item schemas, and it returns an instance of the
endpoint's declared ``Page[Item]`` made without validating again, which django-ninja then dumps as it is (it
re-validates only a result that is not an instance of the declared response type). ``page_of_rows``, for the
busiest lists, makes plain values from the rows and writes the answer itself (``render.json_response``): the
same fields in the same order, without a schema object per item (ADR 0048).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from ninja import Field, Schema

from holdtrack.api.render import json_response
from holdtrack.core.rows import statement, value_rows

T = TypeVar("T")
MAX_LIMIT = 500


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10_000_000)
    count: bool = Field(False, description="also return the total number of items (one more query)")


class Page(Schema, Generic[T]):
    count: int | None = Field(
        description="total items: given on the last page, or on every page with count=true; null otherwise"
    )
    limit: int
    offset: int
    has_more: bool = Field(description="more items after this page (request offset + limit)")
    items: list[T]


def values_of(obj: Any, paths: dict[str, str]) -> dict[str, Any]:
    """An output schema's values read from a model instance, by the paths ``values()`` would take (``a__b`` is
    ``obj.a.b``; None when a relation on the way is empty), so that a list page can read the same paths as
    plain rows (``QuerySet.values``) without building model instances."""
    out: dict[str, Any] = {}
    for name, path in paths.items():
        value = obj
        for part in path.split("__"):
            value = getattr(value, part)
            if value is None:
                break
        out[name] = value
    return out


def page(qs: QuerySet[Any], params: PageParams, item: type[T], convert: Callable[[Any], T]) -> Page[T]:
    rows = list(qs[params.offset : params.offset + params.limit + 1])
    return _page(qs, params, item, convert, rows[: params.limit], has_more=len(rows) > params.limit)


@dataclass(frozen=True)
class Keys:
    """The list a page walks, as ``build(*values)`` in its order: a scope rule and the filters present named by
    ``key``, their ids and values apart, so that the keys' statement is compiled once per shape, whoever asks."""

    model: type[Model]
    key: tuple[Any, ...]
    build: Callable[..., QuerySet[Any]]
    values: tuple[int | str, ...]

    def queryset(self) -> QuerySet[Any]:
        return self.build(*self.values)


@dataclass(frozen=True)
class Rows:
    """Where a page's rows are read from: ``build(*scope)``, a scope rule with its ids apart (``key`` names the
    rule), so that the read is compiled once per rule, whoever asks (``core.rows.value_rows``)."""

    key: tuple[Any, ...]
    build: Callable[..., QuerySet[Any]]
    scope: tuple[int, ...] = ()


def _page_keys(walk: Keys | QuerySet[Any], params: PageParams) -> list[Any]:
    """The keys of the page and one more. A ``Keys`` walk is compiled once per shape (``core.rows.statement``),
    its limit and offset parameters of the statement rather than written into it, so one statement serves
    every page; PostgreSQL plans it as it plans the literal form (``EXPLAIN`` of the generic plan on the demo
    data: the same index scan or top-N sort). A queryset (a filter whose value cannot stand in, a datetime) is
    compiled every time."""
    if not isinstance(walk, Keys):
        return list(walk.values_list("pk", flat=True)[params.offset : params.offset + params.limit + 1])
    sql, args = statement(("api.page_keys", *walk.key), lambda *v: walk.build(*v).values_list("pk"), *walk.values)
    if not sql:  # a scope that can see nothing
        return []
    with connections[router.db_for_read(walk.model)].cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s OFFSET %s", [*args, params.limit + 1, params.offset])
        return [row[0] for row in cursor.fetchall()]


def page_of_rows(
    walk: Keys | QuerySet[Any],
    params: PageParams,
    columns: Iterable[str],
    convert: Callable[[dict[str, Any]], dict[str, Any]],
    rows_from: Rows,
) -> HttpResponse:
    """A page read in two steps: the keys of the page in ``walk``'s order (the scope and the order, nothing
    joined for display), then ``columns`` of those rows only, from ``rows_from``. In one statement PostgreSQL
    joined the shown relations to every row of the scope before sorting and keeping 51: the bookings page of an
    area of 4,434 bookings spent 14 ms there (issue 12, docs/benchmarks.md). ``rows_from`` may be narrower than
    ``walk`` when it pages by a faster key than the access rule (``custody.access.booking_keys_for_user``): a
    key outside it is left out of the page. ``convert`` makes an item's values, in its schema's field order.

    The rows' statement is compiled once per rule, columns and number of keys, rounded up to a power of two or
    the page's length (the rest of the list filled with keys no row has), so that a short last page does not
    compile another."""
    keys = _page_keys(walk, params)
    shown = keys[: params.limit]
    names = ("pk", *columns)
    by_key: dict[Any, dict[str, Any]] = {}
    if shown:
        # A full page keeps its own length: a default page's 50 keys stay within psycopg's cache of converted
        # statements (50 parameters), where 64 would have had the statement converted on every call.
        size = min(1 << (len(shown) - 1).bit_length(), params.limit)
        padded = [*shown, *range(-1, -(size - len(shown)) - 1, -1)]  # primary keys are positive
        scope = len(rows_from.scope)
        found = value_rows(
            ("api.page_rows", *rows_from.key, names, size),
            lambda *v: rows_from.build(*v[:scope]).filter(pk__in=v[scope:]).values(*names),
            *rows_from.scope,
            *padded,
        )
        by_key = {r["pk"]: r for r in found}
    rows = [by_key[k] for k in shown if k in by_key]  # a row deleted in between is left out
    has_more = len(keys) > params.limit

    def counted() -> int:  # what the rule lets show
        qs = walk.queryset() if isinstance(walk, Keys) else walk
        return rows_from.build(*rows_from.scope).filter(pk__in=qs.values("pk")).count()

    return json_response(
        {
            "count": _total(counted, params, len(rows), has_more),
            "limit": params.limit,
            "offset": params.offset,
            "has_more": has_more,
            "items": [convert(r) for r in rows],
        }
    )


def _total(count: Callable[[], int], params: PageParams, shown: int, has_more: bool) -> int | None:
    if params.count:
        return count()
    if not has_more and (shown or params.offset == 0):
        return params.offset + shown  # this page reaches the end: the total is known without counting
    return None


def _page(
    qs: QuerySet[Any],
    params: PageParams,
    item: type[T],
    convert: Callable[[Any], T],
    rows: list[Any],
    *,
    has_more: bool,
) -> Page[T]:
    items = [convert(r) for r in rows]
    return Page[item].model_construct(  # type: ignore[valid-type]
        count=_total(qs.count, params, len(rows), has_more),
        limit=params.limit,
        offset=params.offset,
        has_more=has_more,
        items=items,
    )
