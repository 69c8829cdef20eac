"""Writes of the audit layers. Called by every service inside its own transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import connections, router

from holdtrack.audit.chain import audit_chain, canonical, pending_count, walk
from holdtrack.audit.models import AuditEvent, Channel, Transition
from holdtrack.core.rows import insert_row
from holdtrack.core.timeutil import now


def _canonical(payload: dict[str, Any]) -> str:
    return canonical(payload)


def audit_record(
    *,
    actor: Any,
    action: str,
    entity_type: str,
    entity_id: Any,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event. It is a plain insert: no shared row is locked, so no request waits on another's audit
    event; the chainer gives it its keyed link within seconds (``holdtrack.audit.chain``, ADR 0015).

    It joins the caller's transaction: an audit write that fails fails the caller's write with it. The row goes
    in through ``core.rows.insert_row`` (same row and signals as ``create``; ADR 0031).
    """
    return insert_row(
        AuditEvent(
            at=at or now(),
            actor=actor,
            actor_role=getattr(actor, "role", "") or "",
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            data=json.loads(_canonical(data or {})),
        )
    )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""
    unchained: int = 0
    bad_table: str = ""
    bad_seq: int | None = None
    events: int = 0
    transitions: int = 0
    head: str = ""
    head_key: str = ""


def audit_verify(batch: int = 5000, *, checkpoint: Any | None = None, chain_first: bool = True) -> ChainReport:
    """Chain what is pending, then recompute every keyed link from position 1 and report the first that does
    not fit. With a (signature-checked) ``checkpoint``, also require that the chain still reaches the
    checkpoint's position with the checkpoint's head link: a cut tail or a rebuilt chain fails here."""
    if chain_first:
        audit_chain()
    remember = frozenset({checkpoint.seq}) if checkpoint is not None else frozenset()
    w = walk(batch=batch, remember=remember)
    unchained = pending_count()
    base = ChainReport(
        True,
        w.checked,
        unchained=unchained,
        events=w.events,
        transitions=w.transitions,
        head=w.head,
        head_key=w.head_key,
    )
    if not w.ok:
        return replace(
            base, ok=False, first_bad_id=w.bad_id, problem=w.problem, bad_table=w.bad_table, bad_seq=w.bad_seq
        )
    if checkpoint is not None and checkpoint.seq > 0:
        if w.checked < checkpoint.seq:
            problem = f"chain ends at position {w.checked} but the checkpoint saw {checkpoint.seq} (tail removed)"
            return replace(base, ok=False, problem=problem, bad_seq=w.checked + 1)
        if w.links_at.get(checkpoint.seq) != checkpoint.head:
            problem = f"link at position {checkpoint.seq} is not the checkpoint's head (chain rebuilt or replaced)"
            return replace(base, ok=False, problem=problem, bad_seq=checkpoint.seq)
    return base


def _next_seq(case_type: str, case_id: int) -> int:
    """The case's next transition number: one lookup on the (case_type, case_id, seq) unique index. Plain SQL,
    because on the step path building the ORM aggregate cost several times the query itself."""
    connection = connections[router.db_for_write(Transition)]
    table = connection.ops.quote_name(Transition._meta.db_table)
    with connection.cursor() as cursor:
        sql = f"SELECT MAX(seq) FROM {table} WHERE case_type = %s AND case_id = %s"  # noqa: S608 - model's table
        cursor.execute(sql, [case_type, case_id])
        row = cursor.fetchone()
    return int(row[0] or 0) + 1


def transition_record(
    *,
    case_type: str,
    case_id: int,
    name: str,
    source: str,
    target: str,
    actor: Any,
    at: datetime,
    data: dict[str, Any] | None = None,
    reason: str = "",
    channel: str = Channel.PORTAL,
) -> Transition:
    """Append to the case's transition log. The caller holds the case row lock, so seq is race-free. The row goes
    in through ``core.rows.insert_row`` (same row and signals as ``create``; ADR 0031)."""
    return insert_row(
        Transition(
            case_type=case_type,
            case_id=case_id,
            seq=_next_seq(case_type, case_id),
            at=at,
            name=name,
            source=source,
            target=target,
            actor=actor,
            actor_role=getattr(actor, "role", "") or "",
            channel=channel,
            reason=reason,
            data=json.loads(_canonical(data or {})),
        )
    )
