"""Who may act on a case, enforced in the services themselves (issue 11): staff may record the other side's act
from its document only as the counterpart on that case; court steps belong to the parties to that court case;
a claim is resolved by the area that holds the person's booking; inactive accounts act on nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from holdtrack.audit.models import Channel
from holdtrack.cases.models import CourtCase, CourtState, DetainerState, LeaDecision, LiftReason, OrderType
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.core.errors import NotPermitted
from holdtrack.custody import services as cs
from holdtrack.custody.models import ClaimBasis, ClaimStatus
from tests.factories import T0, book, hold_eligible, other_aor_world, received, subpoena_to

pytestmark = pytest.mark.django_db

S = DetainerState


def _ready_for_decision(w):  # type: ignore[no-untyped-def]
    d = received(w)
    ds.detainer_serve_subject(actor=w.booking_clerk, detainer=d, at=T0 + timedelta(minutes=40))
    return d


def test_an_officer_of_another_area_cannot_record_the_leas_decision_as_staff(world):
    d = _ready_for_decision(world)
    far = other_aor_world()
    with pytest.raises(NotPermitted):
        ds.detainer_decide(
            actor=far.officer, detainer=d, decision=LeaDecision.HONOR_HOLD, channel=Channel.STAFF_RECORDED
        )
    d.refresh_from_db()
    assert d.state == S.UNDER_POLICY_REVIEW and d.lea_decision == ""


def test_the_issuing_offices_staff_may_record_the_leas_decision_from_its_document(world):
    d = _ready_for_decision(world)
    ds.detainer_decide(
        actor=world.officer,
        detainer=d,
        decision=LeaDecision.NOTIFY_ONLY,
        at=T0 + timedelta(hours=1),
        channel=Channel.STAFF_RECORDED,
        source_document="Jail's decision letter of 2 March 2026",
    )
    d.refresh_from_db()
    assert d.state == S.ACTIVE_NOTIFY_ONLY


def test_an_unrelated_leas_clerk_cannot_lift_a_detainer_as_staff(world):
    d = hold_eligible(world)
    far = other_aor_world()
    with pytest.raises(NotPermitted):
        ds.detainer_lift(
            actor=far.booking_clerk, detainer=d, reason=LiftReason.CASE_CLOSED, channel=Channel.STAFF_RECORDED
        )
    d.refresh_from_db()
    assert d.state == S.ACTIVE_HOLD_ELIGIBLE
    # The addressed LEA's staff record the agency's lift from the agency's notice.
    ds.detainer_lift(
        actor=world.booking_clerk,
        detainer=d,
        reason=LiftReason.CASE_CLOSED,
        channel=Channel.STAFF_RECORDED,
        source_document="Form I-247A lift notice, faxed 3 March 2026",
    )
    d.refresh_from_db()
    assert d.state == S.LIFTED


def test_an_inactive_officer_acts_on_nothing(world):
    d = received(world)
    world.booking_clerk.is_active = False
    world.booking_clerk.save(update_fields=["is_active"])
    with pytest.raises(NotPermitted):
        ds.detainer_serve_subject(actor=world.booking_clerk, detainer=d)


def _court_case(w) -> CourtCase:  # type: ignore[no-untyped-def]
    d = hold_eligible(w)
    s = subpoena_to(w, stage="in_court", detainer=d)
    return CourtCase.objects.get(referral__subpoena=s)


def test_counsel_of_another_office_cannot_dismiss_a_court_case(world):
    c = _court_case(world)
    far = other_aor_world()
    with pytest.raises(NotPermitted):
        ss.court_order_record(
            actor=far.agency_counsel, case=c, order_type=OrderType.DISMISSAL, issued_at=T0 + timedelta(days=30)
        )
    with pytest.raises(NotPermitted):
        ss.court_order_record(
            actor=far.doj_attorney, case=c, order_type=OrderType.DISMISSAL, issued_at=T0 + timedelta(days=30)
        )
    c.refresh_from_db()
    assert c.state == CourtState.PETITION_FILED
    ss.court_order_record(
        actor=world.agency_counsel, case=c, order_type=OrderType.DISMISSAL, issued_at=T0 + timedelta(days=30)
    )
    c.refresh_from_db()
    assert c.state == CourtState.DISMISSED


def test_an_unrelated_leas_clerk_cannot_record_an_appeal(world):
    c = _court_case(world)
    far = other_aor_world()
    with pytest.raises(NotPermitted):
        ss.court_case_advance(actor=far.lea_counsel, case=c, action="appeal")
    with pytest.raises(NotPermitted):
        ss.court_compliance_record(actor=far.booking_clerk, case=c)
    c.refresh_from_db()
    assert c.state == CourtState.PETITION_FILED


def test_a_supervisor_of_another_area_cannot_resolve_a_claim(world):
    b = book(world)
    claim = cs.citizenship_claim_open(actor=world.booking_clerk, subject=b.subject, basis=ClaimBasis.ASSERTED)
    far = other_aor_world()
    with pytest.raises(NotPermitted):
        cs.citizenship_claim_resolve(actor=far.supervisor, claim=claim, verified_citizen=False, notes="not ours")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN
    cs.citizenship_claim_resolve(actor=world.supervisor, claim=claim, verified_citizen=False, notes="A-file checked")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFIED_NONCITIZEN


def test_a_booking_is_recorded_as_staff_only_by_the_office_of_the_jails_area(world):
    far = other_aor_world()
    subject = cs.subject_create(actor=world.booking_clerk, first_name="Staff", last_name="Recorded")
    with pytest.raises(NotPermitted):
        cs.booking_create(
            actor=far.officer,
            subject=subject,
            facility=world.facility,
            booking_number="SR-1",
            booked_at=T0,
            channel=Channel.STAFF_RECORDED,
        )
    b = cs.booking_create(
        actor=world.officer,
        subject=subject,
        facility=world.facility,
        booking_number="SR-2",
        booked_at=T0,
        channel=Channel.STAFF_RECORDED,
        source_document="Jail booking sheet SR-2",
    )
    assert b.custodian_id == world.lea.pk
