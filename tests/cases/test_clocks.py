"""Legal clocks (cases/clocks.py): computed from events and a versioned rule, DST-safe, and able to explain
themselves (domain.md A1.5, B4, C3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from holdtrack.cases import clocks
from holdtrack.core.timeutil import local

LA = "America/Los_Angeles"
CHI = "America/Chicago"


# ------------------------------------------------------------------------------------------ hold ceiling


def test_hold_window_is_48_clock_hours_across_the_spring_dst_change():
    eligible = datetime(2026, 3, 7, 20, 0, tzinfo=ZoneInfo(LA))  # PST; clocks spring forward on 2026-03-08
    c = clocks.hold_window(eligible, max_hours=48, ceiling_rule="R-HOLD-48H v1", tz_name=LA)
    assert c.due_at - c.starts_at == timedelta(hours=48)  # real elapsed hours, not wall-clock hours
    assert c.due_at == datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    # The displayed local time shifts by an hour: 20:00 PST -> 21:00 PDT two days later.
    assert local(c.starts_at, LA) == "2026-03-07 20:00 PST"
    assert local(c.due_at, LA) == "2026-03-09 21:00 PDT"
    assert c.rule == "R-HOLD-48H v1"
    assert "48 clock hours from release eligibility at 2026-03-07 20:00 PST" in c.explanation
    assert "rule R-HOLD-48H v1" in c.explanation


def test_hold_window_is_48_clock_hours_across_the_autumn_dst_change():
    eligible = datetime(2026, 10, 31, 20, 0, tzinfo=ZoneInfo(LA))  # PDT; clocks fall back on 2026-11-01
    c = clocks.hold_window(eligible, max_hours=48, ceiling_rule="R-HOLD-48H v1", tz_name=LA)
    assert c.due_at - eligible == timedelta(hours=48)
    assert local(c.due_at, LA) == "2026-11-02 19:00 PST"


def test_hold_window_can_only_be_shortened_and_names_the_shortening_policy():
    eligible = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    longer = clocks.hold_window(eligible, max_hours=96, ceiling_rule="R-HOLD-48H v1")
    assert longer.due_at == eligible + timedelta(hours=48)  # never extended automatically (domain.md A1.5)
    shorter = clocks.hold_window(eligible, max_hours=24, ceiling_rule="XX-SHORT v2", policy_note="policy: XX-SHORT v2")
    assert shorter.due_at == eligible + timedelta(hours=24)
    assert shorter.rule == "XX-SHORT v2"
    assert "24 clock hours" in shorter.explanation
    assert "rule R-HOLD-48H v1" in shorter.explanation and "shortened by XX-SHORT v2" in shorter.explanation
    zero = clocks.hold_window(eligible, max_hours=0, ceiling_rule="XX-NONE v1")
    assert zero.due_at == eligible


def test_clock_status_and_serialisation():
    start = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    c = clocks.hold_window(start, max_hours=48, ceiling_rule="R-HOLD-48H v1")
    assert c.status(start + timedelta(hours=47)) == "running"
    assert c.status(start + timedelta(hours=48)) == "expired"
    assert c.remaining(start + timedelta(hours=47)) == timedelta(hours=1)
    met = clocks.Clock(c.name, c.label, c.starts_at, c.due_at, c.rule, c.explanation, stopped_at=c.due_at)
    missed = clocks.Clock(
        c.name, c.label, c.starts_at, c.due_at, c.rule, c.explanation, stopped_at=c.due_at + timedelta(minutes=1)
    )
    assert met.status(start) == "met" and missed.status(start) == "missed"
    d = c.as_dict(start)
    assert d["due_at"] == "2026-03-06T15:00:00Z" and d["rule"] == "R-HOLD-48H v1" and d["status"] == "running"


def test_every_rule_has_an_id_version_and_citation():
    for ref, rule in clocks.RULES.items():
        assert ref == f"{rule.id} v{rule.version}"
        assert rule.citation and rule.title


def test_a_rules_length_is_stated_once_on_the_rule_and_read_everywhere():
    from holdtrack.cases import invariants
    from holdtrack.jurisdictions import policy

    start = datetime(2026, 3, 7, 20, 0, tzinfo=UTC)
    review = clocks.R_NEUTRAL_REVIEW
    assert review.length == timedelta(hours=48) and review.hours == 48 and review.length_text == "48 hours"
    assert review.due(start) == start + timedelta(hours=48) and review.before(review.due(start)) == start
    assert clocks.R_NOTICE_48H.before(start) == start - timedelta(hours=48)
    assert clocks.R_CO_RELEASE_6H.hours == 6
    # The policy evaluation's default ceiling and the invariants' bound are the rule's.
    assert clocks.R_HOLD_48H.hours == policy.DEFAULT_HOLD_HOURS and clocks.R_HOLD_48H.ref == policy.DEFAULT_HOLD_RULE
    assert clocks.R_HOLD_48H.length == invariants.MAX_HOLD
    # A policy never lengthens the ceiling past the rule.
    assert clocks.hold_window(start, max_hours=72, ceiling_rule="X").due_at == clocks.R_HOLD_48H.due(start)
    # Day-counted rules take their length from the case (the subpoena, the order).
    with pytest.raises(ValueError, match="sets no length"):
        clocks.R_SUBPOENA_RETURN.due(start)


# ---------------------------------------------------------------------------------------- day counting


@pytest.mark.parametrize(
    ("start", "days", "due", "rolled"),
    [
        (date(2026, 3, 2), 14, date(2026, 3, 16), False),  # Monday -> Monday
        (date(2026, 3, 2), 12, date(2026, 3, 16), True),  # Saturday 2026-03-14 -> Monday
        (date(2026, 3, 2), 13, date(2026, 3, 16), True),  # Sunday 2026-03-15 -> Monday
        (date(2026, 1, 5), 14, date(2026, 1, 20), True),  # Martin Luther King Jr. Day -> Tuesday
        (date(2026, 6, 19), 14, date(2026, 7, 6), True),  # Independence Day observed (Fri) -> Monday
        (date(2026, 11, 12), 14, date(2026, 11, 27), True),  # Thanksgiving -> Friday
        (date(2026, 12, 11), 14, date(2026, 12, 28), True),  # Christmas (Fri) -> Monday
        (date(2027, 12, 17), 14, date(2028, 1, 3), True),  # New Year's Day 2028 observed on Fri 2027-12-31
        (date(2026, 3, 2), 1, date(2026, 3, 3), False),  # the trigger day is excluded
    ],
)
def test_frcp_day_counting_rolls_past_weekends_and_federal_holidays(start, days, due, rolled):
    started = datetime.combine(start, time(9, 30), tzinfo=ZoneInfo(CHI))
    at, note = clocks.days_from(started, days, CHI)
    assert at == datetime.combine(due, time(23, 59, 59), tzinfo=ZoneInfo(CHI))
    assert note.startswith(f"{days} days from {start.isoformat()}")
    assert ("is a weekend or federal holiday" in note) is rolled


def test_days_are_counted_in_the_recipients_zone_not_utc():
    # 02:00 UTC on Tuesday is still Monday evening in Chicago: the count starts from Monday.
    at, _ = clocks.days_from(datetime(2026, 3, 3, 2, 0, tzinfo=UTC), 14, CHI)
    assert at.astimezone(ZoneInfo(CHI)).date() == date(2026, 3, 16)
    at_utc, _ = clocks.days_from(datetime(2026, 3, 3, 2, 0, tzinfo=UTC), 14, "UTC")
    assert at_utc.date() == date(2026, 3, 17)


def test_subpoena_return_and_comply_by_explain_themselves():
    served = datetime(2026, 3, 7, 10, 0, tzinfo=ZoneInfo(CHI))
    ret = clocks.subpoena_return(served, 14, CHI)
    assert ret.rule == "R-SUBPOENA-RETURN v1"
    assert "rule R-SUBPOENA-RETURN v1" in ret.explanation
    assert "2026-03-21 is a weekend or federal holiday, so the date runs to 2026-03-23" in ret.explanation
    assert "service at 2026-03-07 10:00 CST" in ret.explanation
    order = datetime(2026, 5, 20, 16, 0, tzinfo=UTC)
    cb = clocks.comply_by(order, 14, CHI)
    assert cb.rule == "R-COMPLY-BY v1" and "rule R-COMPLY-BY v1" in cb.explanation
    assert cb.due_at == datetime(2026, 6, 3, 23, 59, 59, tzinfo=ZoneInfo(CHI))


ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Pacific/Honolulu", "UTC"]


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2080, 12, 31), timezones=st.just(UTC)),
    days=st.integers(min_value=1, max_value=60),
    zone=st.sampled_from(ZONES),
)
def test_return_date_property(start, days, zone):
    """For any service time and 1..60 days, the return date is a business day, on or after the nominal date,
    and less than five days after it; it ends at 23:59:59 local time."""
    tz = ZoneInfo(zone)
    due = clocks.subpoena_return(start, days, zone).due_at
    nominal = start.astimezone(tz).date() + timedelta(days=days)
    local_due = due.astimezone(tz)
    day = local_due.date()
    us = holidays.country_holidays("US", years=range(day.year - 1, day.year + 2))
    assert day.weekday() < 5
    assert day not in us
    assert day >= nominal
    assert (day - nominal).days < 5
    assert local_due.time() == time(23, 59, 59)
    assert due.utcoffset() == timedelta(0)  # stored as UTC


# ---------------------------------------------------------------------------------- through the services


@pytest.fixture
def la_world(db):  # type: ignore[no-untyped-def]
    from tests.factories import AorFactory, CountyFactory, StateFactory, make_world

    ca = StateFactory(fips="06", name="California", state_abbr="CA", timezone=LA)
    county = CountyFactory(
        fips="06037", name="Los Angeles County", state_abbr="CA", parent=ca, timezone=LA, aor=AorFactory(name="LA")
    )
    return make_world(county=county, suffix=" (LA)")


@pytest.mark.parametrize("given_in", [LA, "UTC"])
def test_hold_recorded_in_a_dst_week_lasts_48_real_hours(la_world, given_in):
    """Release eligibility recorded as 2026-03-07 20:00 PST (whichever zone the caller used): the ceiling is 48
    elapsed hours later, shown as 21:00 PDT on 2026-03-09."""
    from holdtrack.cases.models import Detainer, DetainerState
    from holdtrack.custody import services as cs
    from tests.factories import T0, hold_eligible

    d = hold_eligible(la_world, at=T0)
    eligible = datetime(2026, 3, 7, 20, 0, tzinfo=ZoneInfo(LA)).astimezone(ZoneInfo(given_in))
    cs.booking_record_release_eligibility(
        actor=la_world.booking_clerk, booking=d.booking, at=eligible, reason="PR_ORDERED"
    )
    d = Detainer.objects.get(pk=d.pk)
    assert d.state == DetainerState.HOLD_IN_EFFECT
    assert d.hold_expires_at == datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    assert (d.hold_expires_at - d.hold_started_at).total_seconds() == 48 * 3600
    assert local(d.hold_expires_at, LA) == "2026-03-09 21:00 PDT"
    [ceiling] = [c for c in clocks.detainer_clocks(d) if c.name == "hold_ceiling"]
    assert ceiling.due_at == d.hold_expires_at
    assert "48 clock hours from release eligibility at 2026-03-07 20:00 PST" in ceiling.explanation
    assert "R-HOLD-48H v1" in ceiling.explanation
