"""The write machinery every case service goes through: row lock, authorization, guarded fsm step, transition
log and audit event, in the caller's transaction.

A step taken by a person needs the ``Authorization`` that ``kernel.parties.authorize`` gave for the service
being run; without one the step raises ``UnauthorizedStep`` before writing anything. Steps by the system account
(sweeps, rules that follow from a fact) need none. The step records the rule that allowed it in the audit event;
an act the counterpart's staff recorded from the other side's document carries that document's name in both
the transition and the audit event (``recorded_from_document``), beside the STAFF_RECORDED channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.db import models
from django_fsm import can_proceed

from holdtrack.audit.models import Channel, Transition
from holdtrack.audit.services import audit_record, transition_record
from holdtrack.core.errors import InvalidTransition, NotPermitted
from holdtrack.core.rows import select_for_update_by_pk, update_row
from holdtrack.core.timeutil import fact_time, now
from holdtrack.kernel.parties import SYSTEM_ROLE, Actor, Authorization, UnauthorizedStep, authorize

M = TypeVar("M", bound=models.Model)


def locked(model: type[M], pk: int, *, related: tuple[str, ...] = ()) -> M:
    """Fetch a fresh copy under a row lock (a no-op lock on SQLite, whose writers are serialised). ``related``:
    foreign keys the service reads, fetched in the same query (unlocked: only the case row is locked, ``of``)."""
    obj = select_for_update_by_pk(model, pk, related)  # the ORM's query, compiled once (core.rows)
    _remember(obj)
    return obj


def locked_rows(qs: models.QuerySet[M]) -> list[M]:
    """Every row of ``qs`` under a row lock (``of`` self: related rows fetched with them stay unlocked), each
    remembered as ``locked`` does, so that a step on it writes only the columns it changed."""
    rows = list(qs.select_for_update(of=("self",)))
    for obj in rows:
        _remember(obj)
    return rows


# The column values of a locked row as read, so that a step writes only the columns that changed: an UPDATE of
# every column of a wide case row cost more than the rest of the step. JSON columns may change in place, so a
# step always writes them. A row not fetched by ``locked`` is saved whole.
_LOADED = "_holdtrack_loaded"


def _remember(obj: models.Model) -> None:
    obj.__dict__[_LOADED] = {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not isinstance(f, models.JSONField)
    }


def _save(obj: models.Model) -> None:
    loaded: dict[str, Any] | None = obj.__dict__.get(_LOADED)
    if loaded is None:
        obj.save()
        return
    changed = [
        f.attname
        for f in obj._meta.concrete_fields
        if not f.primary_key
        and (isinstance(f, models.JSONField) or f.attname not in loaded or getattr(obj, f.attname) != loaded[f.attname])
    ]
    update_row(obj, changed)  # obj.save(update_fields=changed), its UPDATE built once per set of columns
    _remember(obj)


def locked_for(actor: Actor, service: str, model: type[M], pk: int, *, channel: str = "") -> tuple[M, Authorization]:
    """The usual opening of a service: lock the row, then ask the table whether ``actor`` may take ``service``
    on it (before any guard, so a refusal says nothing about the case's state)."""
    obj = locked(model, pk)
    return obj, authorize(actor, service, obj, channel=channel)


def when(at: datetime | None, what: str = "The time of the act") -> datetime:
    """The time a service records: now, or a given time that has already happened (core.timeutil.fact_time)."""
    return now() if at is None else fact_time(at, what)


def _checked(actor: Any, grant: Authorization | None, what: str) -> dict[str, Any]:
    """The audit fields of an authorized step; refuse a person's step that no rule allowed."""
    if actor.role == SYSTEM_ROLE and grant is None:
        return {}
    if grant is None or grant.actor_id != actor.pk:
        raise UnauthorizedStep(
            f"'{what}' by {actor} reached the step machinery without an authorization for that actor; "
            "the service must call kernel.parties.authorize first."
        )
    marks: dict[str, Any] = {"rule": grant.rule.service, "standing": grant.standing}
    if grant.recorded_by_counterpart:
        marks["recorded_from_document"] = grant.document
    return marks


def counterpart_marks(grant: Authorization) -> dict[str, Any]:
    """For services that write their first transition themselves: the document a counterpart recorded from."""
    return {"recorded_from_document": grant.document} if grant.recorded_by_counterpart else {}


def step(
    obj: Any,
    method: str,
    *,
    case_type: str,
    actor: Any,
    at: datetime,
    grant: Authorization | None = None,
    data: dict[str, Any] | None = None,
    reason: str = "",
    channel: str = Channel.PORTAL,
    save_fields: list[str] | None = None,
) -> Transition:
    """Apply one fsm transition declared on the model, then log it and audit it in the caller's transaction."""
    marks = _checked(actor, grant, f"{case_type}.{method}")
    if "recorded_from_document" in marks:
        data = {**(data or {}), "recorded_from_document": marks["recorded_from_document"]}
    source = obj.state
    bound = getattr(obj, method)
    if not can_proceed(bound):
        raise _not_possible(obj, method, case_type)
    bound()
    _save(obj)
    return _log(
        obj, method, source, case_type=case_type, actor=actor, at=at, data=data, reason=reason, channel=channel,
        audit=lambda pk: {"source": source, "target": obj.state, "transition": pk, **marks},
    )  # fmt: skip


def _not_possible(obj: Any, method: str, case_type: str) -> InvalidTransition:
    """The refusal of a transition the state does not allow: the state it is in and the states the model's fsm
    allows it from. It says nothing of who changed what: the desks add that when the case moved meanwhile."""
    meta = getattr(type(obj), method)._django_fsm
    labels = dict(meta.field.choices)
    sources = " or ".join(f"'{labels.get(s, s)}'" for s in meta.transitions)
    return InvalidTransition(
        f"{case_type.replace('_', ' ').capitalize()} {obj.pk} is '{obj.get_state_display()}': "
        f"'{method.replace('_', ' ')}' is possible only from {sources}.",
        rule=f"state machine: {type(obj).__name__}.{method}",
    )


def note(
    obj: Any,
    name: str,
    *,
    case_type: str,
    actor: Any,
    at: datetime,
    grant: Authorization | None = None,
    data: dict[str, Any] | None = None,
    reason: str = "",
    channel: str = Channel.PORTAL,
) -> Transition:
    """Log an event that changes facts but not the state (service on the subject, a warrant attached)."""
    marks = _checked(actor, grant, f"{case_type}.{name}")
    if "recorded_from_document" in marks:
        data = {**(data or {}), "recorded_from_document": marks["recorded_from_document"]}
    return _log(
        obj, name, obj.state, case_type=case_type, actor=actor, at=at, data=data, reason=reason, channel=channel,
        audit=lambda pk: {"transition": pk, **(data or {}), **marks},
    )  # fmt: skip


def _log(
    obj: Any,
    name: str,
    source: str,
    *,
    case_type: str,
    actor: Any,
    at: datetime,
    data: dict[str, Any] | None,
    reason: str,
    channel: str,
    audit: Callable[[int], dict[str, Any]],
) -> Transition:
    """The transition row of a step or a note (from ``source`` to the object's state now) and its audit event,
    whose data ``audit`` builds around the transition's id."""
    t = transition_record(
        case_type=case_type,
        case_id=obj.pk,
        name=name,
        source=source,
        target=obj.state,
        actor=actor,
        at=at,
        data=data,
        reason=reason,
        channel=channel,
    )
    audit_record(
        actor=actor, action=f"{case_type}.{name}", entity_type=case_type, entity_id=obj.pk, data=audit(t.pk), at=at
    )
    return t


def require(actor: Actor, roles: frozenset[str] | set[str], action: str) -> None:
    """A role-only check, for writes outside the party model (imports, exports, screening runs)."""
    if actor.role == SYSTEM_ROLE:
        return
    if actor.role not in roles:
        raise NotPermitted(f"A {actor.get_role_display().lower()} may not {action}.")


__all__ = ["counterpart_marks", "locked", "locked_for", "locked_rows", "note", "require", "step", "when"]
