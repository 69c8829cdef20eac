"""Facts happen in the past, within reason (issue 11): the services refuse a booking, release or order stamped
in the future, before what it follows, or at an implausible date; an explicit clock (simulator, sweep --now)
counts as now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from holdtrack.core.errors import ValidationFailed
from holdtrack.core.timeutil import clock, now
from holdtrack.custody import services as cs
from holdtrack.custody.models import Booking
from tests.factories import T0, book

pytestmark = pytest.mark.django_db


def _booking(world, booked_at, **kw):  # type: ignore[no-untyped-def]
    subject = cs.subject_create(actor=world.booking_clerk, first_name="Fact", last_name="Time")
    return cs.booking_create(
        actor=world.booking_clerk,
        subject=subject,
        facility=world.facility,
        booking_number=f"FT-{booked_at:%Y%m%d%H%M}",
        booked_at=booked_at,
        **kw,
    )


@pytest.mark.parametrize(
    "booked_at",
    [now() + timedelta(days=30), datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)],
    ids=["future", "year-0001", "year-9999"],
)
def test_a_booking_stamped_in_the_future_or_at_an_implausible_date_is_refused(world, booked_at):
    with pytest.raises(ValidationFailed) as info:
        _booking(world, booked_at)
    assert "Booking time" in str(info.value)
    assert not Booking.objects.exists()


def test_a_projected_release_before_the_booking_is_refused(world):
    with pytest.raises(ValidationFailed, match="projected release"):
        _booking(world, T0, projected_release_at=T0 - timedelta(days=1))


def test_release_eligibility_thirty_days_ahead_is_refused(world):
    b = book(world)
    with pytest.raises(ValidationFailed, match="in the future"):
        cs.booking_record_release_eligibility(
            actor=world.booking_clerk, booking=b, at=now() + timedelta(days=30), reason="BOND_POSTED"
        )
    b.refresh_from_db()
    assert b.release_eligible_at is None


def test_a_release_before_the_booking_is_refused(world):
    b = book(world)
    with pytest.raises(ValidationFailed, match="cannot precede the booking"):
        cs.booking_release(actor=world.booking_clerk, booking=b, at=T0 - timedelta(hours=1), release_type="BOND")


@pytest.mark.parametrize("dob", [date(1850, 1, 1), now().date() + timedelta(days=2)], ids=["1850", "future"])
def test_an_implausible_birth_date_is_refused(world, dob):
    with pytest.raises(ValidationFailed, match="Date of birth"):
        cs.subject_create(actor=world.booking_clerk, first_name="Fact", last_name="Birth", date_of_birth=dob)


def test_an_explicit_clock_counts_as_now(world):
    ahead = now() + timedelta(days=10)
    with clock(ahead):
        b = _booking(world, ahead - timedelta(hours=1))
    assert b.booked_at == ahead - timedelta(hours=1)


def test_a_feed_row_stamped_in_the_future_is_a_row_error_and_nothing_is_saved(world, tmp_path):
    from holdtrack.intake.bookings import bookings_import
    from tests.custody.test_ingest import HEADER, _row, _write

    good = _row(world, "FEED-OK")
    ahead = (now() + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    bad = _row(world, "FEED-AHEAD", booked_at=ahead, release_eligible_at="", released_at="", release_type="")
    result = bookings_import(path=_write(tmp_path, "feed.csv", [HEADER, good, bad]))
    assert result.refused and not Booking.objects.exists()
    assert any(e.field == "booked_at" and "in the future" in e.message for e in result.errors), result.errors
