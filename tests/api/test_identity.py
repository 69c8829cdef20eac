"""One person across records through the v1 API: the LEA sees the booked record, the agency lodges the detainer
on the registry record, and both see one person with one claim."""

from __future__ import annotations

import pytest

from holdtrack.custody import services as cs
from holdtrack.custody.models import Booking, IdentityMatch, MatchBasis, MatchStatus
from tests.api.factories_api import api_for, booking_payload
from tests.api.test_bookings import problem
from tests.api.test_detainers import session, spost
from tests.factories import registry_subject

pytestmark = pytest.mark.django_db


def _booked_and_proposed(world):  # type: ignore[no-untyped-def]
    registry = registry_subject(world)
    r = api_for(world.lea_org).post("/bookings", booking_payload(world, "PERSON-1", fbi_number="123456AB7"))
    assert r.status_code in (200, 201), r.content
    booking = Booking.objects.get(pk=r.json()["id"])
    assert r.json()["person_id"] is None
    m = cs.identity_match_propose(actor=world.officer, booking=booking, subject=registry, basis=MatchBasis.BIOMETRIC)
    return registry, booking, m


def test_a_confirmed_match_shows_one_person_and_one_claim_on_both_records(world):
    registry, booking, m = _booked_and_proposed(world)
    officer, lea = api_for(world.office), api_for(world.lea_org)
    assert officer.post(f"/matches/{m.pk}/review", {"confirm": True, "reason": "prints"}).status_code == 200
    agency_view = officer.get(f"/subjects/{registry.pk}").json()
    assert agency_view["person_id"] is not None
    assert agency_view["person_records"] == sorted([registry.pk, booking.subject_id])
    assert lea.get(f"/bookings/{world.lea.ori}/PERSON-1").json()["person_id"] == agency_view["person_id"]
    # The LEA raises the claim on the record it knows; the agency sees it from the registry record's side.
    claim = lea.post("/citizenship-claims", {"subject_id": booking.subject_id, "basis": "ASSERTED"})
    assert claim.status_code == 201, claim.content
    again = officer.post("/citizenship-claims", {"subject_id": registry.pk, "basis": "ASSERTED"})
    assert again.json()["id"] == claim.json()["id"]  # one open claim per person


def test_revoking_a_match_through_the_api_splits_the_person(world):
    registry, _booking, m = _booked_and_proposed(world)
    officer = api_for(world.office)
    officer.post(f"/matches/{m.pk}/review", {"confirm": True, "reason": "prints"})
    problem(officer.post(f"/matches/{m.pk}/revoke", {"reason": ""}), 422)
    r = officer.post(f"/matches/{m.pk}/revoke", {"reason": "a sibling's prints"})
    assert r.status_code == 200 and r.json()["status"] == MatchStatus.REJECTED
    assert officer.get(f"/subjects/{registry.pk}").json()["person_records"] == [registry.pk]
    problem(officer.post(f"/matches/{m.pk}/revoke", {"reason": "again"}), 409)


def test_a_conflicting_proposal_needs_a_supervisor_override_through_the_api(world):
    _, _, m = _booked_and_proposed(world)
    IdentityMatch.objects.filter(pk=m.pk).update(identifier_conflict=True)  # as screening flags it
    officer = api_for(world.office)
    assert officer.get(f"/matches/{m.pk}").json()["identifier_conflict"] is True
    body = problem(officer.post(f"/matches/{m.pk}/review", {"confirm": True, "reason": "looks alike"}), 409)
    assert "R-IDENTIFIER-CONFLICT" in str(body)
    # API clients act as officers; a supervisor overrides signed in (session authentication).
    r = spost(
        session(world.supervisor),
        f"/matches/{m.pk}/review",
        {"confirm": True, "reason": "jail mistyped the FBI number; prints agree", "override_conflict": True},
    )
    assert r.status_code == 200 and r.json()["status"] == MatchStatus.CONFIRMED, r.content
    assert IdentityMatch.objects.get(pk=m.pk).override_by is not None
