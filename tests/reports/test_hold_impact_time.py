"""The hold's own time (``reports.hold_impact.hold_time``): added time after the other charges, and the link to
holdtrack's hold-ceiling clock and over-detention flags where a feed booking has a detainer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command

from holdtrack.cases.services.sweep import sweep
from holdtrack.custody import services as cs
from holdtrack.custody.ingest import bookings_import
from holdtrack.custody.models import Booking, ReleaseType
from holdtrack.reports.hold_impact.facts import booking_facts, wall_days
from holdtrack.reports.hold_impact.hold_time import hold_time_rows, hold_time_summary
from tests.custody.test_ingest import HEADER, _row, _write
from tests.factories import T0, hold_eligible

pytestmark = pytest.mark.django_db


def test_wall_days_count_the_jail_clock_across_a_dst_change() -> None:
    from datetime import UTC, datetime

    booked = datetime(2026, 3, 7, 14, 0, tzinfo=UTC)  # 08:00 CST
    released = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 08:00 CDT: 47 elapsed hours, two days on the wall clock
    assert wall_days(booked, released, "America/Chicago") == 2.0
    assert wall_days(booked, released, "UTC") == pytest.approx(47 / 24)


def test_a_feed_hold_with_a_detainer_is_linked_to_its_ceiling_and_flags(world, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    lines = [
        HEADER,
        # Held: booked, no release yet (the detainer's hold follows); released below through the services.
        _row(
            world,
            "K1",
            immigration_hold="1",
            release_eligible_at="",
            release_eligibility_reason="",
            released_at="",
            release_type="",
        ),
        # Flagged by the feed, released the same hour its other charges were resolved: not held past them.
        _row(world, "K2", immigration_hold="1"),
        _row(world, "K3", immigration_hold="0"),
    ]
    result = bookings_import(path=_write(tmp_path, "feed.csv", lines))
    assert result.run is not None, (result.refused, result.errors)
    booking = Booking.objects.get(booking_number="K1")
    d = hold_eligible(world, at=T0, booking=booking)
    eligible = T0 + timedelta(days=1)
    cs.booking_record_release_eligibility(actor=world.booking_clerk, booking=booking, at=eligible, reason="BOND_POSTED")
    # Released 50 hours after eligibility: two hours past the 48-hour ceiling.
    sweep(now=eligible + timedelta(hours=49))
    cs.booking_release(
        actor=world.booking_clerk, booking=booking, at=eligible + timedelta(hours=50), release_type=ReleaseType.OTHER
    )
    sweep(now=eligible + timedelta(hours=51))
    d.refresh_from_db()
    assert d.hold_expires_at == eligible + timedelta(hours=48)

    facts = booking_facts()
    rows = {r["booking_number"]: r for r in hold_time_rows(facts)}
    assert set(rows) == {"K1", "K2"}  # hold bookings only
    k1 = rows["K1"]
    assert k1["held_past_other_charges"] is True and k1["added_hours"] == pytest.approx(50)
    assert k1["detainer_id"] == d.pk and k1["left_after_ceiling"] is True
    assert k1["hold_ceiling_at"] == d.hold_expires_at.isoformat()
    assert "V2" in k1["over_detention_flags"]
    # K2: released 2 hours after its release eligibility; no detainer in holdtrack.
    assert rows["K2"]["detainer_id"] is None and rows["K2"]["added_hours"] == pytest.approx(2)

    summary = hold_time_summary(facts)
    assert summary["hold_bookings"] == 2 and summary["held_past_other_charges"] == 2
    assert summary["with_detainer"] == 1 and summary["left_after_hold_ceiling"] == 1
    assert summary["over_detention_flags"].get("V2") == 1

    call_command("report", "hold-impact", "--bookings", "--format", "json")
    printed = {r["booking_number"]: r for r in json.loads(capsys.readouterr().out)}
    assert printed["K1"]["left_after_ceiling"] is True and "K3" not in printed
