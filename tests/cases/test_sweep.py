"""The periodic sweep (cases/services/sweep.py) is idempotent: a second run at the same ``now`` does nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from holdtrack.audit.models import AuditEvent, Transition
from holdtrack.cases.models import (
    CourtCase,
    CourtState,
    Detainer,
    DetainerState,
    ItemCategory,
    OrderType,
    Subpoena,
    SubpoenaState,
    WorkItem,
)
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.cases.services.sweep import SweepResult, sweep
from holdtrack.custody import services as cs
from tests.factories import T0, World, hold_eligible, make_world, received

pytestmark = pytest.mark.django_db

NOW = T0 + timedelta(days=30)  # Wednesday 2026-04-01, 15:00 UTC


def _subpoena(w: World, served_at, n: int) -> Subpoena:  # type: ignore[no-untyped-def]
    subject = cs.subject_create(actor=w.booking_clerk, first_name="Test", last_name=f"Sweep{n}")
    s = ss.subpoena_draft(
        actor=w.officer, recipient_lea=w.lea, subject=subject, items=[ItemCategory.HOME_ADDRESS], at=served_at
    )
    ss.subpoena_issue(actor=w.supervisor, subpoena=s, at=served_at)
    return ss.subpoena_serve(actor=w.officer, subpoena=s, at=served_at + timedelta(minutes=1))


def _in_court(w: World, n: int) -> CourtCase:
    s = _subpoena(w, T0, n)
    assert ss.subpoena_lapse_if_due(s, now=s.return_due_at)
    ref = ss.subpoena_refer(actor=w.supervisor, subpoena=s, doj_office=w.doj, at=s.return_due_at + timedelta(days=1))
    return ss.court_petition_file(
        actor=w.doj_attorney,
        referral=ref,
        court="S.D. Tex.",
        case_number=f"4:26-mc-{n:05d}",
        at=s.return_due_at + timedelta(days=2),
    )


def _everything_due(world: World) -> dict[str, object]:
    """One of each thing the sweep advances, all due at NOW."""
    # A hold whose ceiling passed (subject still in custody: it expires but does not close yet).
    expiring = hold_eligible(world)
    cs.booking_record_release_eligibility(
        actor=world.booking_clerk, booking=expiring.booking, at=T0 + timedelta(days=2), reason="BOND_POSTED"
    )
    # A declined detainer, ready to close.
    declined = ds.detainer_decide(
        actor=world.lea_counsel, detainer=received(world), decision="DECLINE", at=T0 + timedelta(hours=1)
    )
    # A covered office's detainer with no neutral review after 48 hours.
    covered = make_world(neutral_review=True, suffix=" (covered)")
    unreviewed = received(covered)
    # A subpoena past its return date, and one due within five days.
    lapsing = _subpoena(world, T0, 1)
    alerting = _subpoena(world, NOW - timedelta(days=12), 2)
    # A court case past its comply-by date, and a dismissed one ready to close.
    enforced = _in_court(world, 3)
    ss.court_order_record(
        actor=world.doj_attorney,
        case=enforced,
        order_type=OrderType.BRIEFING_SCHEDULE,
        issued_at=T0 + timedelta(days=19),
    )
    ss.court_order_record(
        actor=world.doj_attorney,
        case=enforced,
        order_type=OrderType.ORDER_ENFORCING_SUBPOENA,
        issued_at=T0 + timedelta(days=20),
        comply_within_days=3,
    )
    dismissed = _in_court(world, 4)
    ss.court_order_record(
        actor=world.doj_attorney, case=dismissed, order_type=OrderType.DISMISSAL, issued_at=T0 + timedelta(days=20)
    )
    return {
        "expiring": expiring,
        "declined": declined,
        "unreviewed": unreviewed,
        "lapsing": lapsing,
        "alerting": alerting,
        "enforced": enforced,
        "dismissed": dismissed,
    }


def _counts() -> tuple[int, int, int]:
    return Transition.objects.count(), WorkItem.objects.count(), AuditEvent.objects.count()


@pytest.mark.smoke
def test_sweep_is_idempotent(world):
    cases = _everything_due(world)
    first = sweep(NOW)
    assert first.as_dict() == {
        "holds_expired": 1,
        "detainers_closed": 1,
        "reviews_overdue": 1,
        "subpoenas_lapsed": 1,
        "subpoena_alerts": 1,
        "court_noncompliance": 1,
        "cases_closed": 2,  # the dismissed case and its withdrawn subpoena
        "booking_areas_repaired": 0,  # every booking was recorded with its area
    }
    states = (
        {d.pk: d.state for d in Detainer.objects.all()},
        {s.pk: s.state for s in Subpoena.objects.all()},
        {c.pk: c.state for c in CourtCase.objects.all()},
    )
    before = _counts()

    second = sweep(NOW)
    assert second == SweepResult()
    assert all(v == 0 for v in second.as_dict().values())
    assert _counts() == before  # no duplicate transitions, work items or audit events
    assert (
        {d.pk: d.state for d in Detainer.objects.all()},
        {s.pk: s.state for s in Subpoena.objects.all()},
        {c.pk: c.state for c in CourtCase.objects.all()},
    ) == states
    assert sweep(NOW) == SweepResult()

    expiring = Detainer.objects.get(pk=cases["expiring"].pk)  # type: ignore[attr-defined]
    assert expiring.state == DetainerState.RELEASED_WINDOW_EXPIRED
    assert Transition.objects.filter(case_type="detainer", case_id=expiring.pk, name="expire_hold").count() == 1
    assert Detainer.objects.get(pk=cases["declined"].pk).state == DetainerState.CLOSED  # type: ignore[attr-defined]
    assert Subpoena.objects.get(pk=cases["lapsing"].pk).state == SubpoenaState.NO_RESPONSE  # type: ignore[attr-defined]
    assert CourtCase.objects.get(pk=cases["enforced"].pk).state == CourtState.NONCOMPLIANCE  # type: ignore[attr-defined]
    assert CourtCase.objects.get(pk=cases["dismissed"].pk).state == CourtState.CLOSED  # type: ignore[attr-defined]
    assert WorkItem.objects.filter(dedupe_key__startswith="NEUTRAL_REVIEW_OVERDUE").count() == 1
    assert WorkItem.objects.filter(dedupe_key__startswith="SUBPOENA_RETURN_DUE").count() == 1
    assert WorkItem.objects.filter(dedupe_key__startswith="RELEASE_REQUIRED").count() == 1


def test_empty_sweep_does_nothing(db):
    before = _counts()
    assert sweep(NOW) == SweepResult()
    assert _counts() == before


def test_later_sweep_only_does_what_became_due(world):
    _everything_due(world)
    sweep(NOW)
    later = sweep(NOW + timedelta(days=1))
    # Only the next alert step of the subpoena due in about two days is new.
    assert later.as_dict() == {**SweepResult().as_dict(), "subpoena_alerts": 1}
    assert sweep(NOW + timedelta(days=1)) == SweepResult()
