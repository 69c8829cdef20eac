"""What follows a step, stated in one place: the handlers the apps above the kernel register, called in the
writer's transaction (ADR 0032).

- **Steps.** Every lifecycle transition, written one at a time (``audit.services.transition_record``) or set-based
  (``audit.services.transitions_record_bulk``), goes to ``dispatch``, which hands it to the handlers registered
  with ``on_step`` for its case type and name: the report outbox, the desks' notifications, the API's webhooks.
- **Facts.** A lower app announces what happened to the apps above it without importing them: custody
  ``announce``s a release or a citizenship claim (``custody.events``), and cases, registered with ``on_fact``,
  moves the detainers that follow from it.

Handlers run in the order they were registered (each app's ``AppConfig.ready``, so in ``INSTALLED_APPS`` order),
inside the caller's transaction: what they write stands or falls with the step. A handler whose effect leaves
the database (an e-mail, a webhook) defers it with ``transaction.on_commit`` itself. A step handler receives a
list of transitions: one from the step path, many from a bulk writer, so that it may work set-based.

The step path asks one dictionary lookup per transition of this module (ADR 0031: nothing per step beyond it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from holdtrack.audit.models import Transition

StepHandler = Callable[[Sequence["Transition"]], None]
F = TypeVar("F")


@dataclass(frozen=True)
class _Registration:
    handler: StepHandler
    case_types: frozenset[str] | None  # None: every case type
    names: frozenset[str] | None  # None: every transition name


_STEPS: list[_Registration] = []
# (case type, name) -> its handlers in registration order; filled on first use, emptied by each registration.
_BY_KEY: dict[tuple[str, str], tuple[StepHandler, ...]] = {}
_FACTS: dict[type, list[Callable[[Any], None]]] = {}


def _keys(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(str(v) for v in values)


def on_step(
    handler: StepHandler, *, case_types: Iterable[str] | None = None, names: Iterable[str] | None = None
) -> StepHandler:
    """Call ``handler`` with the transitions of these case types and names (``None``: all). Registering the same
    handler with the same filter again changes nothing (``ready`` may run more than once in a process)."""
    reg = _Registration(handler, _keys(case_types), _keys(names))
    if reg not in _STEPS:
        _STEPS.append(reg)
        _BY_KEY.clear()
    return handler


def handlers(case_type: str, name: str) -> tuple[StepHandler, ...]:
    """The handlers a transition of ``case_type`` named ``name`` goes to, in registration order."""
    key = (case_type, name)
    found = _BY_KEY.get(key)
    if found is None:
        matched: list[StepHandler] = []
        for reg in _STEPS:
            fits = (reg.case_types is None or case_type in reg.case_types) and (reg.names is None or name in reg.names)
            if fits and reg.handler not in matched:
                matched.append(reg.handler)
        found = _BY_KEY[key] = tuple(matched)
    return found


def wanted(case_type: str, name: str) -> bool:
    """Whether any handler listens to such a transition: a bulk writer builds objects only for those."""
    return bool(handlers(case_type, name))


def dispatch(transitions: Sequence[Transition]) -> None:
    """Hand transitions just written (in the caller's transaction) to their handlers. Each handler is called once,
    with its transitions in the order given; handlers are called in registration order."""
    if len(transitions) == 1:  # the step path
        t = transitions[0]
        for handler in handlers(t.case_type, t.name):
            handler(transitions)
        return
    batches: dict[StepHandler, list[Transition]] = {}
    for t in transitions:
        for handler in handlers(t.case_type, t.name):
            batches.setdefault(handler, []).append(t)
    if not batches:
        return
    order = {reg.handler: i for i, reg in reversed(list(enumerate(_STEPS)))}
    for handler in sorted(batches, key=order.__getitem__):
        handler(batches[handler])


def on_fact(kind: type[F], handler: Callable[[F], None]) -> None:
    """Call ``handler`` with every announced fact of type ``kind`` (once per handler)."""
    registered = _FACTS.setdefault(kind, [])
    if handler not in registered:
        registered.append(handler)


def announce(fact: object) -> None:
    """Tell the apps above what happened, in the caller's transaction. Facts nobody registered for go nowhere."""
    for handler in _FACTS.get(type(fact), ()):
        handler(fact)


def listeners(kind: type) -> tuple[Callable[[Any], None], ...]:
    """The handlers registered for facts of type ``kind`` (for the tests that check the wiring)."""
    return tuple(_FACTS.get(kind, ()))


__all__ = ["StepHandler", "announce", "dispatch", "handlers", "listeners", "on_fact", "on_step", "wanted"]
