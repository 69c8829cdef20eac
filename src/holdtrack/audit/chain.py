"""The keyed audit chain (ADR 0015): one chain over audit events and case transitions.

Writers only insert rows (``chain_seq`` empty). The chaining step — ``holdtrack audit chain``, the worker, and
``audit verify`` before it checks — takes the chainer's lock (``ChainHead``, never touched on a request path),
gives each pending row the next position and its link, and commits in batches::

    link(n) = HMAC-SHA256(key, link(n-1) | n | key id | canonical record)      link(0) = 64 × "0"

The canonical record is every stored field of the row, its id and its table, so an edit, a deletion (a gap in
the positions, and the next link no longer fits), a swap of two rows, or a re-hash without the key all break a
link. Truncating the tail leaves a valid shorter chain: only a signed checkpoint (``checkpoint.py``) held
outside the database catches that.

Functions take the model classes so the sealing migration runs the same code over its historical models.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connection, connections, transaction

from holdtrack.audit.keys import Keyring, keyring
from holdtrack.audit.models import AuditEvent, ChainHead, Transition
from holdtrack.core.timeutil import iso

GENESIS = "0" * 64
BATCH = 2000


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def event_payload(e: Any) -> dict[str, Any]:
    return {
        "table": "event",
        "id": e.id,
        "at": iso(e.at),
        "actor_id": e.actor_id,
        "actor_role": e.actor_role,
        "action": e.action,
        "entity_type": e.entity_type,
        "entity_id": str(e.entity_id),
        "data": e.data,
        # Covers the legacy unkeyed chain (events before ADR 0015): editing it breaks the keyed link too.
        "legacy": [e.prev_hash, e.hash] if e.hash else None,
    }


def transition_payload(t: Any) -> dict[str, Any]:
    return {
        "table": "transition",
        "id": t.id,
        "case_type": t.case_type,
        "case_id": t.case_id,
        "seq": t.seq,
        "at": iso(t.at),
        "recorded_at": iso(t.recorded_at),
        "name": t.name,
        "source": t.source,
        "target": t.target,
        "actor_id": t.actor_id,
        "actor_role": t.actor_role,
        "channel": t.channel,
        "reason": t.reason,
        "data": t.data,
    }


def link_of(secret: bytes, prev: str, seq: int, kid: str, payload: dict[str, Any]) -> str:
    message = f"{prev}|{seq}|{kid}|{canonical(payload)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Models:
    event: Any
    transition: Any
    head: Any


def default_models() -> Models:
    return Models(AuditEvent, Transition, ChainHead)


def _tail(m: Models) -> tuple[int, str]:
    """Position and link of the last chained row (of either table)."""
    best = (0, GENESIS)
    for model in (m.event, m.transition):
        row = (
            model.objects.filter(chain_seq__isnull=False).order_by("-chain_seq").values_list("chain_seq", "chain_link")
        )
        last = row.first()
        if last is not None and last[0] > best[0]:
            best = (int(last[0]), str(last[1]))
    return best


def _write_links(model: Any, rows: list[Any]) -> None:
    if not rows:
        return
    conn = connections[model.objects.db]
    if conn.vendor != "postgresql":
        model.objects.bulk_update(rows, ["chain_seq", "chain_key", "chain_link"], batch_size=500)
        return
    # One UPDATE … FROM (VALUES …) per batch: linear, where bulk_update's CASE per column is quadratic in rows.
    table = connection_quote(conn, model._meta.db_table)
    for start in range(0, len(rows), 1000):
        part = rows[start : start + 1000]
        values = ", ".join(["(%s::bigint, %s::bigint, %s, %s)"] * len(part))
        params = [v for r in part for v in (r.id, r.chain_seq, r.chain_key, r.chain_link)]
        with conn.cursor() as cur:
            cur.execute(
                f"UPDATE {table} AS t SET chain_seq = v.seq, chain_key = v.kid, chain_link = v.link "  # noqa: S608
                f"FROM (VALUES {values}) AS v(id, seq, kid, link) WHERE t.id = v.id AND t.chain_seq IS NULL",
                params,
            )
            if cur.rowcount != len(part):
                raise RuntimeError("audit chaining raced another chainer; batch rolled back")


def connection_quote(conn: Any, name: str) -> str:
    return str(conn.ops.quote_name(name))


def chain_batch(m: Models | None = None, *, batch: int = BATCH, ring: Keyring | None = None) -> int:
    """Chain up to ``batch`` pending rows in one transaction; returns how many were chained."""
    m = m or default_models()
    ring = ring or keyring()
    with transaction.atomic():
        # The only lock of the chain, held by chainers alone: writers never wait on it.
        m.head.objects.get_or_create(pk=1)
        head = m.head.objects.select_for_update().get(pk=1)
        events = list(m.event.objects.filter(chain_seq__isnull=True).order_by("id")[:batch])
        transitions = list(m.transition.objects.filter(chain_seq__isnull=True).order_by("id")[: batch - len(events)])
        if not events and not transitions:
            return 0
        seq, prev = _tail(m)
        kid, secret = ring.current_id, ring.current
        # Each table keeps its id order; the two are interleaved by time so the chain reads as one history.
        rows = list(
            heapq.merge(
                [(e.at, e, event_payload) for e in events],
                [(t.recorded_at, t, transition_payload) for t in transitions],
                key=lambda r: r[0],
            )
        )
        for _at, row, payload in rows:
            seq += 1
            row.chain_seq, row.chain_key = seq, kid
            row.chain_link = prev = link_of(secret, prev, seq, kid, payload(row))
        _write_links(m.event, events)
        _write_links(m.transition, transitions)
        m.head.objects.filter(pk=head.pk).update(last_hash=prev, count=seq)
        return len(rows)


def audit_chain(m: Models | None = None, *, batch: int = BATCH, ring: Keyring | None = None) -> int:
    """Chain every pending row, batch by batch (each batch its own short transaction)."""
    total = 0
    while True:
        n = chain_batch(m, batch=batch, ring=ring)
        total += n
        if n < batch:
            return total


def pending_count(m: Models | None = None) -> int:
    m = m or default_models()
    return int(m.event.objects.filter(chain_seq__isnull=True).count()) + int(
        m.transition.objects.filter(chain_seq__isnull=True).count()
    )


# --- verification ------------------------------------------------------------------------------------------


@dataclass
class Walk:
    """What a walk over the chain found."""

    ok: bool = True
    checked: int = 0
    events: int = 0
    transitions: int = 0
    head: str = GENESIS
    head_key: str = ""
    problem: str = ""
    bad_table: str = ""
    bad_id: int | None = None
    bad_seq: int | None = None
    links_at: dict[int, str] = field(default_factory=dict)

    def fail(self, problem: str, table: str, row_id: int | None, seq: int | None) -> Walk:
        self.ok, self.problem, self.bad_table, self.bad_id, self.bad_seq = False, problem, table, row_id, seq
        return self


def _iter_chained(model: Any, table: str, batch: int) -> Iterator[tuple[int, str, Any]]:
    last = 0
    while True:
        rows = list(model.objects.filter(chain_seq__gt=last).order_by("chain_seq")[:batch])
        if not rows:
            return
        for r in rows:
            yield int(r.chain_seq), table, r
        last = int(rows[-1].chain_seq)


def walk(
    m: Models | None = None, *, ring: Keyring | None = None, batch: int = 5000, remember: frozenset[int] = frozenset()
) -> Walk:
    """Recompute every link from position 1; stop at the first that does not fit. ``remember``: positions whose
    link to keep (a checkpoint's head)."""
    m = m or default_models()
    ring = ring or keyring()
    w = Walk()
    prev, expected = GENESIS, 1
    merged = heapq.merge(
        _iter_chained(m.event, "event", batch), _iter_chained(m.transition, "transition", batch), key=lambda r: r[0]
    )
    for seq, table, row in merged:
        if seq != expected:
            problem = (
                f"position {expected} is missing (a chained row was deleted)"
                if seq > expected
                else f"position {seq} is held twice"
            )
            return w.fail(problem, table, row.id, min(seq, expected))
        secret = ring.keys.get(row.chain_key)
        if secret is None:
            return w.fail(f"link made with an unknown key id {row.chain_key!r} (re-hashed?)", table, row.id, seq)
        payload = event_payload(row) if table == "event" else transition_payload(row)
        if not hmac.compare_digest(link_of(secret, prev, seq, row.chain_key, payload), row.chain_link):
            return w.fail("content or order does not match its keyed link", table, row.id, seq)
        if seq in remember:
            w.links_at[seq] = row.chain_link
        prev, expected = row.chain_link, expected + 1
        w.checked += 1
        if table == "event":
            w.events += 1
        else:
            w.transitions += 1
        w.head, w.head_key = row.chain_link, row.chain_key
    return w


def follow(stop: Any, *, interval: float = 2.0, log: Any = None) -> None:
    """Chain every ``interval`` seconds until ``stop`` (a threading.Event) is set: how events get their links
    within seconds (the in-process worker runs this in a thread; ``holdtrack audit chain --follow`` as a process)."""

    while not stop.is_set():
        try:
            if not connection.in_atomic_block:  # a long-lived thread drops dead connections, never an open transaction
                close_old_connections()
            audit_chain()
        except Exception:  # keep following: a failed batch is retried at the next tick, nothing is lost
            if log is not None:
                log.exception("audit chaining failed; retrying")
        stop.wait(interval)
