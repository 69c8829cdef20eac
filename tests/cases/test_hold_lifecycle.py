from datetime import timedelta

import pytest

from holdtrack.cases.models import DetainerState, OutcomeGroup
from holdtrack.cases.services.sweep import sweep
from holdtrack.custody import services as cs
from tests.factories import T0, hold_eligible

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_hold_runs_48_clock_hours_from_release_eligibility_and_ends_by_itself(world):
    d = hold_eligible(world)
    assert d.state == DetainerState.ACTIVE_HOLD_ELIGIBLE
    eligible = T0 + timedelta(days=2)
    cs.booking_record_release_eligibility(
        actor=world.booking_clerk, booking=d.booking, at=eligible, reason="BOND_POSTED"
    )
    d.refresh_from_db()
    assert d.state == DetainerState.HOLD_IN_EFFECT
    assert d.hold_expires_at == eligible + timedelta(hours=48)
    assert d.hold_rule == "R-HOLD-48H v1"

    assert sweep(eligible + timedelta(hours=47)).holds_expired == 0
    assert sweep(eligible + timedelta(hours=48)).holds_expired == 1
    d.refresh_from_db()
    assert d.state == DetainerState.RELEASED_WINDOW_EXPIRED
    assert d.work_items.filter(kind="RELEASE_REQUIRED", resolved_at__isnull=True).exists()

    # Released three hours late: the detainer closes with an over-detention flag measured in minutes.
    cs.booking_release(
        actor=world.booking_clerk, booking=d.booking, at=eligible + timedelta(hours=51), release_type="BOND"
    )
    sweep(eligible + timedelta(hours=52))
    d.refresh_from_db()
    assert d.state == DetainerState.CLOSED
    assert d.outcome_group == OutcomeGroup.HOLD_EXPIRED_RELEASED
    assert d.over_detention_flags == [{"code": "V2", "minutes": 180, "detail": "custody past the hold ceiling"}]
    assert d.hold_minutes_used == 48 * 60
    assert not d.work_items.filter(kind="RELEASE_REQUIRED", resolved_at__isnull=True).exists()
