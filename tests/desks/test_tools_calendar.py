"""Deadline calendar: entries are the case clocks the user may see, with their rule ids."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from holdtrack.accounts.models import Role
from holdtrack.cases import clocks
from holdtrack.core.timeutil import now
from holdtrack.custody import services as cs
from holdtrack.desks.tools import calendar as cal
from tests.factories import UserFactory, hold_eligible, make_world, prepared, subpoena_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(db):
    w = make_world()
    other = make_world(suffix=" 2")
    start = now() - timedelta(hours=3)
    d = hold_eligible(w, at=start)
    cs.booking_record_release_eligibility(
        actor=w.booking_clerk, booking=d.booking, at=now() - timedelta(hours=1), reason="BOND_POSTED"
    )
    d.refresh_from_db()
    s = subpoena_to(w, stage="enforced", subject=prepared(w, at=start).subject, at=now() - timedelta(days=45))
    return w, other, d, s


def test_calendar_entries_match_the_clocks(scene):
    w, _other, d, s = scene
    mine = cal.deadlines_for_user(w.lea_counsel)
    expected = {(f"detainer-{d.pk}-{c.name}@holdtrack", c.due_at, c.rule) for c in clocks.detainer_clocks(d)}
    case = s.referral.court_case
    expected |= {(f"court_case-{case.pk}-{c.name}@holdtrack", c.due_at, c.rule) for c in clocks.court_clocks(case)}
    got = {(e.uid, e.due_at, e.rule) for e in mine}
    assert expected <= got
    hold = next(e for e in mine if e.clock == "hold_ceiling")
    assert hold.due_at == d.hold_expires_at and hold.rule == clocks.R_HOLD_48H.ref and hold.status == "running"
    assert hold.path == f"/detainers/{d.pk}/"
    comply = next(e for e in mine if e.clock == "court_comply_by")
    assert comply.rule == clocks.R_COMPLY_BY.ref
    assert [e.due_at for e in mine] == sorted(e.due_at for e in mine)


def test_calendar_is_scoped(scene):
    w, other, d, _s = scene
    assert not [e for e in cal.deadlines_for_user(other.booking_clerk) if e.case_type == "detainer"]
    assert cal.deadlines_for_user(UserFactory(role=Role.ANALYST)) == []
    assert any(e.case_id == d.pk for e in cal.deadlines_for_user(w.officer))


def test_window_filters(scene):
    w, _other, d, _s = scene
    only = cal.deadlines_for_user(
        w.booking_clerk, start=d.hold_expires_at, end=d.hold_expires_at + timedelta(seconds=1)
    )
    assert [(e.case_id, e.clock) for e in only] == [(d.pk, "hold_ceiling")]


def test_month_and_agenda_pages(client, scene):
    w, _other, d, _s = scene
    client.force_login(w.booking_clerk)
    month = d.hold_expires_at.astimezone(cal.ZoneInfo(d.facility.timezone))
    for view in ("month", "agenda"):
        r = client.get(reverse("tools:calendar"), {"month": f"{month:%Y-%m}", "view": view})
        assert r.status_code == 200
        html = r.content.decode()
        assert f'data-uid="detainer-{d.pk}-hold_ceiling@holdtrack"' in html
        assert d.subject.last_name not in html
    grid = cal.month_for_user(w.booking_clerk, month.date().replace(day=1))
    day = next(day for week in grid.weeks for day in week if day.day == month.date() and day.in_month)
    assert any(e.clock == "hold_ceiling" and e.case_id == d.pk for e in day.deadlines)


def test_parse_month():
    today = now().date()
    assert cal.parse_month("2026-02", today).isoformat() == "2026-02-01"
    assert cal.parse_month("nonsense", today) == today.replace(day=1)
    assert cal.parse_month("2026-13", today) == today.replace(day=1)
