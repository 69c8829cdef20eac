"""What ``screening.stages`` keeps of a booking's scored candidates: with a DOB, a tie at the last proposal kept is
proposed whole, up to ``MAX_TIED_WITH_DOB`` (ADR 0053)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils.html import escape

from holdtrack.custody.models import IdentityMatch
from holdtrack.screening import stages
from holdtrack.screening.services import registry_subject_add, screen_booking
from holdtrack.screening.stages import MAX_PROPOSALS_PER_BOOKING, MAX_TIED_WITH_DOB
from tests.screening.factories_screening import booking_of
from tests.screening.test_services import reg  # noqa: F401 - the registry fixture with a trained model

pytestmark = pytest.mark.django_db


def _year_namesakes(world, n: int) -> set[int]:  # type: ignore[no-untyped-def]
    """``n`` registry records of one name, sex and birth country, each born on another day of 1984, none within
    a digit or a month of 1 January (those score higher)."""
    return {
        registry_subject_add(
            actor=world.supervisor, first_name="Wenjun", last_name="Qiaolin", sex="M", birth_country="China",
            date_of_birth=date(1984, 3 + i // 8, 12 + i % 8),
        ).pk
        for i in range(n)
    }  # fmt: skip


@pytest.mark.parametrize("namesakes", [MAX_PROPOSALS_PER_BOOKING + 3, 15])
def test_a_1_january_dob_proposes_every_namesake_of_its_year_it_ties_with(world, reg, namesakes):  # noqa: F811
    """A 1 January DOB says only the year: every namesake born that year scores alike, and a cut at the fifth by
    subject id would leave the person out at random."""
    assert MAX_PROPOSALS_PER_BOOKING < namesakes <= MAX_TIED_WITH_DOB
    ids = _year_namesakes(world, namesakes)
    b = booking_of(world, first="WENJUN", last="QIAOLIN", dob=date(1984, 1, 1), country="China")
    screen_booking(actor=world.booking_clerk, booking=b)
    rows = list(IdentityMatch.objects.filter(booking=b).values_list("subject_id", "score", "explanation"))
    assert {sid for sid, _, _ in rows} == ids
    assert len({score for _, score, _ in rows}) == 1  # one tie
    # the reviewer reads that each is one of a tie, of how many, and why a 1 January DOB ties them
    notes = {e["tie"] for _, _, e in rows}
    assert notes == {
        f"one of {namesakes} registry records scoring exactly alike against this booking, {namesakes} of them "
        "proposed: nothing the booking carries tells them apart (its DOB is 1 January, which feeds record when "
        "only the year is known)"
    }


def test_the_match_page_tells_the_reviewer_the_proposal_is_one_of_a_tie(client, world, reg):  # noqa: F811
    _year_namesakes(world, MAX_PROPOSALS_PER_BOOKING + 3)
    b = booking_of(world, first="WENJUN", last="QIAOLIN", dob=date(1984, 1, 1), country="China")
    screen_booking(actor=world.booking_clerk, booking=b)
    m = IdentityMatch.objects.filter(booking=b).order_by("pk").last()
    assert m is not None
    client.force_login(world.officer)
    html = client.get(reverse("desks:match", args=[m.pk])).content.decode()
    assert escape(m.explanation["tie"]) in html


def test_ties_cut_at_the_fifth_when_turned_off(world, reg, monkeypatch):  # noqa: F811
    """The benches' switch: the cap cuts the tie by subject id, as before ADR 0053."""
    monkeypatch.setattr(stages, "MAX_TIED_WITH_DOB", MAX_PROPOSALS_PER_BOOKING)
    ids = _year_namesakes(world, MAX_PROPOSALS_PER_BOOKING + 3)
    b = booking_of(world, first="WENJUN", last="QIAOLIN", dob=date(1984, 1, 1), country="China")
    screen_booking(actor=world.booking_clerk, booking=b)
    proposed = set(IdentityMatch.objects.filter(booking=b).values_list("subject_id", flat=True))
    assert len(proposed) == MAX_PROPOSALS_PER_BOOKING and proposed < ids
