"""Helpers of the audit-chain tests: a small history, and tampering as the database owner would do it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from holdtrack.audit.chain import audit_chain
from holdtrack.audit.services import audit_record, transition_record
from tests.factories import T0


@contextlib.contextmanager
def owner() -> Iterator[Any]:
    """A cursor of the database owner with the append-only triggers out of the way.

    PostgreSQL: a superuser switches triggers off for the transaction (``session_replication_role = replica``),
    exactly what someone with the database in hand can do. SQLite has no such triggers (the model guards and
    the chain protect it), so raw SQL goes straight through."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = replica")
        try:
            yield cur
        finally:
            if connection.vendor == "postgresql":
                cur.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def history(db) -> list[tuple[str, int]]:
    """12 events and 6 transitions of two cases, chained; returns (table, id) in chain order."""
    for i in range(12):
        audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=i % 3, data={"n": i})
        if i % 2 == 0:
            transition_record(
                case_type="detainer",
                case_id=1 + i % 4 // 2,
                name="note",
                source="DRAFT",
                target="DRAFT",
                actor=None,
                at=T0 + timedelta(minutes=i),
                data={"n": i},
            )
    assert audit_chain() == 18
    return chain_order()


def chain_order() -> list[tuple[str, int]]:
    from holdtrack.audit.models import AuditEvent, Transition

    rows = [
        ("event", s, i) for s, i in AuditEvent.objects.filter(chain_seq__isnull=False).values_list("chain_seq", "id")
    ]
    rows += [
        ("transition", s, i)
        for s, i in Transition.objects.filter(chain_seq__isnull=False).values_list("chain_seq", "id")
    ]
    return [(t, i) for t, _s, i in sorted(rows, key=lambda r: r[1])]


TABLE = {"event": "audit_auditevent", "transition": "audit_transition"}


def raw(cur: Any, sql: str, table: str, params: list[Any] | None = None) -> None:
    """Run ``sql`` with ``{t}`` the table of ``table`` ("event" / "transition"; a fixed name, never input)."""
    cur.execute(sql.format(t=TABLE[table]), params or [])
