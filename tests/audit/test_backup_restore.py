"""docs/deploy.md's backup and restore, done as an operator does it: pg_dump of a database holding chained audit
events and case transitions, pg_restore into a new database, `holdtrack audit verify` there (a fresh process,
the same keys). A row deleted from the restored copy is then found, so the check is not vacuous."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from holdtrack.audit.chain import audit_chain
from holdtrack.audit.services import audit_record, transition_record
from tests.factories import T0

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),  # committed rows: pg_dump reads from its own connection
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump round trip (PostgreSQL)"),
    pytest.mark.skipif(not shutil.which("pg_dump") or not shutil.which("pg_restore"), reason="pg_dump not installed"),
]


def _pg_env() -> dict[str, str]:
    s = connection.settings_dict
    env = {**os.environ, "PGHOST": s["HOST"] or "127.0.0.1", "PGPORT": str(s["PORT"] or 5432), "PGUSER": s["USER"]}
    if s["PASSWORD"]:
        env["PGPASSWORD"] = s["PASSWORD"]
    return env


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _verify(url: str) -> subprocess.CompletedProcess[str]:
    """`holdtrack audit verify` against ``url`` in its own process, with this run's keys (var dir or settings)."""
    env = {**os.environ, "DATABASE_URL": url, "HOLDTRACK_VAR_DIR": str(settings.VAR_DIR)}
    env["HOLDTRACK_AUDIT_KEY"] = settings.HOLDTRACK_AUDIT_KEY
    env["HOLDTRACK_AUDIT_RETIRED_KEYS"] = settings.HOLDTRACK_AUDIT_RETIRED_KEYS
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "holdtrack", "audit", "verify"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603


def test_pg_dump_restore_keeps_a_verifiable_chain(tmp_path: Path) -> None:
    for i in range(20):
        audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=i % 4, data={"n": i})
        if i % 2 == 0:
            transition_record(
                case_type="detainer",
                case_id=1 + i % 3,
                name="note",
                source="DRAFT",
                target="DRAFT",
                actor=None,
                at=T0 + timedelta(minutes=i),
                data={"n": i},
            )
    assert audit_chain() == 30
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restored"[:63]
    dump = tmp_path / "holdtrack.dump"
    env = _pg_env()
    run = {"env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", source], **run)  # noqa: S603, S607
    subprocess.run(["dropdb", "--if-exists", restored], **run)  # noqa: S603, S607
    subprocess.run(["createdb", restored], **run)  # noqa: S603, S607
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored}", str(dump)], **run)  # noqa: S603, S607
        ok = _verify(_url(restored))
        assert ok.returncode == 0, ok.stderr + ok.stdout
        assert "Audit chain OK: 30 links verified (20 events, 10 transitions)" in ok.stdout
        # The restored copy is checked, not the source: a deletion there (triggers off, as its owner could) shows.
        with psycopg.connect(_url(restored), autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")
            conn.execute("DELETE FROM audit_auditevent WHERE chain_seq = 7")
        broken = _verify(_url(restored))
        assert broken.returncode == 1 and "position 7 is missing" in broken.stderr + broken.stdout
    finally:
        subprocess.run(["dropdb", "--if-exists", restored], **run)  # noqa: S603, S607
