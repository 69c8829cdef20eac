"""The booking intake (intake/bookings.py): one way in for API, feed and simulator bookings; custody records,
then screening screens — after the commit for single bookings, inside the chunk for feeds."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

import holdtrack
from holdtrack.audit.models import Channel
from holdtrack.core.errors import NotPermitted
from holdtrack.custody.models import Booking, IdentifierType, IdentityMatch, MatchBasis, Subject
from holdtrack.intake.bookings import BookedPerson, BookingFacts, booking_intake, bookings_intake
from holdtrack.screening.models import ScreeningModel
from holdtrack.screening.services import registry_subject_add
from tests.factories import T0, other_aor_world

pytestmark = pytest.mark.django_db

SRC = Path(holdtrack.__file__).parent


def _item(world, number: str, fbi: str = "") -> tuple[BookedPerson, BookingFacts]:  # type: ignore[no-untyped-def]
    person = BookedPerson(
        first_name="Intake", last_name="Tester", second_last_name="Dos", date_of_birth=date(1990, 2, 3)
    )
    return person, BookingFacts(facility=world.facility, booking_number=number, booked_at=T0, fbi_number=fbi)


@pytest.mark.smoke
def test_a_booking_is_recorded_then_screened_against_the_registry(world):
    registry = registry_subject_add(
        actor=world.officer, first_name="Intake", last_name="Tester", identifiers={IdentifierType.FBI_UCN: "123456AB7"}
    )
    person, facts = _item(world, "IN-1", fbi="123456AB7")
    taken = booking_intake(actor=world.booking_clerk, person=person, facts=facts, channel=Channel.PORTAL)
    assert taken.created and taken.booking.subject.second_last_name == "Dos"
    assert taken.screening is not None and taken.screening.status == "screened"
    assert taken.screening.proposed_matches == 1
    match = IdentityMatch.objects.get(booking=taken.booking)
    assert (match.subject_id, match.basis) == (registry.pk, MatchBasis.BIOMETRIC)


def test_a_resent_booking_is_found_not_recorded_or_screened_again(world):
    person, facts = _item(world, "IN-2")
    first = booking_intake(actor=world.booking_clerk, person=person, facts=facts)
    again = booking_intake(actor=world.booking_clerk, person=person, facts=facts)
    assert not again.created and again.screening is None and again.booking.pk == first.booking.pk
    assert Booking.objects.filter(booking_number="IN-2").count() == 1
    assert Subject.objects.filter(last_name="Tester").count() == 1


def test_a_batch_is_recorded_whole_or_not_at_all(world):
    good = _item(world, "IN-3")
    foreign = _item(other_aor_world(), "IN-4")  # another agency's jail: the clerk may not record it
    with pytest.raises(NotPermitted):
        bookings_intake(actor=world.booking_clerk, items=[good, foreign])
    assert not Booking.objects.filter(booking_number__in=["IN-3", "IN-4"]).exists()


def test_a_booking_whose_screening_fails_stays_recorded_and_waits_for_a_rescreen(world):
    # A stored model that cannot be read (as a damaged row would be): screening raises after the commit.
    ScreeningModel.objects.create(
        version="broken-1", splink_model={}, review_threshold=0.2, registry_size=1, trained_at=T0, active=True
    )
    person, facts = _item(world, "IN-5")
    taken = booking_intake(actor=world.booking_clerk, person=person, facts=facts)
    assert taken.created and taken.screening is not None and taken.screening.status == "pending"
    assert Booking.objects.filter(booking_number="IN-5").exists()


def _imports(module: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_custody_never_imports_screening_or_the_intake():
    offenders = {
        str(path.relative_to(SRC)): sorted(
            n for n in _imports(path) if n.startswith(("holdtrack.screening", "holdtrack.intake"))
        )
        for path in (SRC / "custody").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
