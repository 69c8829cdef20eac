"""Benchmark: audit append throughput with the locked chain head (before ADR 0015) and without it (after).

N processes each append audit events as fast as they can, one event per transaction (as a request does), for
``--seconds``. "before" is the old ``audit_record``, reproduced here: lock the ``ChainHead`` row, hash over its
last hash, insert, move the head. "after" is today's ``audit_record``: a plain insert; "after + chainer" the
same with ``holdtrack.audit.chain.follow`` linking every second beside the writers. At the end the chainer's own
throughput (rows linked per second, in batches) and ``audit verify``'s are timed.

Usage (PostgreSQL; any database you own — rows are appended to its audit tables):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/holdtrack_audit HOLDTRACK_VAR_DIR=/tmp/var-audit \\
        .venv/bin/python bench/audit_append.py [--workers 1,4,8,16] [--seconds 3]

Prints events/s per mode and worker count and the after/before ratio; nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import platform
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from holdtrack.audit.chain import audit_chain, follow, pending_count  # noqa: E402
from holdtrack.audit.models import AuditEvent, ChainHead  # noqa: E402
from holdtrack.audit.services import audit_record, audit_verify  # noqa: E402
from holdtrack.core.timeutil import iso, now  # noqa: E402

LEGACY_HEAD = 99  # the old scheme's head row for this run, apart from the chainer's row 1


def legacy_append(i: int) -> None:
    """The pre-ADR 0015 ``audit_record``: every writer queues on one row."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=LEGACY_HEAD)
        event = AuditEvent(
            at=now(), actor=None, action="bench.view", entity_type="bench", entity_id=str(i), data={"i": i}
        )
        payload = {
            "at": iso(event.at),
            "actor_id": None,
            "actor_role": "",
            "action": event.action,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "data": event.data,
        }
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        event.prev_hash = head.last_hash
        event.hash = hashlib.sha256((head.last_hash + canonical).encode()).hexdigest()
        event.save()
        ChainHead.objects.filter(pk=LEGACY_HEAD).update(last_hash=event.hash, count=head.count + 1)


def keyed_append(i: int) -> None:
    with transaction.atomic():
        audit_record(actor=None, action="bench.view", entity_type="bench", entity_id=i, data={"i": i})


def _worker(mode: str, seconds: float, start: Any, out: Any) -> None:
    connections.close_all()  # a forked child never reuses the parent's socket
    append = legacy_append if mode == "before" else keyed_append
    start.wait()
    n, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        append(n)
        n += 1
    out.put(n)


def run(mode: str, workers: int, seconds: float) -> float:
    ctx = mp.get_context("fork")
    start, out = ctx.Barrier(workers + 1), ctx.Queue()
    connections.close_all()
    procs = [ctx.Process(target=_worker, args=(mode, seconds, start, out)) for _ in range(workers)]
    for p in procs:
        p.start()
    stop = threading.Event()
    if mode == "chained":
        # The chainer following every second beside the writers, as the worker runs it in production.
        chainer = threading.Thread(target=follow, args=(stop,), kwargs={"interval": 1.0})
        chainer.start()
    start.wait()
    t0 = time.perf_counter()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    stop.set()
    if mode == "chained":
        chainer.join()
    return total / max(time.perf_counter() - t0, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,4,8,16")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only (SQLite serialises every write transaction anyway): set DATABASE_URL")
    call_command("migrate", verbosity=0)
    audit_chain()  # start from a fully chained table
    print(f"audit append, one event per transaction, {args.seconds:g} s per run")
    print(f"{platform.node()}, {os.cpu_count()} cores, PostgreSQL {connection.pg_version}")
    print(
        f"{'workers':>7} | {'before (locked head)':>20} | {'after (insert only)':>19} | ratio | {'after + chainer':>15} | ratio"
    )
    for workers in (int(w) for w in args.workers.split(",")):
        before = run("before", workers, args.seconds)
        # "after" last: its rows stay pending, so the chainer's own rate is timed on them at the end (a chained
        # run also links the backlog the previous "after" run left, so its figure is a worst case).
        chained = run("chained", workers, args.seconds)
        after = run("after", workers, args.seconds)
        print(
            f"{workers:>7} | {before:>15,.0f} ev/s | {after:>14,.0f} ev/s | {after / before:4.2f}× "
            f"| {chained:>10,.0f} ev/s | {chained / before:4.2f}×"
        )
    pending = pending_count()
    t0 = time.perf_counter()
    chained = audit_chain()
    elapsed = time.perf_counter() - t0
    print(f"chainer: {chained:,} pending rows linked in {elapsed:.2f} s ({chained / elapsed:,.0f} rows/s); ", end="")
    print(f"{pending_count()} left of {pending:,}")
    t0 = time.perf_counter()
    report = audit_verify(chain_first=False)
    elapsed = time.perf_counter() - t0
    print(
        f"verify: {report.checked:,} links in {elapsed:.2f} s ({report.checked / elapsed:,.0f} links/s), ok={report.ok}"
    )


if __name__ == "__main__":
    main()
