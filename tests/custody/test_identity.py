"""One person across records (custody/identity.py and the identity services, ADR 0014).

A booking arrives on the record the jail describes; a confirmed match joins it to the agency's registry
record, and the detainer is lodged on the registry record. Every safeguard must read both: these tests raise
the claim on either record, before and after the link, and undo the link in the middle of a hold.
"""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps

from holdtrack.audit.models import AuditEvent, Transition
from holdtrack.cases.models import Detainer, DetainerState, LeaDecision, LiftReason, WorkItem, WorkItemKind
from holdtrack.cases.services import detainers as ds
from holdtrack.core.errors import GuardRefused, ValidationFailed
from holdtrack.custody import services as cs
from holdtrack.custody.identity import person_subject_ids
from holdtrack.custody.models import (
    ClaimBasis,
    ClaimStatus,
    IdentityLink,
    IdentityMatch,
    MatchBasis,
    MatchStatus,
    Subject,
)
from tests.factories import (
    T0,
    UserFactory,
    World,
    book,
    confirmed_match,
    other_aor_world,
    prepared,
    registry_subject,
)

pytestmark = pytest.mark.django_db

S = DetainerState
E = T0 + timedelta(days=2)  # release eligibility


def fresh(d: Detainer) -> Detainer:
    return Detainer.objects.get(pk=d.pk)


def in_hold_on_registry(w: World, registry: Subject) -> Detainer:
    """A detainer lodged on the registry record for a booking made on a separate booked record, in a hold."""
    d = prepared(w, registry=registry)
    ds.detainer_approve(actor=w.supervisor, detainer=d, at=T0 + timedelta(minutes=10))
    ds.detainer_transmit(actor=w.officer, detainer=d, at=T0 + timedelta(minutes=11))
    ds.detainer_receive(actor=w.booking_clerk, detainer=d, at=T0 + timedelta(minutes=30))
    ds.detainer_serve_subject(actor=w.booking_clerk, detainer=d, at=T0 + timedelta(minutes=40))
    ds.detainer_decide(actor=w.lea_counsel, detainer=d, decision=LeaDecision.HONOR_HOLD, at=T0 + timedelta(hours=1))
    cs.booking_record_release_eligibility(actor=w.booking_clerk, booking=d.booking, at=E, reason="BOND_POSTED")
    d = fresh(d)
    assert d.state == S.HOLD_IN_EFFECT
    assert d.subject_id == registry.pk != d.booking.subject_id
    return d


def open_work(d: Detainer, kind: str) -> bool:
    return WorkItem.objects.filter(detainer=d, kind=kind, resolved_at__isnull=True).exists()


# ------------------------------------------------------------------------------------------- the link


@pytest.mark.smoke
def test_a_confirmed_match_makes_the_booked_and_the_registry_record_one_person(world):
    registry = registry_subject(world)
    b = book(world)
    m = confirmed_match(world, b, subject=registry)
    assert person_subject_ids(registry.pk) == person_subject_ids(b.subject_id) == sorted([registry.pk, b.subject_id])
    link = IdentityLink.objects.get(match=m)
    assert (link.booked_subject_id, link.registry_subject_id, link.linked_by) == (
        b.subject_id,
        registry.pk,
        world.officer,
    )
    event = AuditEvent.objects.get(action="identity.link", entity_id=m.pk)
    assert event.data["person_id"] == Subject.objects.get(pk=registry.pk).person_id is not None


def test_a_second_booking_of_the_same_person_joins_the_same_person(world):
    registry = registry_subject(world)
    first, second = book(world), book(world, at=T0 + timedelta(days=1))
    confirmed_match(world, first, subject=registry)
    person = Subject.objects.get(pk=registry.pk).person_id
    confirmed_match(world, second, subject=registry, at=T0 + timedelta(days=1))
    assert Subject.objects.get(pk=registry.pk).person_id == person  # the id an API client saw stays valid
    assert person_subject_ids(second.subject_id) == sorted([registry.pk, first.subject_id, second.subject_id])


def test_a_match_on_the_booked_record_itself_links_nothing(world):
    b = book(world)
    confirmed_match(world, b)
    assert not IdentityLink.objects.exists()
    assert person_subject_ids(b.subject_id) == [b.subject_id]


# ------------------------------------------------------------------------------- claims on either record


def test_a_claim_on_the_booked_record_freezes_the_hold_on_the_registry_record(world):
    """The repro of issue 10: the LEA sees the booked record; its claim must end the hold lodged on the other."""
    registry = registry_subject(world)
    d = in_hold_on_registry(world, registry)
    booked = d.booking.subject
    cs.citizenship_claim_open(
        actor=world.booking_clerk, subject=booked, basis=ClaimBasis.ASSERTED, at=E + timedelta(hours=3)
    )
    d = fresh(d)
    assert d.state == S.CITIZENSHIP_REVIEW
    assert d.hold_ended_at == E + timedelta(hours=3)
    assert open_work(d, WorkItemKind.RELEASE_REQUIRED_CLAIM)
    assert "R-CITIZENSHIP-FREEZE v1" in [p.rule for p in ds.hold_guard_failures(d, E + timedelta(hours=4))]


def test_a_claim_on_the_registry_record_freezes_the_hold_too(world):
    registry = registry_subject(world)
    d = in_hold_on_registry(world, registry)
    cs.citizenship_claim_open(
        actor=world.officer, subject=registry, basis=ClaimBasis.ASSERTED, at=E + timedelta(hours=1)
    )
    assert fresh(d).state == S.CITIZENSHIP_REVIEW


def test_one_open_claim_per_person_whichever_record_it_is_raised_on(world):
    registry = registry_subject(world)
    b = book(world)
    confirmed_match(world, b, subject=registry)
    first = cs.citizenship_claim_open(actor=world.booking_clerk, subject=b.subject, basis=ClaimBasis.ASSERTED)
    again = cs.citizenship_claim_open(actor=world.officer, subject=registry, basis=ClaimBasis.ASSERTED)
    assert again.pk == first.pk


def test_a_hold_decision_is_refused_while_the_booked_record_has_an_open_claim(world):
    registry = registry_subject(world)
    d = prepared(world, registry=registry)
    ds.detainer_approve(actor=world.supervisor, detainer=d, at=T0 + timedelta(minutes=10))
    ds.detainer_transmit(actor=world.officer, detainer=d, at=T0 + timedelta(minutes=11))
    ds.detainer_receive(actor=world.booking_clerk, detainer=d, at=T0 + timedelta(minutes=30))
    ds.detainer_serve_subject(actor=world.booking_clerk, detainer=d, at=T0 + timedelta(minutes=40))
    cs.citizenship_claim_open(actor=world.booking_clerk, subject=d.booking.subject, basis=ClaimBasis.ASSERTED)
    with pytest.raises(GuardRefused) as info:
        ds.detainer_decide(actor=world.lea_counsel, detainer=d, decision=LeaDecision.HONOR_HOLD)
    assert info.value.rule == "R-CITIZENSHIP-FREEZE v1"
    assert fresh(d).state == S.UNDER_POLICY_REVIEW


def test_a_claim_open_before_the_link_freezes_the_registry_records_holds_when_the_match_is_confirmed(world):
    registry = registry_subject(world)
    earlier = in_hold_on_registry(world, registry)
    # A new booking of someone who says they are a U.S. citizen: the claim is raised on the booked record.
    b = book(world, at=E + timedelta(hours=2), citizenship_asserted=True)
    assert b.subject.citizenship_claims.filter(status=ClaimStatus.OPEN).exists()
    assert fresh(earlier).state == S.HOLD_IN_EFFECT  # not yet known to be the same person
    confirmed_match(world, b, subject=registry, at=E + timedelta(hours=5))
    earlier = fresh(earlier)
    assert earlier.state == S.CITIZENSHIP_REVIEW
    assert earlier.hold_ended_at == E + timedelta(hours=5)
    # The claim the booking raised covers the person: no second claim is opened at confirmation.
    assert registry.citizenship_claims.count() == 0
    assert (
        sum(s.citizenship_claims.count() for s in Subject.objects.filter(pk__in=person_subject_ids(registry.pk))) == 1
    )


def test_resolving_the_claim_on_the_booked_record_resumes_the_hold_on_the_registry_record(world):
    registry = registry_subject(world)
    d = in_hold_on_registry(world, registry)
    claim = cs.citizenship_claim_open(
        actor=world.booking_clerk, subject=d.booking.subject, basis=ClaimBasis.ASSERTED, at=E + timedelta(hours=3)
    )
    cs.citizenship_claim_resolve(
        actor=world.supervisor,
        claim=claim,
        verified_citizen=False,
        notes="A-file: born abroad",
        at=E + timedelta(hours=6),
    )
    d = fresh(d)
    assert d.state == S.HOLD_IN_EFFECT
    assert d.hold_expires_at == E + timedelta(hours=48)  # measured from release eligibility, as before


def test_a_hold_stays_frozen_while_another_record_of_the_person_still_has_an_open_claim(world):
    registry = registry_subject(world)
    d = in_hold_on_registry(world, registry)
    on_registry = cs.citizenship_claim_open(
        actor=world.officer, subject=registry, basis=ClaimBasis.ASSERTED, at=E + timedelta(hours=1)
    )
    # Another booking, claimed separately before anyone knew it was the same person, then confirmed.
    b = book(world, at=E + timedelta(hours=2), citizenship_asserted=True)
    confirmed_match(world, b, subject=registry, at=E + timedelta(hours=3))
    cs.citizenship_claim_resolve(
        actor=world.supervisor,
        claim=on_registry,
        verified_citizen=False,
        notes="born abroad",
        at=E + timedelta(hours=4),
    )
    assert fresh(d).state == S.CITIZENSHIP_REVIEW
    other = b.subject.citizenship_claims.get(status=ClaimStatus.OPEN)
    cs.citizenship_claim_resolve(
        actor=world.supervisor, claim=other, verified_citizen=False, notes="same A-file", at=E + timedelta(hours=5)
    )
    assert fresh(d).state == S.HOLD_IN_EFFECT


def test_a_verified_citizen_on_the_booked_record_lifts_the_detainer_on_the_registry_record(world):
    registry = registry_subject(world)
    d = in_hold_on_registry(world, registry)
    claim = cs.citizenship_claim_open(
        actor=world.booking_clerk, subject=d.booking.subject, basis=ClaimBasis.US_PASSPORT, at=E + timedelta(hours=1)
    )
    cs.citizenship_claim_resolve(
        actor=world.supervisor, claim=claim, verified_citizen=True, notes="passport verified", at=E + timedelta(hours=2)
    )
    d = fresh(d)
    assert (d.state, d.lift_reason) == (S.LIFTED, LiftReason.USC_CLAIM)


# ---------------------------------------------------------------------------------- undoing the link


def test_revoking_the_match_mid_hold_lifts_the_detainer_and_tells_the_lea_to_release(world):
    registry = registry_subject(world)
    d = in_hold_on_registry(world, registry)
    m = d.identity_match
    cs.identity_match_revoke(
        actor=world.supervisor, match=m, reason="prints belong to a sibling", at=E + timedelta(hours=5)
    )
    d = fresh(d)
    assert d.state == S.LIFTED
    assert d.hold_ended_at == E + timedelta(hours=5)
    assert open_work(d, WorkItemKind.RELEASE_REQUIRED)
    assert IdentityMatch.objects.get(pk=m.pk).status == MatchStatus.REJECTED
    link = IdentityLink.objects.get(match=m)
    assert (link.undone_by, link.undo_reason) == (world.supervisor, "prints belong to a sibling")
    assert person_subject_ids(registry.pk) == [registry.pk]
    assert person_subject_ids(d.booking.subject_id) == [d.booking.subject_id]
    assert AuditEvent.objects.filter(action="identity.unlink", entity_id=m.pk).count() == 1
    lift = Transition.objects.get(case_type="detainer", case_id=d.pk, name="lift")
    assert lift.data["identity_match_revoked"] == m.pk


def test_revoking_a_link_reruns_the_claim_guards_on_both_records(world):
    """The registry record's earlier hold was frozen by a claim raised on a later booking; once that booking is
    found to be someone else, the claim is no longer the registry person's and the hold resumes."""
    registry = registry_subject(world)
    earlier = in_hold_on_registry(world, registry)
    b = book(world, at=E + timedelta(hours=2), citizenship_asserted=True)
    m = confirmed_match(world, b, subject=registry, at=E + timedelta(hours=3))
    assert fresh(earlier).state == S.CITIZENSHIP_REVIEW
    cs.identity_match_revoke(actor=world.officer, match=m, reason="different person", at=E + timedelta(hours=4))
    earlier = fresh(earlier)
    assert earlier.state == S.HOLD_IN_EFFECT
    assert not open_work(earlier, WorkItemKind.RELEASE_REQUIRED_CLAIM)
    # The claim stays with the booked record it was raised on.
    assert b.subject.citizenship_claims.filter(status=ClaimStatus.OPEN).exists()


def test_only_a_confirmed_match_can_be_revoked_and_only_with_a_reason(world):
    b = book(world)
    m = cs.identity_match_propose(
        actor=world.officer, booking=b, subject=registry_subject(world), basis=MatchBasis.BIOMETRIC
    )
    with pytest.raises(ValidationFailed):
        cs.identity_match_revoke(actor=world.officer, match=m, reason="  ")
    with pytest.raises(Exception) as info:
        cs.identity_match_revoke(actor=world.officer, match=m, reason="never confirmed")
    assert "revoke" in str(info.value).lower() or "Proposed" in str(info.value)
    assert IdentityMatch.objects.get(pk=m.pk).status == MatchStatus.PROPOSED


# ------------------------------------------------------------------------------- who may decide identity


def _conflicting_proposal(w: World) -> IdentityMatch:
    b = book(w, fbi_number="123456AB7")
    m = cs.identity_match_propose(actor=w.officer, booking=b, subject=registry_subject(w), basis=MatchBasis.BIOGRAPHIC)
    IdentityMatch.objects.filter(pk=m.pk).update(identifier_conflict=True)  # as screening flags it
    return IdentityMatch.objects.get(pk=m.pk)


def test_a_match_across_conflicting_fbi_numbers_needs_a_supervisors_override(world):
    m = _conflicting_proposal(world)
    with pytest.raises(GuardRefused) as info:
        cs.identity_match_review(actor=world.officer, match=m, confirm=True, reason="looks like him")
    assert info.value.rule == "R-IDENTIFIER-CONFLICT v1"
    with pytest.raises(GuardRefused):
        cs.identity_match_review(actor=world.supervisor, match=m, confirm=True, reason="looks like him")
    assert IdentityMatch.objects.get(pk=m.pk).status == MatchStatus.PROPOSED
    cs.identity_match_review(
        actor=world.supervisor,
        match=m,
        confirm=True,
        reason="FBI number on the booking was mistyped by the jail; prints confirmed",
        override_conflict=True,
    )
    m = IdentityMatch.objects.get(pk=m.pk)
    assert m.status == MatchStatus.CONFIRMED
    assert (m.override_by, m.override_reason) == (
        world.supervisor,
        "FBI number on the booking was mistyped by the jail; prints confirmed",
    )
    confirm = Transition.objects.get(case_type="identity_match", case_id=m.pk, name="confirm")
    assert confirm.data["conflict_overridden"] is True


def test_an_officer_may_reject_a_conflicting_proposal_alone(world):
    m = _conflicting_proposal(world)
    cs.identity_match_review(actor=world.officer, match=m, confirm=False, reason="different FBI number")
    assert IdentityMatch.objects.get(pk=m.pk).status == MatchStatus.REJECTED


def test_an_officer_of_another_area_or_an_inactive_or_anonymous_officer_cannot_decide_a_match(world):
    b = book(world)
    m = cs.identity_match_propose(
        actor=world.officer, booking=b, subject=registry_subject(world), basis=MatchBasis.BIOMETRIC
    )
    other = other_aor_world()
    nameless = UserFactory(role=world.officer.role, organization=None, first_name="", last_name="")
    inactive = UserFactory(role=world.officer.role, organization=world.office, is_active=False)
    for actor in (other.officer, other.supervisor, nameless, inactive):
        with pytest.raises(GuardRefused):
            cs.identity_match_review(actor=actor, match=m, confirm=True, reason="same person")
    assert IdentityMatch.objects.get(pk=m.pk).status == MatchStatus.PROPOSED
    assert not IdentityLink.objects.exists()


# ------------------------------------------------------------------------------------ data migration


def test_the_data_migration_links_the_records_todays_confirmed_matches_join(world):
    registry = registry_subject(world)
    first, second = book(world), book(world)
    m1 = confirmed_match(world, first, subject=registry)
    confirmed_match(world, second, subject=registry)
    confirmed_match(world, book(world))  # on the booked record itself: nothing to link
    # The state before the migration: confirmed matches, no links, no persons.
    IdentityLink.objects.all().delete()
    Subject.objects.update(person=None)
    migration = importlib.import_module("holdtrack.custody.migrations.0004_person_links")
    migration.link_confirmed_matches(django_apps, None)
    assert IdentityLink.objects.count() == 2
    assert IdentityLink.objects.get(match=m1).linked_by == world.officer
    assert person_subject_ids(registry.pk) == sorted([registry.pk, first.subject_id, second.subject_id])
