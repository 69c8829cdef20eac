"""``insert_row`` and ``update_row``: one row written by a statement whose SQL is built once per model, database
(and, for an UPDATE, set of columns).

Every lifecycle step appends a transition, an audit event and a report outbox row. Django builds each INSERT
anew (field by field, quoting and placeholders), which cost about twenty times the insert itself on the embedded
database (ADR 0031). This writes the same row: the same columns, each value prepared by its field as the ORM
prepares it (``pre_save``, then ``get_db_prep_save``), in the caller's transaction, with the same ``pre_save`` and
``post_save`` signals, so a receiver sees no difference (what follows a step is not a receiver but a handler of
``kernel.dispatch``, called by ``audit.services``).

Only for models of one table with an auto-incremented primary key; a value that is an expression (a database
default left to the database, ``F()``) falls back to ``Model.save``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections, models, router
from django.db.models.expressions import Col
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=models.Model)

# (model, database alias) -> (INSERT statement, its fields in column order, whether it returns the new key)
_STATEMENTS: dict[tuple[type[models.Model], str], tuple[str, list[Any], bool]] = {}


def _statement(model: type[models.Model], alias: str) -> tuple[str, list[Any], bool]:
    key = (model, alias)
    if key not in _STATEMENTS:
        meta = model._meta
        if meta.parents or not isinstance(meta.pk, models.AutoField):
            raise TypeError(f"insert_row: {model.__name__} is not one table with an auto-incremented key.")
        connection = connections[alias]
        qn = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key and not getattr(f, "generated", False)]
        columns = ", ".join(qn(str(f.column)) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 - quoted model names
        returning = bool(connection.features.can_return_columns_from_insert)
        if returning:
            sql += f" RETURNING {qn(str(meta.pk.column))}"
        _STATEMENTS[key] = (sql, fields, returning)
    return _STATEMENTS[key]


def insert_row(obj: M) -> M:
    """Insert the unsaved ``obj`` and give it its key, as ``obj.save()`` would for a new row."""
    model = type(obj)
    if not obj._state.adding or obj.pk is not None:
        raise ValueError("insert_row inserts new rows only.")
    alias = router.db_for_write(model, instance=obj)
    sql, fields, returning = _statement(model, alias)
    if any(hasattr(getattr(obj, f.attname), "resolve_expression") for f in fields):
        obj.save(using=alias)  # an expression: the ORM compiles it (and sends the signals)
        return obj
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]  # as save()
    connection = connections[alias]
    pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=None)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if returning:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(cursor, model._meta.db_table, str(model._meta.pk.column))
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = alias
    post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=alias)
    return obj


# (model, database alias, columns) -> (UPDATE statement, its fields in column order)
_UPDATES: dict[tuple[type[models.Model], str, tuple[str, ...]], tuple[str, list[Any]]] = {}


def update_row(obj: models.Model, update_fields: list[str]) -> None:
    """``obj.save(update_fields=…)`` for an existing row of one table: the same values (each field's
    ``pre_save`` and ``get_db_prep_save``), the same signals, and the same error when no row was updated."""
    model = type(obj)
    alias = obj._state.db or router.db_for_write(model, instance=obj)
    key = (model, alias, tuple(update_fields))
    if key not in _UPDATES:
        meta = model._meta
        if meta.parents or meta.pk is None:
            raise TypeError(f"update_row: {model.__name__} is not one table.")
        fields: list[Any] = [meta.get_field(name) for name in update_fields]
        if any(not f.concrete or f.primary_key or getattr(f, "generated", False) for f in fields):
            raise ValueError(f"update_row: {update_fields} are not plain columns of {model.__name__}.")
        qn = connections[alias].ops.quote_name
        sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        where = qn(str(meta.pk.column))
        _UPDATES[key] = (f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {where} = %s", fields)  # noqa: S608 - quoted names
    sql, fields = _UPDATES[key]
    if not fields:
        return  # save(update_fields=[]) writes nothing and sends nothing
    if type(obj).save is not models.Model.save or any(
        hasattr(getattr(obj, f.attname), "resolve_expression") for f in fields
    ):
        obj.save(update_fields=update_fields)  # the model's own save, or an expression: the ORM's path
        return
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    connection = connections[alias]
    frozen = frozenset(update_fields)
    pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=frozen)
    values = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
    pk_field: Any = model._meta.pk
    pk = pk_field.get_db_prep_value(obj.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, pk])
        updated = cursor.rowcount
    if updated == 0:
        raise DatabaseError("Save with update_fields did not affect any rows.")
    post_save.send(sender=model, instance=obj, created=False, update_fields=frozen, raw=False, using=alias)


@dataclass(frozen=True)
class _Select:
    sql: str
    converters: list[tuple[int, list[Any], Any]]  # (position, the ORM's converters, column) of the row's values
    start: int
    end: int
    init_list: list[str]
    populators: list[Any]


_SELECTS: dict[tuple[type[models.Model], tuple[str, ...], str], _Select | None] = {}
_SENTINEL = -7_000_000_001  # the key compiled into the statement, replaced by the one asked for


def _select(model: type[models.Model], related: tuple[str, ...], alias: str) -> _Select | None:
    """Compile ``select_for_update(of=self).select_related(*related).filter(pk=…)`` once, as the ORM would for
    ``get``, and keep what the ORM's model iterable keeps to build the objects from a row."""
    key = (model, related, alias)
    if key not in _SELECTS:
        qs = _orm_query(model, related).using(alias)
        compiler = qs.filter(pk=_SENTINEL).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        prepared = None
        if list(params) == [_SENTINEL] and compiler.klass_info is not None and not compiler.annotation_col_map:
            prepared = _kept(compiler, sql, alias)
        _SELECTS[key] = prepared  # None: the ORM's own path every time
    return _SELECTS[key]


_STD_JSON = models.JSONField()


def _json_value(value: Any, expression: Any, connection: Any) -> Any:
    """A JSON column's value as ``JSONField.from_db_value`` gives it (no decoder, a whole column), parsed by
    orjson: the standard library's parser was a sixth of an API page of 50 detainers' Python (one list per row).
    What orjson refuses (an integer beyond 64 bits, which jsonb can hold) goes to the standard library's."""
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return _STD_JSON.from_db_value(value, expression, connection)


def _converters(compiler: Any, select: Any) -> list[tuple[int, list[Any], Any]]:
    """The ORM's converters of ``select``'s columns, a JSON column's (without a decoder of its own) by orjson."""
    out = []
    for pos, (convs, col) in compiler.get_converters([c for c, _, _ in select]).items():
        field = getattr(col, "target", None)
        fast = isinstance(col, Col) and isinstance(field, models.JSONField) and field.decoder is None
        out.append((pos, [_json_value if fast and _is_json(c) else c for c in convs], col))
    return out


def _is_json(convert: Any) -> bool:
    return getattr(convert, "__func__", None) is models.JSONField.from_db_value


def _kept(compiler: Any, sql: str, alias: str) -> _Select:
    """What the ORM's model iterable keeps to build objects from a row of ``compiler``'s statement."""
    select, info = compiler.select, compiler.klass_info
    start, end = info["select_fields"][0], info["select_fields"][-1] + 1
    return _Select(
        sql=sql,
        converters=_converters(compiler, select),
        start=start,
        end=end,
        init_list=[col.target.attname for col, _, _ in select[start:end]],
        populators=get_related_populators(info, select, alias),  # type: ignore[call-arg]
    )


def _orm_query(model: type[M], related: tuple[str, ...]) -> models.QuerySet[M]:
    manager = model._default_manager
    if not related:
        return manager.select_for_update()
    return manager.select_for_update(of=("self",)).select_related(*related)


def select_for_update_by_pk(model: type[M], pk: Any, related: tuple[str, ...] = ()) -> M:
    """``model.objects.select_for_update(of=("self",)).select_related(*related).get(pk=pk)`` (``of`` only with
    ``related``) with the statement compiled once per model, relations and database: the same SQL, lock and
    objects, built by the ORM's own converters and related populators (ADR 0031)."""
    alias = router.db_for_write(model)  # as select_for_update: a query for writing
    prepared = _select(model, related, alias)
    if prepared is None:
        return _orm_query(model, related).get(pk=pk)
    connection = connections[alias]
    if connection.get_autocommit() and connection.features.supports_transactions:
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    field = model._meta.pk
    assert field is not None
    value = field.get_db_prep_value(field.get_prep_value(pk), connection, prepared=True)
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, [value])
        rows = cursor.fetchmany(2)
    if not rows:
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")  # type: ignore[attr-defined]
    if len(rows) > 1:
        raise model.MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}.")  # type: ignore[attr-defined]
    return _build(model, prepared, list(rows[0]), alias)


def _convert(row: list[Any], converters: Any, connection: Any) -> list[Any]:
    """``row`` with each value converted as ``SQLCompiler.apply_converters`` does, with this thread's connection."""
    for pos, convs, col in converters:
        value = row[pos]
        for convert in convs:
            value = convert(value, col, connection)
        row[pos] = value
    return row


def _build(model: type[M], prepared: _Select, row: list[Any], alias: str) -> M:
    """The object (and its related objects) of one row of a statement ``_select`` or ``_read`` compiled."""
    _convert(row, prepared.converters, connections[alias])
    obj = model.from_db(alias, prepared.init_list, row[prepared.start : prepared.end])
    for populator in prepared.populators:
        populator.populate(row, obj)
    return obj


@dataclass(frozen=True)
class _Read:
    model: type[models.Model]
    select: _Select
    params: tuple[Any, ...]  # the compiled parameters, a value's slot holding its sentinel
    slots: tuple[tuple[int, int], ...]  # (parameter position, index of the value it takes)


_READS: dict[tuple[Any, ...], _Read | None] = {}


def _sentinel(i: int, value: Any) -> Any:
    # A value no caller passes, of the value's own type, so that the field prepares it unchanged; an int within a
    # 32-bit column's range, since Django answers a lookup beyond an IntegerField's range with no query at all
    # (the device models of django-otp have such keys: their read was compiled on every page).
    return -2_000_000_101 - i if isinstance(value, int) else f"\x1fholdtrack-read-{i}\x1f"


def _read(key: tuple[Any, ...], build: Any, values: tuple[Any, ...], *, one: bool) -> _Read | None:
    if key not in _READS:
        sentinels = tuple(_sentinel(i, v) for i, v in enumerate(values))
        qs = build(*sentinels)
        if one:
            qs = qs.order_by()[:1]
        alias = router.db_for_read(qs.model)
        compiled: _Read | None = None
        try:
            compiler = qs.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a scope that can see nothing: the ORM answers without a query
            sql, params = "", ()
        slots = tuple((pos, sentinels.index(p)) for pos, p in enumerate(params) if p in sentinels)
        if (
            sql
            and {i for _, i in slots} == set(range(len(values)))
            and compiler.klass_info is not None
            and not compiler.annotation_col_map
        ):
            compiled = _Read(model=qs.model, select=_kept(compiler, sql, alias), params=tuple(params), slots=slots)
        _READS[key] = compiled  # None: the ORM's own path every time
    return _READS[key]


def read_one(key: tuple[Any, ...], build: Callable[..., models.QuerySet[M]], *values: int | str) -> M | None:
    """``one_or_none(build(*values))`` with the statement compiled once per ``key``: the first call builds the
    query with a stand-in for each value, and later calls run the same SQL with their values in those places,
    building the objects with the ORM's own converters and related populators. Compiling a read of a detainer
    with its relations and scope cost more than running it (ADR 0037).

    ``key`` names the query's shape: the same key must always build the same query but for ``values`` (a scope
    branch or a set of relations is part of the key, a scope's id or a primary key a value). A value of None,
    a query the ORM answers without SQL (``none()``), or a shape whose values do not all reach the parameters
    takes the ORM's path."""
    if any(v is None for v in values):
        return one_or_none(build(*values))
    compiled = _read(("one", *key, *(type(v) for v in values)), build, values, one=True)
    if compiled is None:
        return one_or_none(build(*values))
    rows = _run(compiled, values)
    return cast("M", rows[0]) if rows else None


def read_all(key: tuple[Any, ...], build: Callable[..., models.QuerySet[M]], *values: int | str) -> list[M]:
    """``list(build(*values))`` with the statement compiled once per ``key``, as ``read_one`` (the query keeps
    its own ordering)."""
    if any(v is None for v in values):
        return list(build(*values))
    compiled = _read(("all", *key, *(type(v) for v in values)), build, values, one=False)
    if compiled is None:
        return list(build(*values))
    return cast("list[M]", _run(compiled, values))


def _run(compiled: _Read, values: tuple[Any, ...]) -> list[models.Model]:
    params = list(compiled.params)
    for pos, i in compiled.slots:
        params[pos] = values[i]
    alias = router.db_for_read(compiled.model)
    with connections[alias].cursor() as cursor:
        cursor.execute(compiled.select.sql, params)
        rows = cursor.fetchall()
    return [_build(compiled.model, compiled.select, list(row), alias) for row in rows]


# ------------------------------------------------------------------------------- reads through a stand-in


@dataclass(frozen=True)
class _Scoped:
    model: type[models.Model]
    sql: str  # "" when the ORM answers without SQL (``none()``)
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]
    select: _Select | None  # how to build objects from a row; None for a statement read as values
    names: tuple[str, ...] = ()  # a ``values()`` query's keys, in column order
    converters: tuple[tuple[int, list[Any], Any], ...] = ()  # and its columns' converters, as in _Select


_SCOPED: dict[tuple[Any, ...], _Scoped | None] = {}


class _Queried(Exception):
    """A query ran while a statement was being built: its result would be frozen into the compiled SQL."""


def _no_queries(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    raise _Queried(sql)


def _compile(qs: models.QuerySet[Any], alias: str) -> tuple[Any, str, tuple[Any, ...]]:
    compiler = qs.query.get_compiler(using=alias)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return compiler, "", ()
    return compiler, sql, tuple(params)


def _scoped(
    key: tuple[Any, ...], build: Callable[..., models.QuerySet[Any]], values: tuple[Any, ...]
) -> _Scoped | None:
    if key in _SCOPED:
        return _SCOPED[key]
    sentinels = tuple(_sentinel(i, v) for i, v in enumerate(values))
    compiled: _Scoped | None = None
    real = build(*values)
    alias = router.db_for_read(real.model)
    try:
        with connections[alias].execute_wrapper(_no_queries):
            stand_in = build(*sentinels)
            compiler, sql, params = _compile(stand_in, alias)
            _, real_sql, real_params = _compile(real, alias)
    except _Queried:
        real_sql = None  # building the query read the database: compile it every time
    if real_sql is not None:
        slots = tuple((pos, sentinels.index(p)) for pos, p in enumerate(params) if p in sentinels)
        bound = list(params)
        for pos, i in slots:
            bound[pos] = values[i]
        # The same statement for the values asked as for their stand-ins, or the shape depends on more than the key.
        if sql == real_sql and tuple(bound) == real_params:
            select: _Select | None = None
            names: tuple[str, ...] = ()
            converters: tuple[tuple[int, list[Any], Any], ...] = ()
            if sql and compiler.klass_info is not None and not compiler.annotation_col_map:
                select = _kept(compiler, sql, alias)
            elif sql and stand_in.query.values_select and not stand_in.query.annotation_select:
                q = stand_in.query
                names = (*q.extra_select, *q.values_select)
                converters = tuple(_converters(compiler, compiler.select))
            compiled = _Scoped(stand_in.model, sql, params, slots, select, names, converters)
    _SCOPED[key] = compiled
    return compiled


def _bind(compiled: _Scoped, values: tuple[Any, ...]) -> list[Any]:
    params = list(compiled.params)
    for pos, i in compiled.slots:
        params[pos] = values[i]
    return params


def statement(
    key: tuple[Any, ...], build: Callable[..., models.QuerySet[Any]], *values: int | str
) -> tuple[str, list[Any]]:
    """The SQL and parameters of ``build(*values)``, compiled once per ``key``; ``("", [])`` when the ORM would
    answer without a query (``none()``). For a statement the caller wraps (a count) or reads as values.

    Unlike ``read_one``, a value need not reach the parameters (a scope's ids, of which one query uses one),
    so ``build`` must take its values from a stand-in it is given, and the key must name everything else the
    query depends on. Two checks keep a wrong key from running another shape: the first call also compiles
    ``build`` with the real values and keeps the statement only if both agree once the values are put in; and a
    ``build`` that reads the database while building (its result would be frozen in) is compiled every time."""
    compiled = _scoped(("sql", *key), build, values)
    if compiled is None:
        qs = build(*values)
        _, sql, params = _compile(qs, router.db_for_read(qs.model))
        return sql, list(params)
    return compiled.sql, _bind(compiled, values)


def rows(key: tuple[Any, ...], build: Callable[..., models.QuerySet[M]], *values: int) -> list[M]:
    """``list(build(*values))`` compiled once per ``key``, on the terms of ``statement``; the objects built by the
    ORM's own converters and related populators, as ``read_all``."""
    compiled = _scoped(("rows", *key), build, values)
    if compiled is None or compiled.select is None:
        return list(build(*values))
    alias = router.db_for_read(compiled.model)
    with connections[alias].cursor() as cursor:
        cursor.execute(compiled.sql, _bind(compiled, values))
        found = cursor.fetchall()
    return [cast("M", _build(compiled.model, compiled.select, list(row), alias)) for row in found]


def value_rows(key: tuple[Any, ...], build: Callable[..., models.QuerySet[Any]], *values: int) -> list[dict[str, Any]]:
    """``list(build(*values))`` for a ``values(…)`` query, compiled once per ``key`` on the terms of
    ``statement``; each value converted by the ORM's own converters. Compiling the rows of a page of 50
    detainers (three relations joined) cost more than running it (ADR 0048)."""
    compiled = _scoped(("values", *key), build, values)
    if compiled is None or not compiled.names:
        return list(build(*values))
    alias = router.db_for_read(compiled.model)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, _bind(compiled, values))
        found = cursor.fetchall()
    return [
        dict(zip(compiled.names, _convert(list(row), compiled.converters, connection), strict=True)) for row in found
    ]


def one_or_none(qs: models.QuerySet[M]) -> M | None:
    """The row of a lookup by a unique key, or None: ``first()`` without its ``ORDER BY pk``, whose compiling cost
    about a fifth of an API read (a unique key has one row to order)."""
    rows = list(qs.order_by()[:1])
    return rows[0] if rows else None


__all__ = [
    "insert_row",
    "one_or_none",
    "read_all",
    "read_one",
    "rows",
    "select_for_update_by_pk",
    "statement",
    "update_row",
]
