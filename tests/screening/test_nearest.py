"""The nearest record: a booking that no candidate brings to its class's threshold gets its nearest candidate
proposed when that one reaches ``NEAREST_FLOOR`` (issue 10: a DOB slip on a common name otherwise leaves the
officer nothing to look at)."""

from __future__ import annotations

from datetime import date

import pytest

from holdtrack.custody.models import IdentityMatch
from holdtrack.screening import services, stages
from holdtrack.screening.services import registry_subject_add, screen_booking
from tests.screening.factories_screening import booking_of
from tests.screening.test_services import reg  # noqa: F401 - the registry fixture with a trained model

pytestmark = pytest.mark.django_db


def _booked(world, dob: date):  # type: ignore[no-untyped-def]
    return booking_of(world, first="Orlando", last="Quintanilla", dob=dob, country="")


@pytest.fixture
def namesakes(world, reg):  # noqa: F811
    """Two registry namesakes of the booking, born years from its DOB: both candidates, neither near the bar."""
    near = registry_subject_add(
        actor=world.supervisor, first_name="Orlando", last_name="Quintanilla", sex="M", date_of_birth=date(1971, 6, 2)
    )
    far = registry_subject_add(
        actor=world.supervisor, first_name="Orlando", last_name="Quintanilla", sex="F", date_of_birth=date(1950, 1, 9)
    )
    return near, far


def test_a_booking_without_a_proposal_gets_its_nearest_candidate_marked_with_the_floor(world, namesakes, monkeypatch):
    near, _far = namesakes
    monkeypatch.setattr(stages, "NEAREST_FLOOR", 1e-12)
    b = _booked(world, date(1977, 3, 14))
    screen_booking(actor=world.booking_clerk, booking=b)
    (m,) = IdentityMatch.objects.filter(booking=b)
    assert m.subject_id == near.pk  # the same sex: the nearer of the two
    assert m.score is not None and m.score < services.DEFAULT_REVIEW_THRESHOLD
    assert m.explanation["review_threshold"] == stages.NEAREST_FLOOR
    assert m.explanation["probability"] == m.score
    assert "nearest" in m.explanation["nearest_record"]


def test_no_nearest_candidate_below_the_floor_or_when_the_floor_is_off(world, namesakes, monkeypatch):
    monkeypatch.setattr(stages, "NEAREST_FLOOR", 0.0)
    b = _booked(world, date(1977, 3, 14))
    screen_booking(actor=world.booking_clerk, booking=b)
    assert not IdentityMatch.objects.filter(booking=b).exists()

    monkeypatch.setattr(stages, "NEAREST_FLOOR", 0.19)  # above these namesakes' probability
    b = _booked(world, date(1977, 3, 14))
    screen_booking(actor=world.booking_clerk, booking=b)
    assert not IdentityMatch.objects.filter(booking=b).exists()


def test_a_booking_with_a_proposal_gets_no_nearest_candidate_besides(world, namesakes, monkeypatch):
    near, _far = namesakes
    monkeypatch.setattr(stages, "NEAREST_FLOOR", 1e-12)
    b = _booked(world, near.date_of_birth)
    screen_booking(actor=world.booking_clerk, booking=b)
    (m,) = IdentityMatch.objects.filter(booking=b)
    assert m.subject_id == near.pk
    assert m.explanation["review_threshold"] == services.DEFAULT_REVIEW_THRESHOLD
    assert "nearest_record" not in m.explanation
