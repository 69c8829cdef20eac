"""Shared machinery of the case services: row lock, guarded fsm step, transition log and audit event."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, TypeVar

from django.db import models
from django_fsm import can_proceed

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES, Role, User
from holdtrack.audit.models import Channel, Transition
from holdtrack.audit.services import audit_record, transition_record
from holdtrack.core.errors import InvalidTransition, NotPermitted
from holdtrack.core.timeutil import fact_time, now

M = TypeVar("M", bound=models.Model)


def locked(model: type[M], pk: int) -> M:
    """Fetch a fresh copy under a row lock (a no-op lock on SQLite, whose writers are serialised)."""
    return model._default_manager.select_for_update().get(pk=pk)


def when(at: datetime | None, what: str = "The time of the act") -> datetime:
    """The time a service records: now, or a given time that has already happened (core.timeutil.fact_time)."""
    return now() if at is None else fact_time(at, what)


def step(
    obj: Any,
    method: str,
    *,
    case_type: str,
    actor: User,
    at: datetime,
    data: dict[str, Any] | None = None,
    reason: str = "",
    channel: str = Channel.PORTAL,
    save_fields: list[str] | None = None,
) -> Transition:
    """Apply one fsm transition declared on the model, then log it and audit it in the caller's transaction."""
    source = obj.state
    bound = getattr(obj, method)
    if not can_proceed(bound):
        raise InvalidTransition(
            f"{case_type.replace('_', ' ').capitalize()} {obj.pk} is now '{obj.get_state_display()}': "
            f"'{method.replace('_', ' ')}' is not possible from there. Reload the case to see what changed."
        )
    bound()
    obj.save()
    t = transition_record(
        case_type=case_type,
        case_id=obj.pk,
        name=method,
        source=source,
        target=obj.state,
        actor=actor,
        at=at,
        data=data,
        reason=reason,
        channel=channel,
    )
    audit_record(
        actor=actor,
        action=f"{case_type}.{method}",
        entity_type=case_type,
        entity_id=obj.pk,
        data={"source": source, "target": obj.state, "transition": t.pk},
        at=at,
    )
    return t


def note(
    obj: Any,
    name: str,
    *,
    case_type: str,
    actor: User,
    at: datetime,
    data: dict[str, Any] | None = None,
    reason: str = "",
    channel: str = Channel.PORTAL,
) -> Transition:
    """Log an event that changes facts but not the state (service on the subject, a warrant attached)."""
    t = transition_record(
        case_type=case_type,
        case_id=obj.pk,
        name=name,
        source=obj.state,
        target=obj.state,
        actor=actor,
        at=at,
        data=data,
        reason=reason,
        channel=channel,
    )
    audit_record(
        actor=actor,
        action=f"{case_type}.{name}",
        entity_type=case_type,
        entity_id=obj.pk,
        data={"transition": t.pk, **(data or {})},
        at=at,
    )
    return t


def require(actor: User, roles: frozenset[str] | set[str], action: str) -> None:
    if actor.role == Role.SYSTEM:
        return
    if actor.role not in roles:
        raise NotPermitted(f"A {actor.get_role_display().lower()} may not {action}.")


def require_agency_party(
    actor: User,
    office_id: int,
    action: str,
    roles: frozenset[str] = AGENCY_ROLES,
    channel: str = Channel.PORTAL,
    *,
    counterpart_lea_id: int | None = None,
) -> None:
    """The acting agency user must belong to the office that owns the case. In a deployment run by one side,
    the other side's staff record the agency's act from its document (channel STAFF_RECORDED) — only the staff
    of the LEA the case is addressed to (``counterpart_lea_id``), never an unrelated agency."""
    if actor.role == Role.SYSTEM:
        return
    if channel == Channel.STAFF_RECORDED and actor.role in LEA_ROLES:
        _require_active(actor, action)
        org = actor.organization
        if counterpart_lea_id is None or org is None or org.lea_id != counterpart_lea_id:
            raise NotPermitted(
                f"Only staff of the law enforcement agency this case is addressed to may record, from its document, "
                f"the issuing office's act to {action}."
            )
        return
    require(actor, roles, action)
    _require_active(actor, action)
    if actor.organization_id != office_id:
        raise NotPermitted(f"Only the issuing office may {action}.")


def require_lea_party(
    actor: User,
    lea_id: int,
    action: str,
    roles: frozenset[str] = LEA_ROLES,
    channel: str = Channel.PORTAL,
    *,
    counterpart_office_ids: Collection[int] = (),
) -> None:
    """The acting LEA user must belong to the addressed agency. Staff recording the LEA's act from its document
    (STAFF_RECORDED) must be of the issuing office on the case (``counterpart_office_ids``; for a booking, the
    offices whose area holds the jail)."""
    if actor.role == Role.SYSTEM:
        return
    if channel == Channel.STAFF_RECORDED and actor.role in AGENCY_ROLES:
        _require_active(actor, action)
        if actor.organization_id is None or actor.organization_id not in set(counterpart_office_ids):
            raise NotPermitted(
                f"Only staff of the issuing office on this case may record, from its document, the law enforcement "
                f"agency's act to {action}."
            )
        return
    require(actor, roles, action)
    _require_active(actor, action)
    if actor.organization is None or actor.organization.lea_id != lea_id:
        raise NotPermitted(f"Only the addressed law enforcement agency may {action}.")


def _require_active(actor: User, action: str) -> None:
    if not actor.is_active:
        raise NotPermitted(f"An inactive account may not {action}.")
