"""Writes of the audit layers. Called by every service inside its own transaction.

Every transition, written one at a time (``transition_record``) or set-based (``transitions_record_bulk``), goes
to the step dispatcher (``kernel.dispatch``) once written, in the same transaction: what follows a step (the
report outbox, notifications, webhooks) is registered there, never as a signal on ``Transition``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypedDict

from django.db import connections, router
from django.utils import timezone

from holdtrack.audit.chain import audit_chain, canonical, pending_count, walk
from holdtrack.audit.models import AuditEvent, Channel, Transition
from holdtrack.core.bulk import insert_rows
from holdtrack.core.rows import insert_row
from holdtrack.core.timeutil import now
from holdtrack.kernel.dispatch import dispatch, wanted


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
    """Append to the case's transition log and hand the row to the step dispatcher. The caller holds the case
    row lock, so seq is race-free. The row goes in through ``core.rows.insert_row`` (ADR 0031)."""
    t = insert_row(
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
    dispatch((t,))
    return t


class TransitionRow(TypedDict):
    """A transition written set-based: the columns of ``Transition`` by attribute name, bar the key and stamps."""

    case_type: str
    case_id: int
    seq: int
    at: datetime
    name: str
    source: str
    target: str
    actor_id: int | None
    actor_role: str
    channel: str
    reason: str
    data: dict[str, Any]


def transition_row(
    *,
    case_type: str,
    case_id: int,
    seq: int,
    name: str,
    source: str,
    target: str,
    actor: Any,
    at: datetime,
    data: dict[str, Any] | None = None,
    reason: str = "",
    channel: str = Channel.PORTAL,
) -> TransitionRow:
    """The row ``transition_record`` would write, for ``transitions_record_bulk``. ``seq``: the caller knows it
    (the first transitions of cases it has just created). ``data`` is stored as the same JSON; it is not put in
    canonical form here (the round trip cost more than the rest of a feed row), only for the rows dispatched."""
    return {
        "case_type": case_type,
        "case_id": case_id,
        "seq": seq,
        "at": at,
        "name": name,
        "source": source,
        "target": target,
        "actor_id": actor.pk if actor is not None else None,
        "actor_role": getattr(actor, "role", "") or "",
        "channel": channel,
        "reason": reason,
        "data": data or {},
    }


def transitions_record_bulk(rows: Sequence[TransitionRow]) -> None:
    """Append many transitions set-based (``core.bulk``), then hand those any handler listens to to the step
    dispatcher, as ``transition_record`` does, in the caller's transaction. Only those get objects (and keys read
    back): a feed chunk's booking transitions, which nobody follows, cost no more than the COPY."""
    if not rows:
        return
    stamp = timezone.now()  # recorded_at, as auto_now_add stamps it on the step path
    stamped = [{**row, "recorded_at": stamp} for row in rows]
    heard = [i for i, row in enumerate(rows) if wanted(row["case_type"], row["name"])]
    ids = insert_rows(Transition, stamped, ids=bool(heard))
    if heard:
        dispatch([_written(stamped[i], ids[i]) for i in heard])


def _written(row: dict[str, Any], pk: int) -> Transition:
    """The model instance of a row just written, as the ORM would read it back."""
    t = Transition(pk=pk, **{**row, "data": json.loads(_canonical(row["data"]))})
    t._state.adding = False
    t._state.db = router.db_for_write(Transition)
    return t
