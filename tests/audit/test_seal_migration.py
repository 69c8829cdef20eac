"""Upgrading a database with the unkeyed chain (ADR 0005): migration audit.0004 seals it into the keyed chain,
so an old database verifies; and the chainer runs from the worker (thread and periodic task)."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from holdtrack.audit.chain import audit_chain, follow, pending_count
from holdtrack.audit.services import audit_record, audit_verify

BEFORE = [("audit", "0002_append_only_triggers")]


def _legacy_events(cur, n: int, *, break_at: int | None = None) -> None:
    prev = "0" * 64
    for i in range(n):
        at = f"2026-01-{i + 1:02d}T00:00:00Z"
        payload = {
            "at": at,
            "actor_id": None,
            "actor_role": "",
            "action": "legacy.view",
            "entity_type": "detainer",
            "entity_id": str(i),
            "data": {"i": i},
        }
        digest = hashlib.sha256((prev + json.dumps(payload, sort_keys=True, separators=(",", ":"))).encode())
        h = digest.hexdigest()
        cur.execute(
            "INSERT INTO audit_auditevent (at, actor_role, action, entity_type, entity_id, data, prev_hash, hash)"
            " VALUES (%s, '', 'legacy.view', 'detainer', %s, %s, %s, %s)",
            [at, str(i), json.dumps({"i": i if i != break_at else -1}), prev, h],
        )
        prev = h


def _migrate(targets) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
    return out.getvalue()


def _latest():
    return [key for key in MigrationExecutor(connection).loader.graph.leaf_nodes() if key[0] == "audit"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broken", [False, True])
def test_the_legacy_chain_is_sealed_by_the_migration(broken):
    latest = _latest()
    _migrate(BEFORE)
    try:
        with connection.cursor() as cur:
            _legacy_events(cur, 5, break_at=2 if broken else None)
        output = _migrate(latest)
    finally:
        _migrate(latest)
    assert ("legacy audit chain broken at event" in output) is broken
    assert pending_count() == 0
    report = audit_verify(chain_first=False)
    assert report.ok and report.checked == report.events == 5
    seal = Path(settings.VAR_DIR) / "audit-seal-checkpoint.json"
    if importlib.util.find_spec("cryptography") is not None:
        from holdtrack.audit.checkpoint import load

        assert str(seal) in output
        cp = load(seal.read_text())
        assert (cp.seq, cp.head) == (5, report.head)
        assert audit_verify(checkpoint=cp).ok


def test_follow_chains_until_stopped(db):
    class Twice:
        calls = 0

        def is_set(self) -> bool:
            self.calls += 1
            return self.calls > 1

        def wait(self, timeout: float) -> None:
            return None

    audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=1)
    follow(Twice(), interval=0)
    assert pending_count() == 0 and audit_verify(chain_first=False).ok


def test_the_periodic_task_chains(db):
    from holdtrack.audit.tasks import audit_chain_periodic

    audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=1)
    assert audit_chain_periodic.call_local() == 1 and audit_chain() == 0
