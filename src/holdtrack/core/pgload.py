"""PostgreSQL connections: timestamps loaded by psycopg's C loader, and no statement prepared while migrating.

Django loads every ``timestamptz`` through a subclass of psycopg's *Python* loader, so that each value carries the
connection's zone (``psycopg_any.register_tzloader``): about 7 µs a value, and an API page of 50 detainers holds
about 300 of them — 0.8 of the page's 6 ms of Python CPU (issue 12, docs/benchmarks.md). This registers, on each new
connection, a loader that parses with psycopg's compiled loader and gives the value Django's zone only when it
differs (with ``USE_TZ`` and the connection's zone both UTC it never does): the same values.
Without psycopg's compiled module (``psycopg.pq.__impl__ == "python"``) nothing changes.

Statements are prepared on the server (``config.settings``, ADR 0043). A migration that changes a column's type
between two reads of its table would leave the first read's prepared statement returning the old type ("cached
plan must not change result type"), so ``migrate`` prepares nothing from ``pre_migrate`` to ``post_migrate``.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate

try:
    from psycopg._cmodule import _psycopg  # the compiled module psycopg itself uses; None without it
    from psycopg.adapt import Loader
except ImportError:  # SQLite only
    _psycopg = None  # type: ignore[assignment]
    Loader = object  # type: ignore[assignment,misc]


def compiled_loader() -> Any:
    """psycopg's compiled ``timestamptz`` text loader class, or None."""
    return getattr(_psycopg, "TimestamptzLoader", None)


class CompiledTzLoader(Loader):
    """Django's zone (``timezone``; set per connection, and read by Django to decide whether a cursor needs a
    loader of its own) on a value parsed by the compiled loader."""

    timezone: tzinfo | None = None

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._parse = compiled_loader()(oid, context).load

    def load(self, data: Any) -> datetime:
        value: datetime = self._parse(data)
        return value if value.tzinfo is self.timezone else value.replace(tzinfo=self.timezone)


def _register(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor != "postgresql" or compiled_loader() is None:
        return
    loader = type("ConnectionTzLoader", (CompiledTzLoader,), {"timezone": connection.timezone})
    connection.connection.adapters.register_loader("timestamptz", loader)


def _migrating(sender: Any, using: str = "default", **kwargs: Any) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        connection.connection.prepare_threshold = None


def _migrated(sender: Any, using: str = "default", **kwargs: Any) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql" and connection.connection is not None:
        connection.connection.prepare_threshold = connection.settings_dict["OPTIONS"].get("prepare_threshold")


def install() -> None:
    connection_created.connect(_register, dispatch_uid="holdtrack.core.pgload")
    pre_migrate.connect(_migrating, dispatch_uid="holdtrack.core.pgload.pre_migrate")
    post_migrate.connect(_migrated, dispatch_uid="holdtrack.core.pgload.post_migrate")
