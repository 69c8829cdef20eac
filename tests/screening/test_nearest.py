"""The nearest record: a booking that no candidate brings to its class's threshold, or only to weak proposals
(under ``NEAREST_BELOW_PROBABILITY``), gets its nearest candidate under the threshold proposed when that one
reaches ``NEAREST_FLOOR`` (issue 10: a DOB slip on a common name otherwise leaves the officer nothing to look at)."""

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


def test_a_booking_with_weak_proposals_only_gets_its_nearest_candidate_besides(world, namesakes, monkeypatch):
    near, _far = namesakes
    # a namesake of the other sex born on the same day of another year: a first-stage candidate (rule 8), far
    # under the threshold
    other = registry_subject_add(
        actor=world.supervisor, first_name="Orlando", last_name="Quintanilla", sex="F", date_of_birth=date(1948, 6, 2)
    )
    monkeypatch.setattr(stages, "NEAREST_FLOOR", 1e-12)
    b = _booked(world, near.date_of_birth)
    screen_booking(actor=world.booking_clerk, booking=b)
    assert {m.subject_id for m in IdentityMatch.objects.filter(booking=b)} == {near.pk}  # a confident proposal

    monkeypatch.setattr(stages, "NEAREST_BELOW_PROBABILITY", 1.0)  # every proposal counts as weak
    b = _booked(world, near.date_of_birth)
    screen_booking(actor=world.booking_clerk, booking=b)
    found = {m.subject_id: m for m in IdentityMatch.objects.filter(booking=b)}
    assert set(found) == {near.pk, other.pk}
    assert "nearest_record" not in found[near.pk].explanation
    assert found[other.pk].score < services.DEFAULT_REVIEW_THRESHOLD
    assert "are each under 1.0" in found[other.pk].explanation["nearest_record"]


def _far_namesakes(world, n: int) -> set[int]:  # type: ignore[no-untyped-def]
    """``n`` registry namesakes of the booking born in 1952, many digits from its DOB: each as near as the next."""
    return {
        registry_subject_add(
            actor=world.supervisor, first_name="Orlando", last_name="Quintanilla", sex="M",
            date_of_birth=date(1952, 7 + i // 9, 20 + i % 9),
        ).pk
        for i in range(n)
    }  # fmt: skip


def test_the_nearest_is_shown_with_its_whole_tie(world, reg, monkeypatch):  # noqa: F811
    """Namesakes equally far from the booking's DOB tie as its nearest: a cut by subject id would show one of
    them by lot (ADR 0054)."""
    monkeypatch.setattr(stages, "NEAREST_FLOOR", 1e-12)
    ids = _far_namesakes(world, 4)
    b = _booked(world, date(1977, 3, 14))
    screen_booking(actor=world.booking_clerk, booking=b)
    rows = list(IdentityMatch.objects.filter(booking=b).values_list("subject_id", "score", "explanation"))
    assert {sid for sid, _, _ in rows} == ids
    assert len({score for _, score, _ in rows}) == 1
    for _, score, e in rows:
        assert score is not None and score < services.DEFAULT_REVIEW_THRESHOLD
        assert e["nearest_record"].endswith("the 4 nearest are shown")
        assert e["tie"].startswith("one of 4 registry records scoring exactly alike against this booking, 4 of")


def test_the_nearest_tie_is_cut_at_its_cap(world, reg, monkeypatch):  # noqa: F811
    monkeypatch.setattr(stages, "NEAREST_FLOOR", 1e-12)
    monkeypatch.setattr(stages, "NEAREST_MAX_TIED", 3)
    ids = _far_namesakes(world, 5)
    b = _booked(world, date(1977, 3, 14))
    screen_booking(actor=world.booking_clerk, booking=b)
    rows = list(IdentityMatch.objects.filter(booking=b).values_list("subject_id", "explanation"))
    assert len(rows) == 3 and {sid for sid, _ in rows} < ids
    assert all(
        e["tie"].startswith("one of 5 registry records scoring exactly alike against this booking, 3 of")
        for _, e in rows
    )

    monkeypatch.setattr(stages, "NEAREST_MAX_TIED", 1)  # the benches' switch: one, as before ADR 0054
    b = _booked(world, date(1977, 3, 14))
    screen_booking(actor=world.booking_clerk, booking=b)
    assert IdentityMatch.objects.filter(booking=b).count() == 1
