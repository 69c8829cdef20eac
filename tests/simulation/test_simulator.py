"""The simulator: deterministic for a seed, idempotent per seed, and every event it writes through the services
passes the invariants of the exported transition log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest

from holdtrack.audit.models import AuditEvent, Transition
from holdtrack.cases.models import Detainer, DetainerState, LiftReason
from holdtrack.custody.models import Booking, CitizenshipClaim, Subject
from holdtrack.jurisdictions.reference import load_reference
from holdtrack.simulation import build_plan, simulate, summarize

END = date(2026, 3, 31)
# Runs commit each simulated day, as in production: inside one test-wide transaction every service call would
# be a savepoint, and PostgreSQL slows down sharply past 64 subtransactions per transaction.
committing = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reference():
    load_reference()


@pytest.mark.django_db
def test_plan_is_a_function_of_the_seed(reference):
    a = build_plan(7, 30, 0.02, END)
    b = build_plan(7, 30, 0.02, END)
    assert a == b
    assert a.detainer_count > 100
    assert a.stories != build_plan(8, 30, 0.02, END).stories
    # Bookings may precede the window; detainers are prepared inside it.
    detainers = [s for s in a.stories if s.kind == "detainer"]
    assert all(a.start <= s.prepare_at < a.end and s.booked_at < s.prepare_at for s in detainers)
    assert len(detainers) < len(a.stories)  # plus a few bookings whose proposed match is rejected


@pytest.mark.slow
@committing
def test_sixty_days_pass_every_invariant(reference):
    from holdtrack.audit.export import iter_events
    from holdtrack.cases.invariants import check_events

    result = simulate(seed=11, days=60, scale=0.02, end=END)
    assert not result.skipped
    cases = result.summary["case_types"]
    assert cases["detainers"] > 500
    assert cases["citizenship claims"] >= 1  # at least one claim in any run of this size
    outcomes = result.summary["detainer_outcomes"]
    for group in ("CUSTODY_TRANSFERRED", "DECLINED_BY_LEA", "RELEASED_BEFORE_PICKUP", "LIFTED_BY_ICE"):
        assert outcomes.get(group, 0) > 0, group

    violations = check_events(iter_events(), as_of=result.horizon)
    assert violations == [], "\n".join(violations[:20])

    # Every subject whose citizenship was verified had the claim workflow lift the detainer.
    for claim in CitizenshipClaim.objects.filter(status="VERIFIED_USC"):
        for d in Detainer.objects.filter(subject=claim.subject):
            assert d.lift_reason == LiftReason.USC_CLAIM or d.state in (DetainerState.DECLINED, DetainerState.CLOSED)


@pytest.mark.slow
@committing
def test_rerunning_a_seed_adds_nothing(reference):
    first = simulate(seed=3, days=10, scale=0.02, end=END)
    assert not first.skipped and first.summary["case_types"]["detainers"] > 0
    counts = [m.objects.count() for m in (Subject, Booking, Detainer, Transition, AuditEvent)]

    again = simulate(seed=3, days=10, scale=0.02, end=END)
    assert again.skipped
    assert [m.objects.count() for m in (Subject, Booking, Detainer, Transition, AuditEvent)] == counts
    assert again.summary == first.summary == summarize(3)


@pytest.mark.slow
@committing
def test_same_seed_gives_the_same_history_on_a_fresh_database(reference, tmp_path):
    """Run once here (the test database, PostgreSQL in CI) and once in a fresh embedded SQLite database."""
    here = simulate(seed=5, days=10, scale=0.02, end=END).summary

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["HOLDTRACK_VAR_DIR"] = str(tmp_path / "var")

    def holdtrack(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 - fixed arguments, our own console script
            [sys.executable, "-m", "holdtrack", *args], env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    holdtrack("migrate", "-v0")
    holdtrack("load_reference")
    there = json.loads(
        holdtrack("simulate", "--days", "10", "--seed", "5", "--scale", "0.02", "--end", END.isoformat(), "--json")
    )
    assert there == json.loads(json.dumps(here))
