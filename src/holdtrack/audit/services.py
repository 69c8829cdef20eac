"""Writes of the audit layers. Called by every service inside its own transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max

from holdtrack.audit.models import AuditEvent, ChainHead, Channel, Transition
from holdtrack.core.timeutil import iso, now


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def _event_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + _canonical(payload)).encode()).hexdigest()


def _payload(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": iso(event.at),
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": str(event.entity_id),
        "data": event.data,
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    entity_type: str,
    entity_id: Any,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the hash chain. The chain head row is locked so concurrent writers queue.

    No savepoint: a failed audit write must fail the caller's whole transaction, never be caught and skipped.
    """
    with transaction.atomic(savepoint=False):
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            at=at or now(),
            actor=actor,
            actor_role=getattr(actor, "role", "") or "",
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            data=json.loads(_canonical(data or {})),
            prev_hash=head.last_hash,
        )
        event.hash = _event_hash(head.last_hash, _payload(event))
        event.save()
        ChainHead.objects.filter(pk=1).update(last_hash=event.hash, count=head.count + 1)
        return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""


def audit_verify(batch: int = 5000) -> ChainReport:
    """Recompute every hash from the first event; report the first event that does not fit."""
    prev = "0" * 64
    checked = 0
    last_id = 0
    while True:
        events = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not events:
            break
        for event in events:
            if event.prev_hash != prev:
                return ChainReport(False, checked, event.id, "prev_hash does not match the preceding event")
            if _event_hash(prev, _payload(event)) != event.hash:
                return ChainReport(False, checked, event.id, "content does not match its hash")
            prev = event.hash
            checked += 1
            last_id = event.id
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.count != checked):
        return ChainReport(False, checked, None, "chain head does not match the last event (events removed?)")
    return ChainReport(True, checked)


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
    """Append to the case's transition log. The caller holds the case row lock, so seq is race-free."""
    last = Transition.objects.filter(case_type=case_type, case_id=case_id).aggregate(m=Max("seq"))["m"] or 0
    return Transition.objects.create(
        case_type=case_type,
        case_id=case_id,
        seq=last + 1,
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
