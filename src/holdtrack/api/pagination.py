"""Limit/offset pagination with the total count: ``{"count": n, "limit": l, "offset": o, "items": [...]}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Field, Schema

T = TypeVar("T")
MAX_LIMIT = 500


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10_000_000)


class Page(Schema, Generic[T]):
    count: int
    limit: int
    offset: int
    items: list[T]


def page(qs: QuerySet[Any], params: PageParams, convert: Callable[[Any], T]) -> dict[str, Any]:
    rows = qs[params.offset : params.offset + params.limit]
    return {"count": qs.count(), "limit": params.limit, "offset": params.offset, "items": [convert(r) for r in rows]}
