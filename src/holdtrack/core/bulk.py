"""Set-based writes: many rows in one statement stream, for the bulk paths (booking feeds, registry imports and
builds, screening proposals, transitions written set-based).

``COPY … FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite, values sent as they are: Django's per-value
preparation in ``bulk_create`` was the cost of these paths (ADR 0011; quoting the JSON explanations of screening
proposals dominated theirs). Values must already be what the column stores (a JSON column takes a Python value,
dumped here; dates and datetimes are adapted on SQLite); no ``save`` runs and no signal is sent.

- ``copy_into(table, columns, rows)``: any table, column names as they are (a temporary table of values);
- ``write_rows(model, columns, rows)``: a model's table, by attribute names, explicit ids allowed;
- ``insert_rows(model, rows, ids=…)``: rows given as dicts of attribute names, the ``auto_now_add`` columns
  stamped, optionally with new ids from the table's own sequence (returned);
- ``bulk_insert(model, objs)``: model instances, given their ids as ``bulk_create`` would;
- ``reserve_ids(model, count)``: fresh keys from the table's own sequence, so nothing needs ``setval`` afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import DateField, DateTimeField, JSONField, Model

from holdtrack.core.timeutil import now

M = TypeVar("M", bound=Model)

# Below this many rows, returning ids costs less through one INSERT … RETURNING (bulk_create) than through a
# sequence query and a COPY (a single booking screened from the API).
SMALL = 64


def _connection(model: type[Model] | None = None) -> Any:
    return connections[router.db_for_write(model) if model is not None else "default"]


def copy_into(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, connection: Any = None) -> None:
    """Append ``rows`` (values in ``columns`` order, ready for the database) to ``table``: COPY on PostgreSQL,
    executemany on SQLite. Names are quoted here."""
    connection = connection or _connection()
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper; COPY has no DB-API form
            with raw.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("%s" for _ in columns)
            sql = f"INSERT INTO {qn(table)} ({names}) VALUES ({marks})"  # noqa: S608 - quoted names
            cursor.executemany(sql, list(rows))


def _adapters(model: type[Model], columns: Sequence[str], connection: Any) -> list[Callable[[Any], Any] | None]:
    """Per column, how a Python value becomes a database value (None: as it is)."""
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    sqlite = connection.vendor == "sqlite"
    out: list[Callable[[Any], Any] | None] = []
    for name in columns:
        f = by_name[name]
        if isinstance(f, JSONField):
            out.append(lambda v: None if v is None else json.dumps(v, default=str))
        elif sqlite and isinstance(f, DateTimeField):
            out.append(connection.ops.adapt_datetimefield_value)
        elif sqlite and isinstance(f, DateField):
            out.append(connection.ops.adapt_datefield_value)
        else:
            out.append(None)
    return out


def write_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Append raw rows to ``model``'s table, ``columns`` being attribute names (explicit ids allowed)."""
    connection = _connection(model)
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    adapt = _adapters(model, columns, connection)
    values = ([v if a is None else a(v) for v, a in zip(row, adapt, strict=True)] for row in rows)
    copy_into(str(model._meta.db_table), [str(by_name[c].column) for c in columns], values, connection=connection)


def _stamped(model: type[Model]) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
    ]


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's own sequence, so rows written with explicit ids leave the
    sequence right (nothing to ``setval`` afterwards)."""
    if count <= 0:
        return []
    meta = model._meta
    assert meta.pk is not None
    connection = _connection(model)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            return [int(pk) for (pk,) in cursor.fetchall()]
        # SQLite: transactions begin IMMEDIATE (settings), so this transaction is the only writer.
        table = connection.ops.quote_name(str(meta.db_table))
        pk = connection.ops.quote_name(str(meta.pk.column))
        seq = "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)"
        sql = f"SELECT MAX({seq}, COALESCE((SELECT MAX({pk}) FROM {table}), 0))"  # noqa: S608 - model meta
        cursor.execute(sql, [meta.db_table])
        last = int(cursor.fetchone()[0])
        return list(range(last + 1, last + 1 + count))


def insert_rows(model: type[Model], rows: Sequence[Mapping[str, Any]], *, ids: bool = False) -> list[int]:
    """Append rows (dicts of attribute names, all with the same keys); the ``auto_now_add`` columns are stamped
    now. With ``ids``, the rows get new keys, returned in order (a few rows go through one INSERT … RETURNING,
    more by reserved keys and COPY); without, nothing is returned."""
    if not rows:
        return []
    if ids and (len(rows) < SMALL or _connection(model).vendor != "postgresql"):
        made = model._default_manager.bulk_create([model(**r) for r in rows], batch_size=2000)  # stamps auto_now_add
        return [int(o.pk) for o in made]
    columns = list(rows[0])
    stamped = [name for name in _stamped(model) if name not in rows[0]]
    stamp = [now()] * len(stamped)
    if not ids:
        write_rows(model, columns + stamped, ([*row.values(), *stamp] for row in rows))
        return []
    keys = reserve_ids(model, len(rows))
    pk = str(model._meta.pk.attname) if model._meta.pk is not None else "id"
    write_rows(
        model, [pk, *columns, *stamped], ([key, *row.values(), *stamp] for key, row in zip(keys, rows, strict=True))
    )
    return keys


def bulk_insert(model: type[Model], objs: list[M]) -> list[M]:
    """Insert model instances set-based and give them their ids, as ``bulk_create`` does (ids reserved first)."""
    if not objs:
        return objs
    stamp = now()
    for name in _stamped(model):
        for obj in objs:
            setattr(obj, name, stamp)
    for obj, pk in zip(objs, reserve_ids(model, len(objs)), strict=True):
        obj.pk = pk
        obj._state.adding = False
    names = [f.attname for f in model._meta.concrete_fields]
    write_rows(model, names, ([getattr(obj, n) for n in names] for obj in objs))
    return objs


__all__ = ["SMALL", "bulk_insert", "copy_into", "insert_rows", "reserve_ids", "write_rows"]
