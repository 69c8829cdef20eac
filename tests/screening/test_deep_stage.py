"""The deep stage runs while a booking's best proposal is under ``stages.DEEP_BELOW_PROBABILITY`` (0.9; ADR 0056,
0065): a namesake just over the review threshold is no reason to stop looking for the person."""

from __future__ import annotations

import copy

import pytest

from holdtrack.custody.models import IdentityMatch
from holdtrack.screening import stages
from holdtrack.screening.services import registry_subject_add, screen_bookings
from tests.screening.test_services import reg, three_error_booking  # noqa: F401 - the registry fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_bar(world, reg):  # noqa: F811
    """The person only the deep rules reach, a namesake of the booking the first stages propose, and the model
    with its threshold so low that the namesake is proposed (in memory only), however far its DOB."""
    people, model = reg
    person, hard = three_error_booking(world, people)
    s = hard.subject
    namesake = registry_subject_add(
        actor=world.supervisor, first_name=s.first_name, last_name=s.last_name, sex=s.sex,
        birth_country=s.birth_country, date_of_birth=s.date_of_birth.replace(year=s.date_of_birth.year - 11),
    )  # fmt: skip
    low = copy.copy(model)
    low.review_threshold = 1e-12
    return person, hard, namesake.pk, low


def test_a_proposal_under_the_bar_does_not_stop_the_deep_stage(world, low_bar):
    person, hard, namesake, low = low_bar
    result = screen_bookings(actor=world.booking_clerk, bookings=[hard], model=low)
    proposed = dict(IdentityMatch.objects.filter(booking=hard).values_list("subject_id", "score"))
    assert namesake in proposed and proposed[namesake] < stages.DEEP_BELOW_PROBABILITY
    assert result.deep == 1
    assert person.subject_id in proposed


@pytest.mark.parametrize("switch", [1e-12, 0.0])
def test_at_the_threshold_itself_the_namesake_stopped_it(world, low_bar, monkeypatch, switch):
    """As before ADR 0056 (the benches' switch, 0 or anything under the threshold): a proposal at the class's
    threshold ended the search."""
    monkeypatch.setattr(stages, "DEEP_BELOW_PROBABILITY", switch)
    person, hard, namesake, low = low_bar
    result = screen_bookings(actor=world.booking_clerk, bookings=[hard], model=low)
    proposed = set(IdentityMatch.objects.filter(booking=hard).values_list("subject_id", flat=True))
    assert namesake in proposed
    assert result.deep == 0
    assert person.subject_id not in proposed
