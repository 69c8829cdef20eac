"""The database connection's settings (``config.settings``): on PostgreSQL a statement a connection runs again is
prepared on the server, so PostgreSQL stops parsing and planning it on every request (docs/benchmarks.md)."""

from __future__ import annotations

import pytest
from django.db import connection

from holdtrack.jurisdictions.models import Facility

pytestmark = pytest.mark.django_db


def _prepared() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cur.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no server-side prepared statements")
def test_a_repeated_read_is_prepared_on_the_server():
    before = {s for s in _prepared() if "jurisdictions_facility" in s}
    for code in ("A-1", "B-2", "C-3"):  # one statement text, three values: bound on the server, not in the text
        assert Facility.objects.filter(code=code).first() is None
    new = {s for s in _prepared() if "jurisdictions_facility" in s} - before
    assert len(new) == 1 and "$1" in next(iter(new))
