"""Why a service would refuse an action, asked without acting: for pages and queues that offer only what the
service would accept, and explain what it would refuse with the service's own reason.

A service states what it checks once. Who may take it is its rule in ``kernel.parties``. What it checks of the
case it declares beside itself with ``declare``: the fsm transitions it takes (one must be possible from the
object's state, as the model's state machine says) and the facts outside the state machine it checks (already
served, released, …), each a function that returns the error the service raises, or None. The service raises
the first failing fact under its row lock (``raise_failed``); ``refusals`` asks the same three sources in the
service's order: the party table, then the state machine, then the facts.

This module imports no app, like ``kernel.parties``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django_fsm import can_proceed

from holdtrack.core.errors import DomainError, InvalidTransition
from holdtrack.core.timeutil import now
from holdtrack.kernel.parties import Actor, refusal, rule_for

# A fact a service checks on its object at the time of the act: the error it raises, or None when the fact holds.
Check = Callable[[Any, datetime], DomainError | None]


class Stage(StrEnum):
    """Which source refused: the party table (role, account, relation to the case), the state machine, or a
    fact the service checks. A page answers a party refusal as forbidden, the others as a conflict with the
    case's state (both interfaces: ``core.errors.REFUSAL_STATUS``)."""

    PARTY = "party"
    STATE = "state"
    FACT = "fact"


@dataclass(frozen=True)
class Refusal:
    stage: Stage
    error: DomainError


@dataclass(frozen=True)
class Preconditions:
    """What one service checks of its object beside its party rule."""

    steps: tuple[str, ...] = ()  # the fsm transitions it may take: offered when one of them is possible
    checks: tuple[Check, ...] = ()


_DECLARED: dict[str, Preconditions] = {}
_NONE = Preconditions()


def declare(service: str, *, steps: tuple[str, ...] = (), checks: tuple[Check, ...] = ()) -> None:
    """State, beside the service, the transitions it takes and the facts it checks (once per service)."""
    known = _DECLARED.get(service)
    declared = Preconditions(tuple(steps), tuple(checks))
    if known is not None and _names(known) != _names(declared):
        raise ValueError(f"Two declarations of what {service!r} checks.")
    _DECLARED[service] = declared


def _names(p: Preconditions) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return p.steps, tuple(f"{c.__module__}.{c.__qualname__}" for c in p.checks)


def declared_services() -> list[str]:
    return sorted(_DECLARED)


def preconditions(service: str) -> Preconditions:
    return _DECLARED.get(service, _NONE)


def failed(service: str, obj: Any, at: datetime) -> list[DomainError]:
    """The errors of the facts ``service`` checks that do not hold on ``obj`` at ``at``, in declared order."""
    return [e for e in (check(obj, at) for check in preconditions(service).checks) if e is not None]


def raise_failed(service: str, obj: Any, at: datetime) -> None:
    """For the service itself, under its row lock: raise the first fact it checks that does not hold."""
    errors = failed(service, obj, at)
    if errors:
        raise errors[0]


def state_refusal(obj: Any, steps: tuple[str, ...], what: str) -> InvalidTransition | None:
    """None if one of ``steps`` is possible from ``obj``'s state; else which states allow them, as the model's
    state machine declares them. ``what`` names the action as the asker shows it."""
    if not steps or any(can_proceed(getattr(obj, step)) for step in steps):
        return None
    model = type(obj)
    sources: list[str] = []
    for step in steps:
        meta = getattr(model, step)._django_fsm
        labels = dict(meta.field.choices)
        sources += [str(labels.get(s, s)) for s in meta.transitions if str(labels.get(s, s)) not in sources]
    noun = model._meta.verbose_name
    state = str(obj.get_state_display()) if hasattr(obj, "get_state_display") else ""
    return InvalidTransition(
        f"'{what}' is not possible while the {noun} is '{state}'; "
        f"it is possible only when the {noun} is " + " or ".join(f"'{s}'" for s in sources) + ".",
        rule=f"state machine: {model.__name__}." + " | ".join(steps),
    )


def refusals(
    actor: Actor,
    service: str,
    obj: Any,
    *,
    target: Any = None,
    channel: str = "",
    what: str = "",
    at: datetime | None = None,
) -> list[Refusal]:
    """Every reason ``service`` would refuse ``actor`` on ``obj`` now, in the service's order; empty when it would
    go ahead (as far as anything but the submitted input decides). ``obj`` is what the party rule is asked about;
    ``target`` (default ``obj``) the object whose state machine takes the steps and whose facts are checked (a
    detainer prepared on a booking is checked on its match). A party refusal comes alone: a foreign actor learns
    nothing of the case's state."""
    refused = refusal(actor, service, obj, channel=channel)
    if refused is not None:
        return [Refusal(Stage.PARTY, refused)]
    target = obj if target is None else target
    declared = preconditions(service)
    out: list[Refusal] = []
    state = state_refusal(target, declared.steps, what or rule_for(service).text)
    if state is not None:
        out.append(Refusal(Stage.STATE, state))
    out += [Refusal(Stage.FACT, e) for e in failed(service, target, now() if at is None else at)]
    return out


__all__ = [
    "Check",
    "Preconditions",
    "Refusal",
    "Stage",
    "declare",
    "declared_services",
    "failed",
    "preconditions",
    "raise_failed",
    "refusals",
    "state_refusal",
]
