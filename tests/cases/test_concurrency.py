"""Races between two connections on one case: the row lock lets exactly one action through, the other gets
``InvalidTransition`` with a message that says what happened, and the transition log stays a clean chain.

Needs PostgreSQL: SQLite serialises writers, so there is no race to lose.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections

from holdtrack.audit.export import iter_events
from holdtrack.audit.models import Transition
from holdtrack.audit.services import audit_verify
from holdtrack.cases.invariants import check_events
from holdtrack.cases.models import DetainerState, ItemCategory, LeaDecision, ResponseType, SubpoenaResponse
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.cases.services.sweep import sweep
from holdtrack.core.errors import InvalidTransition
from holdtrack.custody import services as cs
from tests.factories import T0, book, hold_eligible, received

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections (PostgreSQL)"),
]

ROUNDS = 4  # several rounds, so that both orders of arrival are likely to be exercised


def race(*calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run the calls in parallel threads released together by a barrier; ('ok', result) or ('error', exc)."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("missing", None)] * len(calls)

    def run(n: int, fn: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # each thread has its own connection; open it before the start line
            barrier.wait(timeout=10)
            results[n] = ("ok", fn())
        except Exception as e:  # the loser's error is the result under test
            results[n] = ("error", e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, fn)) for n, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racer is stuck (deadlock?)"
    return results


def one_winner(results: list[tuple[str, Any]]) -> tuple[int, InvalidTransition]:
    winners = [n for n, (kind, _) in enumerate(results) if kind == "ok"]
    errors = [value for kind, value in results if kind == "error"]
    assert len(winners) == 1 and len(errors) == 1, results
    assert isinstance(errors[0], InvalidTransition), repr(errors[0])
    return winners[0], errors[0]


def assert_log_is_sound() -> None:
    seqs = Counter(Transition.objects.values_list("case_type", "case_id", "seq"))
    assert not [k for k, n in seqs.items() if n > 1], "duplicate seq in the transition log"
    assert check_events(iter_events()) == []
    assert audit_verify().ok


def test_two_counsel_decisions_on_one_detainer(world):
    for _ in range(ROUNDS):
        d = received(world)
        ds.detainer_serve_subject(actor=world.booking_clerk, detainer=d, at=T0 + timedelta(minutes=40))
        decide = [
            lambda decision=decision, d=d: ds.detainer_decide(
                actor=world.lea_counsel, detainer=d, decision=decision, at=T0 + timedelta(hours=1)
            )
            for decision in (LeaDecision.HONOR_HOLD, LeaDecision.DECLINE)
        ]
        winner, error = one_winner(race(*decide))
        d.refresh_from_db()
        assert d.state == (DetainerState.ACTIVE_HOLD_ELIGIBLE, DetainerState.DECLINED)[winner]
        assert d.lea_decision == (LeaDecision.HONOR_HOLD, LeaDecision.DECLINE)[winner]
        assert f"The detainer is '{d.get_state_display()}', not under policy review." in str(error)
        names = list(Transition.objects.filter(case_type="detainer", case_id=d.pk).values_list("name", flat=True))
        assert sum(n in ("decide_hold", "decline") for n in names) == 1
    assert_log_is_sound()


def test_custody_transfer_against_the_sweep_at_the_ceiling(world):
    for _ in range(ROUNDS):
        d = hold_eligible(world)
        eligible = T0 + timedelta(days=1)
        cs.booking_record_release_eligibility(
            actor=world.booking_clerk, booking=d.booking, at=eligible, reason="BOND_POSTED"
        )
        ceiling = eligible + timedelta(hours=48)
        transfer, swept = race(
            lambda d=d, at=ceiling - timedelta(minutes=1): ds.detainer_transfer_custody(
                actor=world.officer, detainer=d, at=at
            ),
            lambda at=ceiling: sweep(at),
        )
        assert swept[0] == "ok", swept
        d.refresh_from_db()
        if transfer[0] == "ok":
            # The agency took custody a minute before the ceiling; the sweep found no hold left to expire.
            assert swept[1].holds_expired == 0
            assert d.state in (DetainerState.CUSTODY_TRANSFERRED, DetainerState.CLOSED)
            assert d.booking.release_type == "TRANSFER_TO_ICE"
        else:
            # The sweep ended the hold at its ceiling first; the late-recorded transfer is refused, clearly.
            error = transfer[1]
            assert isinstance(error, InvalidTransition), repr(error)
            assert swept[1].holds_expired == 1
            assert d.state == DetainerState.RELEASED_WINDOW_EXPIRED
            assert "the hold ended at its ceiling" in str(error) and "cannot be transferred" in str(error)
            assert d.booking.released_at is None
        left_hold = Transition.objects.filter(case_type="detainer", case_id=d.pk, source="HOLD_IN_EFFECT")
        assert left_hold.count() == 1
    assert_log_is_sound()


@pytest.mark.parametrize(
    "responses",
    [
        (ResponseType.OBJECTION_LETTER, ResponseType.DECLINATION),
        (ResponseType.FULL_PRODUCTION, ResponseType.FULL_PRODUCTION),  # a double submission
    ],
    ids=["objection-vs-declination", "double-full-production"],
)
def test_two_responses_to_one_subpoena(world, responses):
    subject = book(world).subject
    for _ in range(ROUNDS):
        s = ss.subpoena_draft(
            actor=world.officer, recipient_lea=world.lea, subject=subject, items=[ItemCategory.HOME_ADDRESS], at=T0
        )
        ss.subpoena_issue(actor=world.supervisor, subpoena=s, at=T0 + timedelta(hours=1))
        ss.subpoena_serve(actor=world.officer, subpoena=s, at=T0 + timedelta(hours=2))
        ss.subpoena_acknowledge(actor=world.booking_clerk, subpoena=s, at=T0 + timedelta(hours=3))

        def respond(kind: str, s: Any = s) -> Any:
            produce = kind == ResponseType.FULL_PRODUCTION
            return ss.subpoena_respond(
                actor=world.lea_counsel,
                subpoena=s,
                response_type=kind,
                produced_items=[ItemCategory.HOME_ADDRESS] if produce else [],
                grounds="" if produce else "No court order (local law).",
                at=T0 + timedelta(days=1),
            )

        winner, error = one_winner(race(*[lambda kind=kind: respond(kind) for kind in responses]))
        s.refresh_from_db()
        # The loser is told the state the winner left and the states its step needs (ADR 0019; issue 14).
        assert f"Subpoena {s.pk} is '{s.get_state_display()}'" in str(error)
        assert "is possible only from 'Served'" in str(error)
        # The loser's response row was rolled back with its transaction.
        assert list(SubpoenaResponse.objects.filter(subpoena=s).values_list("response_type", flat=True)) == [
            responses[winner]
        ]
    assert_log_is_sound()
