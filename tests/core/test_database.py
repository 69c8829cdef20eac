"""PostgreSQL connections (``config.settings``, ``core.pgload``, ADRs 0043, 0044): a statement a connection runs
again is prepared on the server, except while migrating; timestamps are loaded by psycopg's compiled loader with the
same values and zones as Django's own loader; the planner prices a random page read for data held in memory."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from holdtrack.audit.models import Transition
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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders are PostgreSQL's")
def test_timestamps_are_loaded_by_the_compiled_loader_with_djangos_zone():
    from psycopg import pq
    from psycopg.postgres import types

    from holdtrack.core.pgload import CompiledTzLoader, compiled_loader

    if compiled_loader() is None:
        pytest.skip("psycopg without its compiled module")
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(types["timestamptz"].oid, pq.Format.TEXT)
    assert issubclass(loader, CompiledTzLoader) and loader.timezone is connection.timezone
    with connection.cursor() as cur:  # a value in another zone, a fraction of a second, and a NULL
        cur.execute("SELECT '2020-01-01 10:00:00.25-05'::timestamptz, NULL::timestamptz")
        value, missing = cur.fetchone()
    assert value == datetime(2020, 1, 1, 15, 0, 0, 250000, tzinfo=UTC) and value.tzinfo is connection.timezone
    assert missing is None
    at = datetime(2026, 3, 8, 8, 30, 0, 123456, tzinfo=ZoneInfo("America/Chicago"))  # the day clocks move
    made = Transition.objects.create(
        case_type="detainer", case_id=1, seq=1, at=at, name="prepare", source="", target="PREPARED", actor_role="",
        channel="SIMULATOR", reason="", data={},
    )  # fmt: skip
    read = Transition.objects.values_list("at", flat=True).get(pk=made.pk)
    assert read == at and read.tzinfo is connection.timezone


def test_the_same_values_as_djangos_loader_in_any_zone():
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    from holdtrack.core.pgload import CompiledTzLoader, compiled_loader

    if connection.vendor != "postgresql" or compiled_loader() is None:
        pytest.skip("psycopg's compiled loader on PostgreSQL")
    from psycopg.postgres import types

    connection.ensure_connection()
    oid = types["timestamptz"].oid
    for zone in (UTC, ZoneInfo("America/Chicago"), None):
        ours = type("Ours", (CompiledTzLoader,), {"timezone": zone})(oid, connection.connection)
        djangos = type("Djangos", (BaseTzLoader,), {"timezone": zone})(oid, connection.connection)
        for text in (b"2020-01-01 10:00:00-05", b"2026-03-08 02:30:00.5+00", b"1999-12-31 23:59:59.999999+00"):
            mine, theirs = ours.load(text), djangos.load(text)
            assert (mine, mine.tzinfo) == (theirs, theirs.tzinfo), (zone, text)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no server-side prepared statements")
def test_migrate_prepares_nothing_then_preparing_resumes():
    from django.core.management import call_command
    from django.db.models.signals import pre_migrate

    seen: list[int | None] = []

    def during(sender: object, using: str = "default", **kwargs: object) -> None:  # after pgload's receiver
        seen.append(connection.connection.prepare_threshold)

    connection.ensure_connection()
    configured = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    assert configured and connection.connection.prepare_threshold == configured
    pre_migrate.connect(during)
    try:
        call_command("migrate", verbosity=0)
    finally:
        pre_migrate.disconnect(during)
    assert seen and set(seen) == {None}
    assert connection.connection.prepare_threshold == configured


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_the_planner_prices_a_random_read_near_a_sequential_one():
    # The server's default is 4; the connection sets the value for data in memory or on SSD (ADR 0044).
    with connection.cursor() as cur:
        cur.execute("SHOW random_page_cost")
        assert float(cur.fetchone()[0]) == 1.1


def test_a_page_cost_that_is_no_number_is_refused_at_start():
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
        "HOLDTRACK_PG_RANDOM_PAGE_COST": "cheap",
    }
    done = subprocess.run(  # this interpreter, importing the settings module only
        [sys.executable, "-c", "import holdtrack.config.settings"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "HOLDTRACK_PG_RANDOM_PAGE_COST must be a number, not 'cheap'" in done.stderr
