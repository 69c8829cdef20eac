"""The external invariant checker: each rule catches a hand-made bad stream; real service runs pass."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from holdtrack.audit.export import iter_events
from holdtrack.cases.invariants import check_events, fsm_graph
from holdtrack.cases.models import DetainerState, ItemCategory, NotificationKind
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.cases.services.sweep import sweep
from holdtrack.core.errors import InvalidTransition
from holdtrack.core.timeutil import iso
from holdtrack.custody import services as cs
from tests.factories import T0, hold_eligible

Event = dict[str, Any]
E = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # release eligibility in the hand-made streams
CEILING = E + timedelta(hours=48)
RETURN_DUE = datetime(2026, 3, 17, 4, 59, 59, tzinfo=UTC)
_tid = iter(range(1, 1_000_000))


def ev(
    case: str, case_id: int, name: str, source: str, target: str, at: datetime, channel: str = "PORTAL", **data: Any
) -> Event:
    return {
        "case": case,
        "id": case_id,
        "seq": 0,  # numbered by _numbered
        "at": iso(at),
        "transition": name,
        "source": source,
        "target": target,
        "actor_role": "SYSTEM" if channel == "SYSTEM" else "LEA_COUNSEL",
        "channel": channel,
        "data": data,
        "tid": next(_tid),
    }


def _numbered(events: list[Event]) -> list[Event]:
    seqs: dict[tuple[str, int], int] = {}
    for e in events:
        k = (e["case"], e["id"])
        seqs[k] = seqs.get(k, 0) + 1
        e["seq"] = seqs[k]
    return events


def window(starts: datetime = E, expires: datetime = CEILING) -> dict[str, Any]:
    return {"starts_at": starts.isoformat(), "expires_at": expires.isoformat(), "rule": "R-HOLD-48H v1"}


def detainer_stream(*, subject_id: int = 7) -> list[Event]:
    """A lawful detainer: warrant, service, decision, hold from eligibility, expiry at the ceiling, close."""
    d = "detainer"
    return [
        ev(d, 1, "prepare", "", "PREPARED", T0, subject_id=subject_id),
        ev(d, 1, "attach_warrant", "PREPARED", "PREPARED", T0, warrant_id=1, warrant_type="I200", is_judicial=False),
        ev(d, 1, "approve", "PREPARED", "APPROVED", T0 + timedelta(minutes=10), warrant_ids=[1]),
        ev(d, 1, "transmit", "APPROVED", "TRANSMITTED", T0 + timedelta(minutes=11)),
        ev(d, 1, "receive", "TRANSMITTED", "RECEIVED", T0 + timedelta(minutes=30)),
        ev(d, 1, "pass_validation", "RECEIVED", "UNDER_POLICY_REVIEW", T0 + timedelta(minutes=30), "SYSTEM"),
        ev(d, 1, "serve_subject", "UNDER_POLICY_REVIEW", "UNDER_POLICY_REVIEW", T0 + timedelta(minutes=40)),
        ev(
            d,
            1,
            "decide_hold",
            "UNDER_POLICY_REVIEW",
            "ACTIVE_HOLD_ELIGIBLE",
            T0 + timedelta(hours=1),
            hold_allowed=True,
        ),
        ev(
            d,
            1,
            "start_hold",
            "ACTIVE_HOLD_ELIGIBLE",
            "HOLD_IN_EFFECT",
            E,
            "SYSTEM",
            hold_window=window(),
            hold_allowed=True,
        ),
        ev(d, 1, "expire_hold", "HOLD_IN_EFFECT", "RELEASED_WINDOW_EXPIRED", CEILING, "SYSTEM", hold_window=window()),
        ev(
            d,
            1,
            "close",
            "RELEASED_WINDOW_EXPIRED",
            "CLOSED",
            CEILING + timedelta(hours=2),
            "SYSTEM",
            outcome_group="HOLD_EXPIRED_RELEASED",
        ),
    ]


def claim_stream(opened: datetime, resolved: datetime | None, *, claim_id: int = 3, subject_id: int = 7) -> list[Event]:
    c = "citizenship_claim"
    out = [ev(c, claim_id, "open", "", "OPEN", opened, basis="ASSERTED", subject_id=subject_id)]
    if resolved is not None:
        out.append(ev(c, claim_id, "verify_noncitizen", "OPEN", "VERIFIED_NONCITIZEN", resolved))
    return out


def subpoena_stream() -> list[Event]:
    s = "subpoena"
    served = T0 + timedelta(days=1)
    return [
        ev(s, 5, "draft", "", "DRAFT", T0, items=["HOME_ADDRESS"]),
        ev(s, 5, "issue", "DRAFT", "ISSUED", T0 + timedelta(hours=1), is_judicial=False),
        ev(s, 5, "serve", "ISSUED", "SERVED", served),
        ev(s, 5, "lapse", "SERVED", "NO_RESPONSE", RETURN_DUE, "SYSTEM", return_due_at=RETURN_DUE.isoformat()),
    ]


def good() -> list[Event]:
    # Claims resolved before the hold started, about another subject, or raised after the hold ended are lawful.
    return _numbered(
        detainer_stream()
        + claim_stream(T0 + timedelta(hours=2), T0 + timedelta(hours=3))
        + claim_stream(E + timedelta(hours=1), None, claim_id=4, subject_id=99)
        + claim_stream(CEILING + timedelta(hours=1), None, claim_id=6)
        + subpoena_stream()
    )


def find(events: list[Event], case: str, name: str) -> Event:
    return next(e for e in events if e["case"] == case and e["transition"] == name)


def without(events: list[Event], case: str, name: str) -> list[Event]:
    """Drop an event and renumber, so that only the intended rule fails."""
    return _numbered([e for e in events if not (e["case"] == case and e["transition"] == name)])


def test_a_lawful_stream_passes():
    assert check_events(good()) == []


def test_the_fsm_graph_is_introspected_from_the_models():
    g = fsm_graph("detainer")
    assert g.initial == "PREPARED"
    assert g.allows("start_hold", "ACTIVE_HOLD_ELIGIBLE", "HOLD_IN_EFFECT")
    assert not g.allows("start_hold", "UNDER_POLICY_REVIEW", "HOLD_IN_EFFECT")
    assert fsm_graph("subpoena").allows("lapse", "RESPONSE_DUE", "NO_RESPONSE")
    assert fsm_graph("court_case").initial == "PETITION_FILED"
    assert fsm_graph("citizenship_claim").allows("verify_citizen", "OPEN", "VERIFIED_USC")


def _seq_gap(s: list[Event]) -> list[Event]:
    find(s, "detainer", "transmit")["seq"] = 9
    return s


def _not_utc_z(s: list[Event]) -> list[Event]:
    e = find(s, "detainer", "approve")
    e["at"] = e["at"].replace("Z", "+00:00")
    return s


def _backwards(s: list[Event]) -> list[Event]:
    find(s, "detainer", "serve_subject")["at"] = iso(T0 + timedelta(minutes=20))
    return s


def _expiry_off_ceiling(s: list[Event]) -> list[Event]:
    find(s, "detainer", "expire_hold")["at"] = iso(CEILING + timedelta(minutes=5))
    return s


def _broken_chain(s: list[Event]) -> list[Event]:
    find(s, "detainer", "receive")["source"] = "APPROVED"
    return s


def _wrong_start(s: list[Event]) -> list[Event]:
    find(s, "detainer", "prepare")["target"] = "RECEIVED"
    find(s, "detainer", "attach_warrant").update(source="RECEIVED", target="RECEIVED")
    find(s, "detainer", "approve")["source"] = "RECEIVED"
    return s


def _skipped_decision(s: list[Event]) -> list[Event]:
    # The LEA decision is skipped: policy review straight into a hold.
    s = without(s, "detainer", "decide_hold")
    find(s, "detainer", "start_hold")["source"] = "UNDER_POLICY_REVIEW"
    return s


def _subpoena_skips_service(s: list[Event]) -> list[Event]:
    s = without(s, "subpoena", "serve")
    find(s, "subpoena", "lapse")["source"] = "ISSUED"
    return s


def _note_named_like_a_transition(s: list[Event]) -> list[Event]:
    find(s, "detainer", "serve_subject")["transition"] = "approve"
    return s


def _admin_warrant_as_judicial(s: list[Event]) -> list[Event]:
    find(s, "detainer", "attach_warrant")["data"].update(warrant_type="I205", is_judicial=True)
    return s


def _only_an_i203(s: list[Event]) -> list[Event]:
    find(s, "detainer", "attach_warrant")["data"]["warrant_type"] = "I203"
    return s


def _unserved(s: list[Event]) -> list[Event]:
    return without(s, "detainer", "serve_subject")


def _decided_against_policy(s: list[Event]) -> list[Event]:
    find(s, "detainer", "decide_hold")["data"]["hold_allowed"] = False
    return s


def _started_without_policy_record(s: list[Event]) -> list[Event]:
    del find(s, "detainer", "start_hold")["data"]["hold_allowed"]
    return s


def _window_too_long(s: list[Event]) -> list[Event]:
    late = CEILING + timedelta(hours=1)
    find(s, "detainer", "start_hold")["data"]["hold_window"] = window(E, late)
    e = find(s, "detainer", "expire_hold")
    e.update(at=iso(late), data={"hold_window": window(E, late)})
    return s


def _started_after_its_ceiling(s: list[Event]) -> list[Event]:
    start = find(s, "detainer", "start_hold")
    start["data"]["hold_window"] = window(T0, T0 + timedelta(hours=48))
    find(s, "detainer", "expire_hold")["data"]["hold_window"] = window(T0, T0 + timedelta(hours=48))
    return s


def _recorded_in_hold_after_ceiling(s: list[Event]) -> list[Event]:
    # A notification stamped after the ceiling while the hold was still open (the sweep had not run).
    d = [e for e in s if e["case"] == "detainer"]
    rest = [e for e in s if e["case"] != "detainer"]
    i = d.index(find(d, "detainer", "expire_hold"))
    d.insert(i, ev("detainer", 1, "notify", "HOLD_IN_EFFECT", "HOLD_IN_EFFECT", CEILING + timedelta(hours=1)))
    return _numbered(d + rest)


def _claim_open_when_hold_started(s: list[Event]) -> list[Event]:
    return _numbered(s + claim_stream(E - timedelta(hours=1), E + timedelta(hours=1), claim_id=8))


def _claim_opened_during_hold(s: list[Event]) -> list[Event]:
    return _numbered(s + claim_stream(E + timedelta(hours=5), None, claim_id=8))


def _no_subject_on_prepare(s: list[Event]) -> list[Event]:
    del find(s, "detainer", "prepare")["data"]["subject_id"]
    return s


def _closed_without_outcome(s: list[Event]) -> list[Event]:
    find(s, "detainer", "close")["data"]["outcome_group"] = "OPEN_OR_UNKNOWN"
    return s


def _judicial_subpoena(s: list[Event]) -> list[Event]:
    find(s, "subpoena", "issue")["data"]["is_judicial"] = True
    return s


def _lapse_off_return_date(s: list[Event]) -> list[Event]:
    find(s, "subpoena", "lapse")["data"]["return_due_at"] = (RETURN_DUE - timedelta(days=1)).isoformat()
    return s


BAD: list[tuple[str, Callable[[list[Event]], list[Event]], str]] = [
    ("seq gap", _seq_gap, "(C1"),
    ("time not UTC Z", _not_utc_z, "ending in Z (C2)"),
    ("time runs backwards", _backwards, "earlier than an earlier event"),
    ("expiry not at the ceiling", _expiry_off_ceiling, "stamped exactly at the deadline"),
    ("source is not the previous target", _broken_chain, "(C3"),
    ("wrong initial state", _wrong_start, "(G1)"),
    ("edge not in the detainer graph", _skipped_decision, "UNDER_POLICY_REVIEW -> HOLD_IN_EFFECT by 'start_hold'"),
    ("edge not in the subpoena graph", _subpoena_skips_service, "not a transition of the Subpoena state machine"),
    ("note named like a transition", _note_named_like_a_transition, "(G3)"),
    ("administrative warrant recorded as judicial", _admin_warrant_as_judicial, "(W1)"),
    ("hold with only an I-203", _only_an_i203, "without an I-200 or I-205 attached (D1)"),
    ("hold on an unserved detainer", _unserved, "without service on the subject (D1)"),
    ("hold decided against local law", _decided_against_policy, "hold decided although local law"),
    ("hold started without the policy record", _started_without_policy_record, "hold started although local law"),
    ("window longer than 48 h", _window_too_long, "exceeds 48 hours (D3)"),
    ("hold started after its ceiling", _started_after_its_ceiling, "at or after its own ceiling"),
    ("event in a hold past its ceiling", _recorded_in_hold_after_ceiling, "past its ceiling"),
    ("claim open when the hold started", _claim_open_when_hold_started, "while citizenship claim 8"),
    ("claim opened during the hold", _claim_opened_during_hold, "during the hold, but the hold lasted"),
    ("detainer not joinable to claims", _no_subject_on_prepare, "lacks subject_id"),
    ("closed without an outcome", _closed_without_outcome, "(D6)"),
    ("subpoena recorded as judicial", _judicial_subpoena, "(S1)"),
    ("lapse not at the return date", _lapse_off_return_date, "(S2)"),
]


@pytest.mark.parametrize(("label", "mutate", "expected"), BAD, ids=[b[0] for b in BAD])
def test_each_rule_catches_a_bad_stream(label, mutate, expected):
    violations = check_events(mutate(copy.deepcopy(good())))
    assert any(expected in v for v in violations), (label, violations)


def test_a_claim_that_ends_the_hold_at_once_is_lawful():
    # Claim raised during the hold: the freeze at the same instant ends the hold (B3.1 D7).
    s = [e for e in detainer_stream() if e["transition"] not in ("expire_hold", "close")]
    raised = E + timedelta(hours=5)
    s += [
        ev("detainer", 1, "freeze_for_citizenship", "HOLD_IN_EFFECT", "CITIZENSHIP_REVIEW", raised, "SYSTEM"),
        *claim_stream(raised, None, claim_id=8),
    ]
    # The claim is recorded first, the freeze after it, at the same instant.
    s[-2]["tid"], s[-1]["tid"] = s[-1]["tid"], s[-2]["tid"]
    assert check_events(_numbered(s)) == []


def test_as_of_checks_holds_still_open():
    s = _numbered([e for e in detainer_stream() if e["transition"] not in ("expire_hold", "close")])
    assert check_events(s, as_of=CEILING - timedelta(minutes=1)) == []
    [v] = check_events(s, as_of=CEILING)
    assert "hold still in effect" in v


def test_a_deadline_stamped_event_may_precede_a_later_recorded_one():
    # The recipient docketed the subpoena after its return date; the sweep then records the lapse at the
    # return date itself. That is the one lawful way for time to step back within a case.
    s = [e for e in subpoena_stream() if e["transition"] != "lapse"]
    s += [
        ev("subpoena", 5, "triage", "SERVED", "RESPONSE_DUE", RETURN_DUE + timedelta(hours=3)),
        ev("subpoena", 5, "lapse", "RESPONSE_DUE", "NO_RESPONSE", RETURN_DUE, "SYSTEM", return_due_at=iso(RETURN_DUE)),
    ]
    assert check_events(_numbered(s)) == []
    # A user's event stamped in the past is not excused.
    s[-2], s[-1] = s[-1], s[-2]
    s[-1].update(transition="comply", source="NO_RESPONSE", target="COMPLIED", channel="PORTAL", data={})
    s[-2]["source"] = "SERVED"
    s[-1]["at"] = iso(RETURN_DUE - timedelta(hours=1))
    assert any("earlier than an earlier event" in v for v in check_events(_numbered(s)))


# ------------------------------------------------------------------------------------------ real services


ELIGIBLE = T0 + timedelta(days=2)


def _eligible(world, d):  # type: ignore[no-untyped-def]
    cs.booking_record_release_eligibility(
        actor=world.booking_clerk, booking=d.booking, at=ELIGIBLE, reason="BOND_POSTED"
    )
    d.refresh_from_db()
    return d


@pytest.mark.django_db
def test_real_lifecycles_pass(world):
    # Hold that expires at its ceiling, released late, closed.
    d1 = _eligible(world, hold_eligible(world))
    sweep(ELIGIBLE + timedelta(hours=48))
    cs.booking_release(
        actor=world.booking_clerk, booking=d1.booking, at=ELIGIBLE + timedelta(hours=49), release_type="BOND"
    )
    # Hold frozen by a citizenship claim, then lifted when the claim is verified.
    d2 = _eligible(world, hold_eligible(world))
    claim = cs.citizenship_claim_open(
        actor=world.booking_clerk, subject=d2.subject, basis="ASSERTED", at=ELIGIBLE + timedelta(hours=3)
    )
    cs.citizenship_claim_resolve(
        actor=world.supervisor, claim=claim, verified_citizen=True, notes="passport", at=ELIGIBLE + timedelta(hours=4)
    )
    cs.booking_release(
        actor=world.booking_clerk, booking=d2.booking, at=ELIGIBLE + timedelta(hours=5), release_type="OTHER"
    )
    # Subpoena docketed after its return date, then lapsed by the sweep at the return date.
    s = ss.subpoena_draft(
        actor=world.officer,
        recipient_lea=world.lea,
        subject=d1.subject,
        items=[ItemCategory.HOME_ADDRESS],
        return_days=3,
        at=T0,
    )
    ss.subpoena_issue(actor=world.supervisor, subpoena=s, at=T0 + timedelta(hours=1))
    s = ss.subpoena_serve(actor=world.officer, subpoena=s, at=T0 + timedelta(hours=2))
    ss.subpoena_acknowledge(actor=world.booking_clerk, subpoena=s, at=s.return_due_at + timedelta(hours=2))
    end = ELIGIBLE + timedelta(hours=50)
    sweep(end)
    d1.refresh_from_db()
    d2.refresh_from_db()
    s.refresh_from_db()
    assert (d1.state, d2.state, s.state) == (DetainerState.CLOSED, DetainerState.CLOSED, "NO_RESPONSE")
    assert check_events(iter_events(), as_of=end) == []


@pytest.mark.django_db
def test_a_notification_after_the_ceiling_meets_an_expired_hold(world):
    """No event may be recorded in a hold past its ceiling, even before the sweep has run."""
    d = _eligible(world, hold_eligible(world))
    late = ELIGIBLE + timedelta(hours=49)
    with pytest.raises(InvalidTransition):
        ds.notification_send(actor=world.booking_clerk, detainer=d, kind=NotificationKind.RELEASE_NOW, at=late)
    d.refresh_from_db()
    assert d.state == DetainerState.RELEASED_WINDOW_EXPIRED and d.hold_ended_at == d.hold_expires_at
    assert check_events(iter_events(), as_of=late) == []


@pytest.mark.django_db
def test_a_claim_after_the_ceiling_does_not_freeze_an_expired_hold(world):
    d = _eligible(world, hold_eligible(world))
    late = ELIGIBLE + timedelta(hours=49)
    cs.citizenship_claim_open(actor=world.booking_clerk, subject=d.subject, basis="ASSERTED", at=late)
    d.refresh_from_db()
    assert d.state == DetainerState.RELEASED_WINDOW_EXPIRED
    assert check_events(iter_events(), as_of=late) == []


@pytest.mark.django_db
def test_a_hold_resumed_after_a_claim_is_stamped_at_the_resolution(world):
    d = hold_eligible(world)
    claim = cs.citizenship_claim_open(
        actor=world.booking_clerk, subject=d.subject, basis="ASSERTED", at=ELIGIBLE - timedelta(hours=5)
    )
    _eligible(world, d)
    assert d.state == DetainerState.CITIZENSHIP_REVIEW
    resolved = ELIGIBLE + timedelta(hours=4)
    cs.citizenship_claim_resolve(
        actor=world.supervisor, claim=claim, verified_citizen=False, notes="records", at=resolved
    )
    d.refresh_from_db()
    assert d.state == DetainerState.HOLD_IN_EFFECT
    start = [e for e in iter_events(case_types=["detainer"]) if e["transition"] == "start_hold"][-1]
    assert start["at"] == iso(resolved)
    assert check_events(iter_events(), as_of=resolved) == []


@pytest.mark.django_db
def test_a_hold_decided_after_its_ceiling_never_starts(world):
    from tests.factories import received

    d = received(world)
    ds.detainer_serve_subject(actor=world.booking_clerk, detainer=d, at=T0 + timedelta(hours=1))
    cs.booking_record_release_eligibility(
        actor=world.booking_clerk, booking=d.booking, at=T0 + timedelta(hours=2), reason="BOND_POSTED"
    )
    late = T0 + timedelta(hours=51)
    ds.detainer_decide(actor=world.lea_counsel, detainer=d, decision="HONOR_HOLD", at=late)
    d.refresh_from_db()
    assert d.state == DetainerState.ACTIVE_HOLD_ELIGIBLE and d.hold_started_at is None
    assert check_events(iter_events(), as_of=late) == []
