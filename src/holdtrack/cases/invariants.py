"""Invariants of the transition log, checked from outside: only the exported events are read (the output of
``holdtrack.audit.export.iter_events`` or of ``holdtrack export events``), never the case tables. A court or
an auditor holding the export can run the same checks.

Concepts
--------
Event
    One exported transition: ``case`` (case type), ``id`` (case id), ``seq``, ``at`` (legal time, UTC,
    ``…Z``), ``transition`` (name), ``source``, ``target``, ``channel``, ``data`` and optionally ``tid`` (the
    log's row id, i.e. the global order in which events were recorded).
Case
    All events with the same (case, id). Events of a case are checked in ``seq`` order.
Same-state event (note)
    ``source == target``: a fact recorded without a state change (``attach_warrant``, ``serve_subject``,
    ``notify``, ``neutral_review``, ``hold_refused``, a booking's ``release_eligible`` …). Its name must not
    be one of the model's state transitions.
Deadline-stamped event
    A system event recorded when a sweep notices that a clock ran out, but stamped at the deadline itself:
    ``expire_hold`` (at ``data.hold_window.expires_at``), a subpoena's ``lapse`` (at ``data.return_due_at``)
    and a court case's ``record_noncompliance`` (at ``data.comply_by``). Its ``at`` must equal that deadline
    exactly, and it is the only kind of event allowed to be stamped earlier than an event before it.
Hold
    The span of a detainer in HOLD_IN_EFFECT: from its ``start_hold`` event to the next event whose target is
    another state. The window (``data.hold_window``) is recorded on ``start_hold``.
Citizenship claim
    A ``citizenship_claim`` case: open from its ``open`` event (whose data names ``subject_id``) until the
    first event that leaves OPEN. Detainers are joined to claims through ``subject_id`` in their ``prepare``
    data. When two events share an ``at``, ``tid`` orders them.

Rules
-----
Every case
    C1 ``seq`` runs 1..n without gaps or repeats. C2 ``at`` is UTC ISO 8601 ending in ``Z`` and never earlier
    than the latest ``at`` before it in the case, except for deadline-stamped events (see above). C3 the first
    event's ``source`` is "" and every later ``source`` equals the previous ``target``.
State machines (detainer, subpoena, referral, court_case, citizenship_claim, identity_match)
    G1 the first event enters the model's initial state. G2 every change of state (name, source → target) is a
    ``@transition`` declared on the model (django-fsm introspection). G3 a same-state event does not carry the
    name of a state transition.
Warrants
    W1 an ``attach_warrant`` of an administrative warrant (I-200, I-205, I-203) is never judicial, and a
    judicial warrant is never recorded as administrative.
Detainers
    D1 ``start_hold`` only after an I-200 or I-205 was attached, the detainer was served on the subject and the
    LEA decided to hold. D2 ``decide_hold`` and ``start_hold`` record ``hold_allowed: true`` (local law
    allowed the hold when it was decided and when it began). D3 the hold window is at most 48 hours
    (``expires_at - starts_at``) and starts no later than ``start_hold``; the hold starts before its ceiling.
    D4 while a hold is in effect no event is stamped after its ceiling, and ``expire_hold`` is stamped exactly
    at it; with ``as_of``, a hold still in effect at ``as_of`` has a ceiling after ``as_of``. D5 no hold begins
    while a citizenship claim of the subject is open, and a claim opened during a hold ends the hold at the same
    instant. D6 ``close`` records a final ``outcome_group``.
Subpoenas
    S1 ``issue`` records ``is_judicial: false`` (an administrative subpoena is not a court order). S2 ``lapse``
    happens at the return date (``data.return_due_at == at``).

The checker holds the events of one export in memory, grouped by case.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps

from holdtrack.cases.models import (
    ADMINISTRATIVE_WARRANTS,
    HOLD_SUPPORTING_WARRANTS,
    JUDICIAL_WARRANTS,
    OutcomeGroup,
)
from holdtrack.core.legal_rules import R_HOLD_48H

Event = dict[str, Any]
UTC = ZoneInfo("UTC")
HOLD = "HOLD_IN_EFFECT"
MAX_HOLD = R_HOLD_48H.span

# Case types with a django-fsm state machine: (app label, model, state field).
FSM_CASES: dict[str, tuple[str, str, str]] = {
    "detainer": ("cases", "Detainer", "state"),
    "subpoena": ("cases", "Subpoena", "state"),
    "referral": ("cases", "EnforcementReferral", "state"),
    "court_case": ("cases", "CourtCase", "state"),
    "citizenship_claim": ("custody", "CitizenshipClaim", "status"),
    "identity_match": ("custody", "IdentityMatch", "status"),
}


def _deadline_of(e: Event) -> tuple[str, Any] | None:
    """(label, recorded deadline) when ``e`` is a deadline-stamped system event, else None."""
    data = e.get("data") or {}
    if e.get("channel") != "SYSTEM":
        return None
    match (e["case"], e["transition"]):
        case ("detainer", "expire_hold"):
            return "data.hold_window.expires_at", (data.get("hold_window") or {}).get("expires_at")
        case ("subpoena", "lapse"):
            return "data.return_due_at", data.get("return_due_at")
        case ("court_case", "record_noncompliance"):
            return "data.comply_by", data.get("comply_by")
    return None


@dataclass(frozen=True)
class Graph:
    model: str
    initial: str
    edges: frozenset[tuple[str, str, str]]
    any_source: frozenset[tuple[str, str]]  # (name, target) declared with source "*" or "+"
    names: frozenset[str]

    def allows(self, name: str, source: str, target: str) -> bool:
        return (name, source, target) in self.edges or ((name, target) in self.any_source and source != target)


@functools.cache
def fsm_graph(case_type: str) -> Graph:
    """The state machine declared by the model's ``@transition`` methods."""
    app_label, model_name, field_name = FSM_CASES[case_type]
    model = apps.get_model(app_label, model_name)
    f = model._meta.get_field(field_name)
    edges: set[tuple[str, str, str]] = set()
    wild: set[tuple[str, str]] = set()
    for t in f.get_all_transitions(model):
        if t.source in ("*", "+"):
            wild.add((t.name, str(t.target)))
        else:
            edges.add((t.name, str(t.source), str(t.target)))
    names = frozenset(n for n, _, _ in edges) | frozenset(n for n, _ in wild)
    return Graph(model_name, str(f.default), frozenset(edges), frozenset(wild), names)


def _dt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _key(e: Event) -> tuple[datetime, int]:
    """Order across cases: legal time, then record order."""
    return (_dt(e.get("at")) or datetime.min.replace(tzinfo=UTC), int(e.get("tid") or 0))


def _where(e: Event) -> str:
    return f"{e.get('case')} {e.get('id')} #{e.get('seq')} '{e.get('transition')}'"


@dataclass
class Claim:
    id: int
    subject_id: Any
    opened: tuple[datetime, int]
    closed: tuple[datetime, int] | None = None


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)

    def add(self, e: Event, message: str) -> None:
        self.violations.append(f"{_where(e)}: {message}")


# -------------------------------------------------------------------------------------------- every case


def _check_case(events: list[Event], r: Report) -> None:
    latest: datetime | None = None
    previous_target = ""
    for n, e in enumerate(events, 1):
        if e.get("seq") != n:
            r.add(e, f"seq {e.get('seq')} where {n} was expected (C1: seq runs 1..n without gaps)")
        raw = e.get("at")
        at = _dt(raw)
        if at is None or not str(raw).endswith("Z"):
            r.add(e, f"at {raw!r} is not a UTC ISO 8601 time ending in Z (C2)")
        deadline = _deadline_of(e)
        if at is not None and deadline is not None:
            label, value = deadline
            due = _dt(value)
            if due is None:
                r.add(e, f"deadline-stamped event without {label} (C2)")
            elif at != due:
                r.add(e, f"stamped at {raw} but its deadline {label} is {value} (C2: stamped exactly at the deadline)")
        elif at is not None and latest is not None and at < latest:
            r.add(e, f"at {raw} is earlier than an earlier event of the case at {latest.isoformat()} (C2)")
        if at is not None:
            latest = at if latest is None else max(latest, at)
        if e.get("source") != previous_target:
            r.add(
                e,
                f"source {e.get('source')!r} is not the previous target {previous_target!r} (C3: the log is a chain)",
            )
        previous_target = e.get("target", "")


def _check_graph(events: list[Event], r: Report) -> None:
    g = fsm_graph(events[0]["case"])
    for n, e in enumerate(events):
        name, source, target = e.get("transition", ""), e.get("source", ""), e.get("target", "")
        if n == 0:
            if target != g.initial:
                r.add(e, f"a {g.model} starts in {g.initial}, not {target} (G1)")
            continue
        if source == target:
            if name in g.names and not g.allows(name, source, target):
                r.add(e, f"'{name}' is a {g.model} state transition but was recorded without a change of state (G3)")
        elif not g.allows(name, source, target):
            r.add(e, f"{source} -> {target} by '{name}' is not a transition of the {g.model} state machine (G2)")


def _check_warrant(e: Event, r: Report) -> None:
    data = e.get("data") or {}
    kind, judicial = data.get("warrant_type"), data.get("is_judicial")
    if kind in ADMINISTRATIVE_WARRANTS and judicial is not False:
        r.add(e, f"administrative warrant {kind} recorded with is_judicial={judicial!r} (W1)")
    if kind in JUDICIAL_WARRANTS and judicial is not True:
        r.add(e, f"judicial warrant {kind} recorded with is_judicial={judicial!r} (W1)")


# ----------------------------------------------------------------------------------------------- claims


def _claims(cases: dict[tuple[str, Any], list[Event]], r: Report) -> dict[Any, list[Claim]]:
    by_subject: dict[Any, list[Claim]] = {}
    for (case, case_id), events in cases.items():
        if case != "citizenship_claim":
            continue
        first = events[0]
        subject_id = (first.get("data") or {}).get("subject_id")
        if subject_id is None:
            r.add(first, "a citizenship claim opens without data.subject_id; detainers cannot be joined to it (D5)")
            continue
        claim = Claim(case_id, subject_id, _key(first))
        claim.closed = next((_key(e) for e in events[1:] if e.get("target") != "OPEN"), None)
        by_subject.setdefault(subject_id, []).append(claim)
    return by_subject


# --------------------------------------------------------------------------------------------- detainers


def _check_detainer(events: list[Event], claims: dict[Any, list[Claim]], as_of: datetime | None, r: Report) -> None:
    prepare = events[0]
    subject_id = (prepare.get("data") or {}).get("subject_id")
    hold_warrant = served = decided_hold = False
    hold: Event | None = None
    expires: datetime | None = None

    def claim_overlap(start: Event, end_at: datetime | None, end: Event | None) -> None:
        if subject_id is None:
            r.add(start, "the detainer's prepare data lacks subject_id; citizenship claims cannot be checked (D5)")
            return
        for c in claims.get(subject_id, []):
            if c.opened < _key(start) and (c.closed is None or _key(start) < c.closed):
                r.add(start, f"hold started while citizenship claim {c.id} of the subject was open (D5)")
            elif _key(start) < c.opened and (end_at is None or c.opened[0] < end_at):
                until = end_at.isoformat() if end_at else "the end of the log"
                r.add(
                    end or start,
                    f"citizenship claim {c.id} opened at {c.opened[0].isoformat()} during the hold, "
                    f"but the hold lasted until {until} (D5)",
                )

    for e in events:
        name, data, at = e.get("transition"), e.get("data") or {}, _dt(e.get("at"))
        if hold is not None and expires is not None and at is not None:
            if at > expires:
                r.add(
                    e, f"recorded at {e['at']} while a hold was in effect past its ceiling {expires.isoformat()} (D4)"
                )
            if name == "expire_hold" and at != expires:
                r.add(e, f"the hold expired at {e['at']}, not at its ceiling {expires.isoformat()} (D4)")
            if e.get("target") != HOLD:
                claim_overlap(hold, at, e)
                hold, expires = None, None
        if name == "attach_warrant" and data.get("warrant_type") in HOLD_SUPPORTING_WARRANTS:
            hold_warrant = True
        elif name == "serve_subject":
            served = True
        elif name == "decide_hold":
            decided_hold = True
            if data.get("hold_allowed") is not True:
                r.add(
                    e,
                    f"hold decided although local law did not allow it (hold_allowed={data.get('hold_allowed')!r}) (D2)",
                )
        elif name == "start_hold":
            missing = [
                what
                for what, ok in (
                    ("an I-200 or I-205 attached", hold_warrant),
                    ("service on the subject", served),
                    ("an LEA decision to hold", decided_hold),
                )
                if not ok
            ]
            if missing:
                r.add(e, "hold started without " + ", ".join(missing) + " (D1)")
            if data.get("hold_allowed") is not True:
                r.add(
                    e,
                    f"hold started although local law did not allow it (hold_allowed={data.get('hold_allowed')!r}) (D2)",
                )
            window = data.get("hold_window") or {}
            starts, expires = _dt(window.get("starts_at")), _dt(window.get("expires_at"))
            if starts is None or expires is None:
                r.add(e, "start_hold without a hold window (starts_at, expires_at) (D3)")
            else:
                if expires - starts > MAX_HOLD:
                    r.add(e, f"hold window of {expires - starts} exceeds {R_HOLD_48H.length_text} (D3)")
                if at is not None and starts > at:
                    r.add(e, f"hold window starts at {window['starts_at']}, after the hold started (D3)")
                if at is not None and at >= expires:
                    r.add(e, f"hold started at {e['at']}, at or after its own ceiling {window['expires_at']} (D3)")
            hold = e
        elif name == "close":
            group = data.get("outcome_group")
            if group not in OutcomeGroup.values or group == OutcomeGroup.OPEN_OR_UNKNOWN:
                r.add(e, f"closed without a final outcome_group (got {group!r}) (D6)")
    if hold is not None:
        if as_of is not None and expires is not None and as_of >= expires:
            r.add(
                hold, f"hold still in effect at {as_of.isoformat()}, at or after its ceiling {expires.isoformat()} (D4)"
            )
        claim_overlap(hold, as_of, None)


# --------------------------------------------------------------------------------------------- subpoenas


def _check_subpoena(events: list[Event], r: Report) -> None:
    for e in events:
        data = e.get("data") or {}
        if e.get("transition") == "issue" and data.get("is_judicial") is not False:
            r.add(e, f"an administrative subpoena issued with is_judicial={data.get('is_judicial')!r} (S1)")
        if e.get("transition") == "lapse" and _dt(data.get("return_due_at")) != _dt(e.get("at")):
            r.add(e, f"lapsed at {e.get('at')}, not at the return date {data.get('return_due_at')!r} (S2)")


# ------------------------------------------------------------------------------------------------- entry


def check_events(events: Iterable[Event], *, as_of: datetime | None = None) -> list[str]:
    """Replay exported events case by case and return every violation, in a human-readable sentence each.

    ``as_of`` is the moment the export describes (the last sweep): holds still in effect then are checked
    against their ceiling. Without it, open holds are only checked up to their last event.
    """
    cases: dict[tuple[str, Any], list[Event]] = {}
    for e in events:
        cases.setdefault((e.get("case", ""), e.get("id")), []).append(e)
    r = Report()
    for evs in cases.values():
        evs.sort(key=lambda e: (e.get("seq") is None, e.get("seq") or 0))
    claims = _claims(cases, r)
    for (case, _), evs in cases.items():
        _check_case(evs, r)
        if case in FSM_CASES:
            _check_graph(evs, r)
        for e in evs:
            if e.get("transition") == "attach_warrant":
                _check_warrant(e, r)
        if case == "detainer":
            _check_detainer(evs, claims, as_of, r)
        elif case == "subpoena":
            _check_subpoena(evs, r)
    return r.violations
