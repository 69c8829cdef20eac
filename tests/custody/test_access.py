"""custody.access: bookings, identity matches, subjects and claims scoped per role, one NotFound for missing and
forbidden, and the access event on every read of personal data."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser

from holdtrack.accounts.models import Role
from holdtrack.accounts.services import system_user
from holdtrack.audit.models import AuditEvent
from holdtrack.cases.models import Detainer, Subpoena
from holdtrack.core.errors import NotFound
from holdtrack.custody import access
from holdtrack.custody import services as cs
from holdtrack.custody.models import Booking, CitizenshipClaim, ClaimBasis, IdentityMatch, MatchBasis, Subject
from tests.factories import (
    UserFactory,
    World,
    book,
    confirmed_match,
    hold_eligible,
    make_world,
    other_aor_world,
    registry_subject,
    subpoena_to,
)

pytestmark = pytest.mark.django_db


@dataclass
class Scenario:
    a: World  # Houston AOR, agency A
    a2: World  # Houston AOR, another office and another LEA
    b: World  # Los Angeles AOR
    booking_a: Booking  # booked by LEA A, a match proposed to a registry record
    booking_a2: Booking  # booked by LEA A2 (same area as A)
    booking_b: Booking  # booked by LEA B
    proposed: IdentityMatch  # on booking_a, to registry_a
    registry_a: Subject  # the agency's record named by the proposed match; in no booking
    match_b: IdentityMatch  # on booking_b
    booked_c: Subject  # booked by LEA A, confirmed as the same person as registry_c
    registry_c: Subject
    claim_c: CitizenshipClaim  # raised on the registry record only
    detainer: Detainer  # A's hold, referred with its subpoena to DOJ A
    subpoena_subject: Subject  # subject of a subpoena referred to DOJ A; in no booking
    subpoena: Subpoena


@pytest.fixture
def sc(db) -> Scenario:
    a = make_world()
    a2 = make_world(suffix=" 2")
    b = other_aor_world()
    booking_a = book(a)
    registry_a = registry_subject(a)
    proposed = cs.identity_match_propose(
        actor=a.officer, booking=booking_a, subject=registry_a, basis=MatchBasis.BIOMETRIC
    )
    booking_b = book(b)
    match_b = cs.identity_match_propose(
        actor=b.officer, booking=booking_b, subject=booking_b.subject, basis=MatchBasis.BIOMETRIC
    )
    booking_c = book(a)
    registry_c = registry_subject(a)
    confirmed_match(a, booking_c, subject=registry_c)
    claim_c = cs.citizenship_claim_open(actor=a.officer, subject=registry_c, basis=ClaimBasis.ASSERTED)
    detainer = hold_eligible(a)
    subpoena_subject = cs.subject_create(actor=a.officer, first_name="Sub", last_name="Poena")
    subpoena = subpoena_to(a, stage="referred", detainer=detainer, subject=subpoena_subject)
    return Scenario(
        a=a,
        a2=a2,
        b=b,
        booking_a=booking_a,
        booking_a2=book(a2),
        booking_b=booking_b,
        proposed=proposed,
        registry_a=registry_a,
        match_b=match_b,
        booked_c=booking_c.subject,
        registry_c=registry_c,
        claim_c=claim_c,
        detainer=detainer,
        subpoena_subject=subpoena_subject,
        subpoena=subpoena,
    )


def ids(qs) -> set[int]:  # type: ignore[no-untyped-def]
    return set(qs.values_list("pk", flat=True))


def bookings_of(*worlds: World) -> set[int]:
    return set(Booking.objects.filter(custodian__in=[w.lea for w in worlds]).values_list("pk", flat=True))


AGENCY = ("officer", "supervisor", "agency_counsel")
LEA = ("booking_clerk", "lea_counsel")


# ------------------------------------------------------------------------------------------- agency roles


@pytest.mark.parametrize("who", AGENCY)
def test_agency_roles_see_the_bookings_and_matches_of_their_area(sc, who):
    user = getattr(sc.a, who)
    # A2's jail is in the same area of responsibility; B's is not.
    assert ids(access.bookings_for_user(user)) == bookings_of(sc.a, sc.a2)
    assert sc.booking_b.pk not in ids(access.bookings_for_user(user))
    assert ids(access.matches_for_user(user)) == set(
        IdentityMatch.objects.filter(booking__custodian__in=[sc.a.lea, sc.a2.lea]).values_list("pk", flat=True)
    )
    assert sc.proposed.pk in ids(access.matches_for_user(user))
    assert access.match_get_for_user(user, sc.proposed.pk) == sc.proposed
    assert access.booking_get_for_user(user, sc.a.lea.ori.lower(), sc.booking_a.booking_number) == sc.booking_a


@pytest.mark.parametrize("who", AGENCY)
def test_agency_roles_meet_subjects_through_bookings_matches_and_cases(sc, who):
    user = getattr(sc.a, who)
    seen = ids(access.subjects_for_user(user))
    # The registry record named by a proposed match, the subject of a subpoena, both records of a confirmed person.
    assert {sc.booking_a.subject_id, sc.booking_a2.subject_id, sc.registry_a.pk, sc.subpoena_subject.pk} <= seen
    assert {sc.booked_c.pk, sc.registry_c.pk, sc.detainer.subject_id} <= seen
    assert sc.booking_b.subject_id not in seen
    assert ids(access.claims_for_user(user)) == {sc.claim_c.pk}


@pytest.mark.parametrize("who", AGENCY)
def test_agency_roles_of_another_aor_see_none_of_it(sc, who):
    user = getattr(sc.b, who)
    assert ids(access.bookings_for_user(user)) == {sc.booking_b.pk}
    assert ids(access.matches_for_user(user)) == {sc.match_b.pk}
    assert ids(access.subjects_for_user(user)) == {sc.booking_b.subject_id}
    assert ids(access.claims_for_user(user)) == set()
    with pytest.raises(NotFound):
        access.match_get_for_user(user, sc.proposed.pk)
    with pytest.raises(NotFound):
        access.booking_get_for_user(user, sc.a.lea.ori, sc.booking_a.booking_number)
    with pytest.raises(NotFound):
        access.subject_get_for_user(user, sc.registry_a.pk, via="api")
    with pytest.raises(NotFound):
        access.claim_get_for_user(user, sc.claim_c.pk)


# ---------------------------------------------------------------------------------------------- LEA roles


@pytest.mark.parametrize("who", LEA)
def test_lea_roles_see_their_own_bookings_and_no_matches(sc, who):
    user = getattr(sc.a, who)
    assert ids(access.bookings_for_user(user)) == bookings_of(sc.a)
    assert ids(access.matches_for_user(user)) == set()  # reviewing a match is the agency's work
    with pytest.raises(NotFound):
        access.match_get_for_user(user, sc.proposed.pk)
    seen = ids(access.subjects_for_user(user))
    # Its booked subjects and the subject of the subpoena served on it; not the agency's registry records.
    assert seen == {b.subject_id for b in Booking.objects.filter(custodian=sc.a.lea)} | {sc.subpoena_subject.pk}
    assert sc.registry_a.pk not in seen
    assert sc.registry_c.pk not in seen


@pytest.mark.parametrize("who", LEA)
def test_lea_roles_see_the_claim_on_the_registry_record_of_a_person_they_booked(sc, who):
    user = getattr(sc.a, who)
    assert ids(access.claims_for_user(user)) == {sc.claim_c.pk}
    assert access.claim_get_for_user(user, sc.claim_c.pk) == sc.claim_c
    with pytest.raises(NotFound):  # the claim, not the record: the registry record itself stays out of scope
        access.subject_get_for_user(user, sc.registry_c.pk, via="api")


@pytest.mark.parametrize("who", LEA)
def test_lea_roles_of_another_agency_in_the_same_area_see_only_their_own(sc, who):
    user = getattr(sc.a2, who)
    assert ids(access.bookings_for_user(user)) == {sc.booking_a2.pk}
    assert ids(access.subjects_for_user(user)) == {sc.booking_a2.subject_id}
    assert ids(access.claims_for_user(user)) == set()
    with pytest.raises(NotFound):
        access.booking_get_for_user(user, sc.a.lea.ori, sc.booking_a.booking_number)
    with pytest.raises(NotFound):
        access.subject_get_for_user(user, sc.booked_c.pk, via="api")


# ---------------------------------------------------------------------------------------------------- DOJ


def test_doj_attorney_meets_only_the_subjects_of_referred_cases(sc):
    user = sc.a.doj_attorney
    assert ids(access.bookings_for_user(user)) == set()
    assert ids(access.matches_for_user(user)) == set()
    # The subpoena's subject and the detainer it relates to (cases registers those sources).
    assert ids(access.subjects_for_user(user)) == {sc.subpoena_subject.pk, sc.detainer.subject_id}
    assert access.subject_get_for_user(user, sc.subpoena_subject.pk, via="api") == sc.subpoena_subject
    assert ids(access.claims_for_user(user)) == set()


@pytest.mark.parametrize("world", ["a2", "b"])
def test_another_doj_office_meets_no_subject(sc, world):
    user = getattr(sc, world).doj_attorney
    assert ids(access.subjects_for_user(user)) == set()
    with pytest.raises(NotFound):
        access.subject_get_for_user(user, sc.subpoena_subject.pk, via="api")


def test_cases_register_their_subject_sources():
    assert access.subject_sources() == ["cases.detainers", "cases.subpoenas"]


# -------------------------------------------------------------------------------- roles without access


def _no_access_users(sc: Scenario) -> dict[str, object]:
    return {
        "analyst": UserFactory(role=Role.ANALYST, organization=sc.a.office),
        "auditor": UserFactory(role=Role.AUDITOR),
        "admin": UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True),
        "system": system_user(),
        "anonymous": AnonymousUser(),
        "inactive officer": UserFactory(role=Role.AGENCY_OFFICER, organization=sc.a.office, is_active=False),
        "inactive booking clerk": UserFactory(role=Role.LEA_BOOKING, organization=sc.a.lea_org, is_active=False),
        "officer without organization": UserFactory(role=Role.AGENCY_OFFICER, organization=None),
        "LEA role in an agency office": UserFactory(role=Role.LEA_BOOKING, organization=sc.a.office),
        "agency role in an LEA": UserFactory(role=Role.AGENCY_OFFICER, organization=sc.a.lea_org),
        "None": None,
    }


def test_roles_without_access_see_no_custody_record(sc):
    for name, user in _no_access_users(sc).items():
        assert not access.bookings_for_user(user).exists(), name
        assert not access.matches_for_user(user).exists(), name
        assert not access.subjects_for_user(user).exists(), name
        assert not access.claims_for_user(user).exists(), name
        with pytest.raises(NotFound):
            access.booking_get_for_user(user, sc.a.lea.ori, sc.booking_a.booking_number)
        with pytest.raises(NotFound):
            access.match_get_for_user(user, sc.proposed.pk)
        with pytest.raises(NotFound):
            access.subject_get_for_user(user, sc.booked_c.pk, via="api")
        with pytest.raises(NotFound):
            access.claim_get_for_user(user, sc.claim_c.pk)


# ------------------------------------------------------------------------------- not found, access events


def test_missing_and_forbidden_look_the_same_and_leave_no_access_event(sc):
    user = sc.a2.booking_clerk
    officer_b = sc.b.officer
    before = AuditEvent.objects.count()
    cases = [
        (access.match_get_for_user, officer_b, sc.proposed.pk, "Identity match not found."),
        (access.claim_get_for_user, user, sc.claim_c.pk, "Citizenship claim not found."),
        (lambda u, pk: access.subject_get_for_user(u, pk, via="api"), user, sc.booked_c.pk, "Subject not found."),
        (lambda u, n: access.booking_get_for_user(u, sc.a.lea.ori, n), user, sc.booking_a.booking_number, None),
    ]
    for getter, who, forbidden_pk, message in cases:
        with pytest.raises(NotFound) as missing:
            getter(who, 10_000_000 if message else "NO-SUCH-BOOKING")
        with pytest.raises(NotFound) as forbidden:
            getter(who, forbidden_pk)
        assert str(missing.value) == str(forbidden.value) == (message or "Booking not found.")
        if message:
            with pytest.raises(NotFound) as garbage:
                getter(who, "1 OR 1=1")
            assert str(garbage.value) == message
    assert AuditEvent.objects.count() == before


def test_reads_of_personal_data_write_an_access_event(sc):
    officer = sc.a.officer
    access.match_get_for_user(officer, sc.proposed.pk)
    access.subject_get_for_user(officer, sc.registry_a.pk, via="api")
    access.claim_get_for_user(officer, sc.claim_c.pk)
    access.booking_get_for_user(officer, sc.a.lea.ori, sc.booking_a.booking_number)  # ids and dates: no event
    events = AuditEvent.objects.filter(actor=officer, action__endswith=".view")
    assert sorted(events.values_list("action", "entity_type", "entity_id")) == sorted(
        [
            ("citizenship_claim.view", "citizenship_claim", str(sc.claim_c.pk)),
            ("identity_match.view", "identity_match", str(sc.proposed.pk)),
            ("subject.view", "subject", str(sc.registry_a.pk)),
        ]
    )
    assert events.get(action="subject.view").data == {"via": "api"}
    assert all(e.actor_role == Role.AGENCY_OFFICER for e in events)
