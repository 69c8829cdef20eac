"""Detainer services (cases/services/detainers/): every safeguard of domain.md B3.1, C2 and C3, attacked.

Each refusal is checked for its exception class (holdtrack.core.errors) and for a message that names the rule
and its citation, and, where it matters, for the case being left exactly as it was.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest

from holdtrack.audit.models import Channel, Transition
from holdtrack.cases import clocks
from holdtrack.cases.models import (
    Box,
    Detainer,
    DetainerState,
    FormType,
    LeaDecision,
    LiftReason,
    OutcomeGroup,
    PCBasis,
    RequestType,
    ReviewResult,
    WarrantType,
    WorkItem,
    WorkItemKind,
)
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services.sweep import sweep
from holdtrack.core.errors import GuardRefused, InvalidTransition, NotPermitted, ValidationFailed
from holdtrack.custody import services as cs
from holdtrack.custody.models import CitizenshipClaim, ClaimBasis, ClaimStatus, MatchBasis
from holdtrack.jurisdictions.models import HoldRule, NotifyRule
from tests.factories import T0, World, book, confirmed_match, hold_eligible, make_policy, make_world, prepared, received

pytestmark = pytest.mark.django_db

S = DetainerState
E = T0 + timedelta(days=2)  # release eligibility used throughout (a Wednesday, 15:00 UTC)


@contextmanager
def refused(exc: type[Exception], *needles: str):  # type: ignore[no-untyped-def]
    """The action raises exactly ``exc`` and its message names every needle (rule id, citation …)."""
    with pytest.raises(exc) as info:
        yield info
    assert type(info.value) is exc, f"expected {exc.__name__}, got {type(info.value).__name__}: {info.value}"
    text = str(info.value)
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


def fresh(d: Detainer) -> Detainer:
    return Detainer.objects.get(pk=d.pk)


def names(d: Detainer) -> list[str]:
    return list(Transition.objects.filter(case_type="detainer", case_id=d.pk).values_list("name", flat=True))


def admin_warrant(w: World, d: Detainer, kind: str = WarrantType.I200, at=T0):  # type: ignore[no-untyped-def]
    return ds.warrant_attach(
        actor=w.officer,
        detainer=d,
        warrant_type=kind,
        signed_by_name="A. Officer",
        signed_by_title="Supervisory Detention and Deportation Officer",
        signed_at=at,
        at=at,
    )


def judicial_warrant(w: World, d: Detainer, at=T0, confirm: bool = True):  # type: ignore[no-untyped-def]
    """A court's warrant attached by the agency and, once the LEA has the detainer, confirmed by its counsel."""
    warrant = ds.warrant_attach(
        actor=w.officer,
        detainer=d,
        warrant_type=WarrantType.JUDICIAL_ARREST,
        signed_by_name="J. Judge",
        signed_by_title="United States Magistrate Judge",
        court="U.S. District Court for the Southern District of Texas",
        signed_at=at,
        at=at,
    )
    if confirm:
        ds.warrant_confirm_judicial(actor=w.lea_counsel, warrant=warrant, at=at)
    return warrant


def serve(w: World, d: Detainer, at=T0 + timedelta(minutes=40)) -> Detainer:  # type: ignore[no-untyped-def]
    return ds.detainer_serve_subject(actor=w.booking_clerk, detainer=d, at=at)


def decide(w: World, d: Detainer, decision: str = LeaDecision.HONOR_HOLD, at=T0 + timedelta(hours=1)) -> Detainer:  # type: ignore[no-untyped-def]
    return ds.detainer_decide(actor=w.lea_counsel, detainer=d, decision=decision, at=at)


def eligible(w: World, d: Detainer, at=E) -> None:  # type: ignore[no-untyped-def]
    cs.booking_record_release_eligibility(actor=w.booking_clerk, booking=d.booking, at=at, reason="BOND_POSTED")


def in_hold(w: World, **kwargs) -> Detainer:  # type: ignore[no-untyped-def]
    d = hold_eligible(w, **kwargs)
    eligible(w, d)
    d = fresh(d)
    assert d.state == S.HOLD_IN_EFFECT
    return d


def open_work(d: Detainer, kind: str) -> bool:
    return WorkItem.objects.filter(detainer=d, kind=kind, resolved_at__isnull=True).exists()


# ------------------------------------------------------------------------------------ agency side: prepare


def test_box_1_without_a_probable_cause_basis_is_refused(world):
    before = Detainer.objects.count()
    with refused(GuardRefused, "R-PC-BASIS v1", "Form I-247A section 1"):
        prepared(world, pc_bases=[])
    assert Detainer.objects.count() == before


def test_box_1_and_box_2_together_are_refused(world):
    with refused(GuardRefused, "R-ONE-BOX v1", "Form I-247A"):
        prepared(world, box=Box.DHS_TRANSFERRED, pc_bases=[PCBasis.FINAL_ORDER])
    # Box 2 alone is a valid detainer.
    d = prepared(world, box=Box.DHS_TRANSFERRED, pc_bases=[])
    assert d.box == Box.DHS_TRANSFERRED and d.pc_bases == []


def test_unknown_probable_cause_basis_is_a_validation_error(world):
    with refused(ValidationFailed, "NO_SUCH_BASIS"):
        prepared(world, pc_bases=["NO_SUCH_BASIS"])


@pytest.mark.parametrize("form", [FormType.I247G, FormType.I247N])
def test_notification_form_cannot_carry_a_hold_request(world, form):
    with refused(ValidationFailed, "FORM-TYPE", "domain.md A1.6", "cannot ask for a hold"):
        prepared(world, form_type=form, request_type=RequestType.HOLD)
    d = prepared(world, form_type=form)
    assert d.request_type == RequestType.NOTIFY
    assert not d.neutral_review_required


@pytest.mark.parametrize("review", [None, False], ids=["unconfirmed", "rejected"])
def test_prepare_needs_a_confirmed_identity_match(world, review):
    booking = book(world)
    match = cs.identity_match_propose(
        actor=world.officer, booking=booking, subject=booking.subject, basis=MatchBasis.BIOGRAPHIC, at=T0, score=0.97
    )
    if review is not None:
        match = cs.identity_match_review(actor=world.officer, match=match, confirm=review, reason="DOB differs", at=T0)
    with refused(GuardRefused, "R-MATCH-CONFIRMED v1"):
        ds.detainer_prepare(
            actor=world.officer, booking=booking, identity_match=match, pc_bases=[PCBasis.BIOMETRIC_AND_DATABASE]
        )
    assert not Detainer.objects.filter(booking=booking).exists()


def test_prepare_after_release_is_refused(world):
    booking = book(world)
    match = confirmed_match(world, booking)
    cs.booking_release(actor=world.booking_clerk, booking=booking, at=T0 + timedelta(hours=3), release_type="BOND")
    with refused(GuardRefused, "R-CRIMINAL-CUSTODY v1", "Policy 10074.2"):
        ds.detainer_prepare(
            actor=world.officer,
            booking=booking,
            identity_match=match,
            pc_bases=[PCBasis.BIOMETRIC_AND_DATABASE],
            at=T0 + timedelta(hours=4),
        )


def test_lea_staff_cannot_prepare_a_detainer(world):
    booking = book(world)
    match = confirmed_match(world, booking)
    with refused(NotPermitted):
        ds.detainer_prepare(
            actor=world.booking_clerk, booking=booking, identity_match=match, pc_bases=[PCBasis.FINAL_ORDER]
        )


# ------------------------------------------------------------------------------------ agency side: approve


@pytest.mark.parametrize("attach", ["none", "judicial_only", "i203_only"])
def test_hold_request_is_not_approved_without_an_i200_or_i205(world, attach):
    d = prepared(world, warrant=False)
    if attach == "judicial_only":
        judicial_warrant(world, d)
    elif attach == "i203_only":
        admin_warrant(world, d, WarrantType.I203)
    with refused(GuardRefused, "R-WARRANT-REQUIRED v1", "ICE Policy 10074.2"):
        ds.detainer_approve(actor=world.supervisor, detainer=d, at=T0 + timedelta(minutes=10))
    assert fresh(d).state == S.PREPARED
    # An I-205 satisfies the rule as well as an I-200.
    admin_warrant(world, d, WarrantType.I205)
    assert ds.detainer_approve(actor=world.supervisor, detainer=d).state == S.APPROVED


def test_the_preparer_cannot_approve_four_eyes(world):
    booking = book(world)
    match = confirmed_match(world, booking)
    d = ds.detainer_prepare(
        actor=world.supervisor, booking=booking, identity_match=match, pc_bases=[PCBasis.FINAL_ORDER], at=T0
    )
    admin_warrant(world, d)
    with refused(GuardRefused, "R-FOUR-EYES v1"):
        ds.detainer_approve(actor=world.supervisor, detainer=d)
    assert fresh(d).state == S.PREPARED
    from tests.factories import UserFactory

    second = UserFactory(role="AGENCY_SUPERVISOR", organization=world.office)
    assert ds.detainer_approve(actor=second, detainer=d).approved_by == second


def test_an_officer_cannot_approve(world):
    d = prepared(world)
    with refused(NotPermitted):
        ds.detainer_approve(actor=world.officer, detainer=d)


def test_hold_request_is_not_approved_while_a_citizenship_claim_is_open(world):
    d = prepared(world)
    cs.citizenship_claim_open(actor=world.officer, subject=d.subject, basis=ClaimBasis.ASSERTED, at=T0)
    with refused(GuardRefused, "R-CITIZENSHIP-FREEZE v1", "GAO-21-487"):
        ds.detainer_approve(actor=world.supervisor, detainer=d)
    assert fresh(d).state == S.PREPARED


# ------------------------------------------------------------------------------------------ LEA decision


def test_hold_decision_is_refused_while_a_citizenship_claim_is_open(world):
    d = received(world)
    serve(world, d)
    cs.citizenship_claim_open(actor=world.booking_clerk, subject=d.subject, basis=ClaimBasis.ASSERTED)
    with refused(GuardRefused, "R-CITIZENSHIP-FREEZE v1", "Galarza"):
        decide(world, d)
    assert fresh(d).state == S.UNDER_POLICY_REVIEW


def test_hold_decision_is_refused_until_the_subject_is_served(world):
    d = received(world)
    with refused(GuardRefused, "R-SERVICE v1", "Form I-247A (02/17)"):
        decide(world, d)
    assert fresh(d).state == S.UNDER_POLICY_REVIEW
    serve(world, d)
    assert decide(world, d).state == S.ACTIVE_HOLD_ELIGIBLE


@pytest.mark.smoke
def test_a_policy_that_forbids_holds_makes_the_hold_impossible(world):
    make_policy(world.lea.jurisdiction, "TEST-NO-HOLDS", hold=HoldRule.NEVER, notify=NotifyRule.ALLOWED)
    d = received(world)
    serve(world, d)
    with refused(GuardRefused, "TEST-NO-HOLDS v1", "Test citation for TEST-NO-HOLDS") as info:
        decide(world, d)
    assert info.value.rule == "TEST-NO-HOLDS v1"
    d = fresh(d)
    assert d.state == S.UNDER_POLICY_REVIEW
    assert d.lea_decision == ""
    assert "decide_hold" not in names(d)
    # Notification and decline remain open to the LEA.
    assert decide(world, d, LeaDecision.NOTIFY_ONLY).state == S.ACTIVE_NOTIFY_ONLY


def test_judicial_warrant_policy_refuses_an_administrative_warrant_alone(world):
    make_policy(world.lea.jurisdiction, "TEST-JW", hold=HoldRule.JUDICIAL_WARRANT, notify=NotifyRule.ALLOWED)
    d = received(world)
    serve(world, d)
    with refused(GuardRefused, "TEST-JW v1", "Test citation for TEST-JW"):
        decide(world, d)
    assert fresh(d).state == S.UNDER_POLICY_REVIEW
    judicial_warrant(world, d, at=T0 + timedelta(minutes=50))
    d = decide(world, d)
    assert d.state == S.ACTIVE_HOLD_ELIGIBLE
    assert d.policy_at_decision["hold_allowed"] is True


@pytest.mark.parametrize("serious", [False, True])
def test_judicial_warrant_and_serious_conviction_policy(world, serious):
    make_policy(
        world.lea.jurisdiction, "TEST-JWS", hold=HoldRule.JUDICIAL_WARRANT_AND_SERIOUS, notify=NotifyRule.ALLOWED
    )
    d = received(world, booking=book(world, serious_conviction=serious))
    serve(world, d)
    with refused(GuardRefused, "TEST-JWS v1"):
        decide(world, d)  # no judicial warrant yet: refused either way
    judicial_warrant(world, d)
    if serious:
        assert decide(world, d).state == S.ACTIVE_HOLD_ELIGIBLE
    else:
        with refused(GuardRefused, "TEST-JWS v1", "Test citation for TEST-JWS"):
            decide(world, d)
        assert fresh(d).state == S.UNDER_POLICY_REVIEW


def test_a_shorter_policy_ceiling_shortens_the_hold_and_names_the_policy(world):
    make_policy(world.lea.jurisdiction, "TEST-24H", hold=HoldRule.HONOR, notify=NotifyRule.ALLOWED, max_hours=24)
    d = in_hold(world)
    assert d.hold_started_at == E
    assert d.hold_expires_at == E + timedelta(hours=24)
    assert d.hold_rule == "TEST-24H v1"
    [ceiling] = [c for c in clocks.detainer_clocks(d) if c.name == "hold_ceiling"]
    assert "24 clock hours" in ceiling.explanation
    assert "R-HOLD-48H v1" in ceiling.explanation and "shortened by TEST-24H v1" in ceiling.explanation
    assert sweep(E + timedelta(hours=24) - timedelta(seconds=1)).holds_expired == 0
    assert sweep(E + timedelta(hours=24)).holds_expired == 1
    assert fresh(d).state == S.RELEASED_WINDOW_EXPIRED


def test_a_zero_hour_ceiling_makes_the_hold_impossible(world):
    make_policy(world.lea.jurisdiction, "TEST-ZERO", hold=HoldRule.HONOR, notify=NotifyRule.ALLOWED, max_hours=0)
    d = received(world)
    serve(world, d)
    with refused(GuardRefused, "TEST-ZERO v1", "Test citation for TEST-ZERO"):
        decide(world, d)
    assert fresh(d).state == S.UNDER_POLICY_REVIEW


def test_notification_is_refused_where_local_law_prohibits_it(world):
    make_policy(world.lea.jurisdiction, "TEST-NO-NOTICE", hold=HoldRule.HONOR, notify=NotifyRule.PROHIBITED)
    d = received(world)
    with refused(GuardRefused, "TEST-NO-NOTICE v1", "Test citation for TEST-NO-NOTICE"):
        decide(world, d, LeaDecision.NOTIFY_ONLY)
    assert fresh(d).state == S.UNDER_POLICY_REVIEW
    # Even on a detainer whose hold was honored, no release notice may be sent.
    serve(world, d)
    decide(world, d)
    with refused(GuardRefused, "TEST-NO-NOTICE v1", "Test citation for TEST-NO-NOTICE"):
        ds.notification_send(actor=world.booking_clerk, detainer=d, expected_release_at=E, at=T0 + timedelta(hours=2))
    assert not fresh(d).notifications.exists()


def test_other_agencies_and_other_offices_are_not_permitted(world):
    other = make_world(suffix=" (other)")
    assert other.lea != world.lea and other.office != world.office
    d = prepared(world)
    with refused(NotPermitted, "issuing office"):
        ds.detainer_approve(actor=other.supervisor, detainer=d)
    ds.detainer_approve(actor=world.supervisor, detainer=d)
    with refused(NotPermitted, "issuing office"):
        ds.detainer_transmit(actor=other.officer, detainer=d)
    ds.detainer_transmit(actor=world.officer, detainer=d)
    with refused(NotPermitted, "addressed law enforcement agency"):
        ds.detainer_receive(actor=other.booking_clerk, detainer=d)
    ds.detainer_receive(actor=world.booking_clerk, detainer=d)
    with refused(NotPermitted, "addressed law enforcement agency"):
        ds.detainer_serve_subject(actor=other.booking_clerk, detainer=d)
    serve(world, d)
    with refused(NotPermitted, "addressed law enforcement agency"):
        ds.detainer_decide(actor=other.lea_counsel, detainer=d, decision=LeaDecision.HONOR_HOLD)
    # Booking staff of the right agency are not its counsel either.
    with refused(NotPermitted):
        ds.detainer_decide(actor=world.booking_clerk, detainer=d, decision=LeaDecision.HONOR_HOLD)
    decide(world, d)
    eligible(world, d)
    with refused(NotPermitted, "issuing office"):
        ds.detainer_transfer_custody(actor=other.officer, detainer=d, at=E + timedelta(hours=2))
    with refused(NotPermitted, "issuing office"):
        ds.detainer_lift(actor=other.officer, detainer=d, reason=LiftReason.CASE_CLOSED, at=E + timedelta(hours=2))
    assert fresh(d).state == S.HOLD_IN_EFFECT


# ------------------------------------------------------------------------------------- the hold and its end


def test_custody_transfer_after_the_ceiling_is_refused_and_the_expiry_stands(world):
    d = in_hold(world)
    assert not open_work(d, WorkItemKind.RELEASE_REQUIRED)
    with refused(InvalidTransition, "Released: hold ceiling reached", "ceiling"):
        ds.detainer_transfer_custody(actor=world.officer, detainer=d, at=E + timedelta(hours=49))
    d = fresh(d)
    assert d.state == S.RELEASED_WINDOW_EXPIRED
    assert d.hold_ended_at == E + timedelta(hours=48)
    assert open_work(d, WorkItemKind.RELEASE_REQUIRED)
    assert d.booking.released_at is None  # no custody moved to the agency
    expire = Transition.objects.get(case_type="detainer", case_id=d.pk, name="expire_hold")
    assert expire.at == E + timedelta(hours=48) and expire.channel == Channel.SYSTEM


def test_custody_transferred_within_the_window_closes_as_booked_into_detention(world):
    d = in_hold(world)
    d = ds.detainer_transfer_custody(actor=world.officer, detainer=d, at=E + timedelta(hours=5))
    assert d.state == S.CUSTODY_TRANSFERRED
    assert d.booking.release_type == "TRANSFER_TO_ICE"
    assert sweep(E + timedelta(hours=6)).detainers_closed == 1
    d = fresh(d)
    assert d.state == S.CLOSED
    assert d.outcome_group == OutcomeGroup.CUSTODY_TRANSFERRED
    assert d.lift_reason == LiftReason.BOOKED_INTO_DETENTION == "Booked into Detention"
    assert d.hold_minutes_used == 5 * 60
    assert d.over_detention_flags == []


def test_citizenship_claim_during_a_hold_ends_it_and_a_noncitizen_finding_resumes_within_the_ceiling(world):
    d = in_hold(world)
    claim = cs.citizenship_claim_open(
        actor=world.booking_clerk, subject=d.subject, basis=ClaimBasis.ASSERTED, at=E + timedelta(hours=10)
    )
    d = fresh(d)
    assert d.state == S.CITIZENSHIP_REVIEW
    assert d.hold_ended_at == E + timedelta(hours=10)
    item = WorkItem.objects.get(detainer=d, kind=WorkItemKind.RELEASE_REQUIRED_CLAIM)
    assert item.resolved_at is None and item.due_at == E + timedelta(hours=10)
    # No hold may start while the claim is open.
    assert ds.hold_guard_failures(d, E + timedelta(hours=11))[0].rule == "R-CITIZENSHIP-FREEZE v1"

    cs.citizenship_claim_resolve(
        actor=world.supervisor,
        claim=claim,
        verified_citizen=False,
        notes="A-file shows birth abroad; no derivation",
        at=E + timedelta(hours=20),
    )
    d = fresh(d)
    assert d.state == S.HOLD_IN_EFFECT
    # The ceiling is still measured from release eligibility: the claim did not buy the agency more time.
    assert d.hold_started_at == E
    assert d.hold_expires_at == E + timedelta(hours=48)
    assert d.hold_ended_at is None  # the hold is running again; its clock must not read as stopped
    assert sweep(E + timedelta(hours=48)).holds_expired == 1
    assert fresh(d).state == S.RELEASED_WINDOW_EXPIRED


def test_noncitizen_finding_after_the_original_ceiling_does_not_restart_a_hold(world):
    d = in_hold(world)
    claim = cs.citizenship_claim_open(
        actor=world.booking_clerk, subject=d.subject, basis=ClaimBasis.ASSERTED, at=E + timedelta(hours=10)
    )
    cs.citizenship_claim_resolve(
        actor=world.supervisor,
        claim=claim,
        verified_citizen=False,
        notes="resolved late",
        at=E + timedelta(hours=60),
    )
    d = fresh(d)
    assert d.state == S.ACTIVE_HOLD_ELIGIBLE  # eligible in principle, but the ceiling is spent
    assert d.hold_ended_at == E + timedelta(hours=10)
    after_freeze = names(d)[names(d).index("freeze_for_citizenship") :]
    assert "start_hold" not in after_freeze and "hold_refused" in after_freeze
    assert open_work(d, WorkItemKind.RELEASE_REQUIRED)


def test_verified_citizen_lifts_the_detainer(world):
    d = in_hold(world)
    claim = cs.citizenship_claim_open(
        actor=world.officer, subject=d.subject, basis=ClaimBasis.US_PASSPORT, at=E + timedelta(hours=1)
    )
    cs.citizenship_claim_resolve(
        actor=world.supervisor, claim=claim, verified_citizen=True, notes="passport verified", at=E + timedelta(hours=3)
    )
    d = fresh(d)
    assert d.state == S.LIFTED
    assert d.lift_reason == LiftReason.USC_CLAIM == "USC or Presumptive Claim to US Citizenship"
    cs.booking_release(actor=world.booking_clerk, booking=d.booking, at=E + timedelta(hours=4), release_type="BOND")
    sweep(E + timedelta(hours=5))
    d = fresh(d)
    assert d.state == S.CLOSED
    assert d.outcome_group == OutcomeGroup.LIFTED_BY_ICE


@pytest.mark.parametrize(
    ("field", "value", "basis"),
    [
        ("stated_birth_country", "United States", ClaimBasis.US_BIRTHPLACE),
        ("us_passport_on_file", True, ClaimBasis.US_PASSPORT),
        ("citizenship_asserted", True, ClaimBasis.ASSERTED),
    ],
)
def test_booking_data_indicating_citizenship_opens_a_claim(world, field, value, basis):
    booking = book(world, **{field: value})
    claim = CitizenshipClaim.objects.get(subject=booking.subject)
    assert claim.status == ClaimStatus.OPEN and claim.basis == basis and claim.raised_at == T0
    # And the claim freezes any hold request for that person.
    d = prepared(world, booking=booking)
    with refused(GuardRefused, "R-CITIZENSHIP-FREEZE v1"):
        ds.detainer_approve(actor=world.supervisor, detainer=d)


def test_booking_without_citizenship_indications_opens_no_claim(world):
    booking = book(world, stated_birth_country="Mexico")
    assert not CitizenshipClaim.objects.filter(subject=booking.subject).exists()


# --------------------------------------------------------------------------------- neutral review (Gonzalez)


@pytest.fixture
def covered(db) -> World:
    return make_world(neutral_review=True, suffix=" (covered)")


def test_covered_office_hold_is_refused_until_a_neutral_finding_of_probable_cause(covered):
    d = received(covered)
    assert d.neutral_review_required
    assert d.state == S.UNDER_POLICY_REVIEW
    serve(covered, d)
    with refused(GuardRefused, "R-NEUTRAL-REVIEW-48H v1", "Gonzalez"):
        decide(covered, d)
    assert fresh(d).state == S.UNDER_POLICY_REVIEW
    with refused(NotPermitted):
        ds.detainer_record_neutral_review(actor=covered.officer, detainer=d, result=ReviewResult.PC_FOUND)
    ds.detainer_record_neutral_review(
        actor=covered.agency_counsel, detainer=d, result=ReviewResult.PC_FOUND, at=T0 + timedelta(minutes=50)
    )
    assert decide(covered, d).state == S.ACTIVE_HOLD_ELIGIBLE


def test_neutral_finding_of_no_probable_cause_lifts_the_detainer(covered):
    d = received(covered)
    out = ds.detainer_record_neutral_review(
        actor=covered.agency_counsel, detainer=d, result=ReviewResult.PC_NOT_FOUND, at=T0 + timedelta(hours=2)
    )
    d = fresh(d)
    assert d.state == S.LIFTED
    assert d.lift_reason == LiftReason.CASE_CLOSED
    assert out.state == S.LIFTED  # the returned object is not stale
    sweep(T0 + timedelta(hours=3))
    assert fresh(d).outcome_group == OutcomeGroup.LIFTED_BY_ICE


def test_sweep_raises_neutral_review_overdue_after_48_hours(covered):
    d = received(covered)
    transmitted = fresh(d).transmitted_at
    assert sweep(transmitted + timedelta(hours=47, minutes=59)).reviews_overdue == 0
    assert sweep(transmitted + timedelta(hours=48)).reviews_overdue == 1
    assert sweep(transmitted + timedelta(hours=49)).reviews_overdue == 0
    item = WorkItem.objects.get(detainer=d, kind=WorkItemKind.NEUTRAL_REVIEW_OVERDUE)
    assert item.due_at == transmitted + timedelta(hours=48)
    assert item.organization == covered.office


def test_no_neutral_review_needed_for_uncovered_office_or_notification_form(world, covered):
    assert not received(world).neutral_review_required
    assert not prepared(covered, form_type=FormType.I247G).neutral_review_required


# ------------------------------------------------------------------------------------- validation at receipt


def test_missing_warrant_fails_validation_at_receipt_and_is_cured_by_attaching_it(world):
    """The LEA records from the paper an agency approval that came without an I-200/I-205 (a deployment run by
    the LEA alone); its own validation at receipt catches the defect (domain.md B3.1 D2)."""
    d = prepared(world, warrant=False)
    # The agency itself cannot approve it ...
    with refused(GuardRefused, "R-WARRANT-REQUIRED v1"):
        ds.detainer_approve(actor=world.supervisor, detainer=d)
    # ... but the defective detainer it sent anyway is recorded from the document, and fails validation.
    paper = "Form I-247A received by fax, 2 March 2026"
    ds.detainer_approve(actor=world.booking_clerk, detainer=d, channel=Channel.STAFF_RECORDED, source_document=paper)
    ds.detainer_transmit(actor=world.booking_clerk, detainer=d, channel=Channel.STAFF_RECORDED, source_document=paper)
    d = ds.detainer_receive(actor=world.booking_clerk, detainer=d, at=T0 + timedelta(minutes=30))
    assert d.state == S.VALIDATION_FAILED
    failed = Transition.objects.get(case_type="detainer", case_id=d.pk, name="fail_validation")
    assert "no I-200 or I-205 attached (ICE Policy 10074.2)" in failed.data["problems"]
    # No hold is possible on it.
    assert any(p.rule == "R-WARRANT-REQUIRED v1" for p in ds.hold_guard_failures(fresh(d), T0 + timedelta(hours=1)))
    # Re-validation before the warrant arrives is refused.
    with refused(GuardRefused, "no I-200 or I-205"):
        ds.detainer_revalidate(actor=world.booking_clerk, detainer=d)
    admin_warrant(world, d, at=T0 + timedelta(hours=2))
    d = ds.detainer_revalidate(actor=world.booking_clerk, detainer=d, at=T0 + timedelta(hours=3))
    assert d.state == S.UNDER_POLICY_REVIEW
    serve(world, d, at=T0 + timedelta(hours=3))
    assert decide(world, d, at=T0 + timedelta(hours=4)).state == S.ACTIVE_HOLD_ELIGIBLE


# --------------------------------------------------------------------------------------------- outcomes


def test_notify_only_release_after_notice(world):
    d = received(world)
    d = decide(world, d, LeaDecision.NOTIFY_ONLY)
    assert d.state == S.ACTIVE_NOTIFY_ONLY
    n = ds.notification_send(actor=world.booking_clerk, detainer=d, expected_release_at=E, at=E - timedelta(hours=50))
    assert n.lead_time_hours == pytest.approx(50)
    cs.booking_release(actor=world.booking_clerk, booking=d.booking, at=E, release_type="BOND")
    d = fresh(d)
    assert d.state == S.RELEASED_NOTICE_GIVEN
    assert d.hold_started_at is None
    sweep(E + timedelta(hours=1))
    d = fresh(d)
    assert d.state == S.CLOSED
    assert d.outcome_group == OutcomeGroup.RELEASED_BEFORE_PICKUP
    assert d.over_detention_flags == []


@pytest.mark.smoke
def test_declined_by_lea(world):
    d = received(world)
    d = decide(world, d, LeaDecision.DECLINE)
    assert d.state == S.DECLINED
    assert d.lift_reason == LiftReason.DECLINED_BY_LEA
    sweep(T0 + timedelta(hours=2))
    d = fresh(d)
    assert d.state == S.CLOSED
    assert d.outcome_group == OutcomeGroup.DECLINED_BY_LEA


def test_release_beyond_a_six_hour_release_rule_is_flagged_v8(world):
    """Colorado-style: no holds, no notice, release within 6 h of bond. A release 8 h after bond is V8,
    even when the periodic sweep runs between the decision and the release."""
    make_policy(
        world.lea.jurisdiction,
        "TEST-CO",
        hold=HoldRule.NEVER,
        notify=NotifyRule.PROHIBITED,
        release_within_hours=6,
    )
    d = received(world)
    d = decide(world, d, LeaDecision.DECLINE)
    assert d.policy_at_decision["release_within_hours"] == 6
    sweep(T0 + timedelta(hours=2))  # the sweep runs before the release is known
    eligible(world, d)
    sweep(E + timedelta(hours=1))
    cs.booking_release(actor=world.booking_clerk, booking=d.booking, at=E + timedelta(hours=8), release_type="BOND")
    sweep(E + timedelta(hours=9))
    d = fresh(d)
    assert d.state == S.CLOSED
    assert d.outcome_group == OutcomeGroup.DECLINED_BY_LEA
    v8 = [f for f in d.over_detention_flags if f["code"] == "V8"]
    assert v8 == [{"code": "V8", "minutes": 120, "detail": "release later than 6 h after bond or PR"}]
    assert WorkItem.objects.filter(detainer=d, kind=WorkItemKind.OVER_DETENTION).count() == 1
    [release_clock] = [c for c in clocks.detainer_clocks(d) if c.name == "release_after_bond"]
    assert release_clock.status(E + timedelta(hours=9)) == "missed"


def test_release_within_the_six_hour_rule_is_not_flagged(world):
    make_policy(world.lea.jurisdiction, "TEST-CO", hold=HoldRule.NEVER, release_within_hours=6)
    d = decide(world, received(world), LeaDecision.DECLINE)
    eligible(world, d)
    cs.booking_release(actor=world.booking_clerk, booking=d.booking, at=E + timedelta(hours=5), release_type="BOND")
    sweep(E + timedelta(hours=9))
    d = fresh(d)
    assert d.state == S.CLOSED and d.over_detention_flags == []
