"""Access functions: the scoping matrix per role, uniform "not found", and the access event on every read."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser

from holdtrack.accounts.models import Role
from holdtrack.accounts.services import system_user
from holdtrack.audit.models import AuditEvent
from holdtrack.cases import access
from holdtrack.cases.models import (
    CourtCase,
    Detainer,
    Subpoena,
    WorkItemKind,
)
from holdtrack.core.errors import NotFound
from holdtrack.custody import services as cs
from tests.factories import (
    UserFactory,
    World,
    expired_hold,
    hold_eligible,
    make_world,
    other_aor_world,
    prepared,
    subpoena_to,
)

pytestmark = pytest.mark.django_db

# Scenario helpers live in tests/factories.py (shared with tests/desks, tests/reports, tests/documents).


# ------------------------------------------------------------------------------------------ scenario


@dataclass
class Scenario:
    a: World  # Houston AOR, agency A
    a2: World  # Houston AOR, another office and another LEA
    b: World  # Los Angeles AOR
    d_prepared: Detainer  # A, not yet transmitted
    d_active: Detainer  # A, hold eligible, related to the subpoena
    d_expired: Detainer  # A, hold ceiling reached, release required
    d_a2: Detainer  # A2
    d_b: Detainer  # B
    subpoena: Subpoena  # A, enforced in court
    subpoena_draft: Subpoena  # A, draft
    court_case: CourtCase
    subpoena_b: Subpoena  # B, served


@pytest.fixture
def sc(db) -> Scenario:
    a = make_world()
    a2 = make_world(suffix=" 2")
    b = other_aor_world()
    d_active = hold_eligible(a)
    s = subpoena_to(a, stage="enforced", detainer=d_active)
    return Scenario(
        a=a,
        a2=a2,
        b=b,
        d_prepared=prepared(a),
        d_active=d_active,
        d_expired=expired_hold(a),
        d_a2=hold_eligible(a2),
        d_b=hold_eligible(b),
        subpoena=s,
        subpoena_draft=subpoena_to(a, stage="draft", detainer=d_active),
        court_case=CourtCase.objects.get(referral__subpoena=s),
        subpoena_b=subpoena_to(
            b, stage="served", subject=cs.subject_create(actor=b.officer, first_name="B", last_name="Person")
        ),
    )


def ids(qs) -> set[int]:  # type: ignore[no-untyped-def]
    return set(qs.values_list("pk", flat=True))


AGENCY = ("officer", "supervisor", "agency_counsel")
LEA = ("booking_clerk", "lea_counsel")


# --------------------------------------------------------------------------------------- agency roles


@pytest.mark.parametrize("who", AGENCY)
def test_agency_roles_see_every_case_of_their_area_of_responsibility(sc, who):
    user = getattr(sc.a, who)
    # Another office in the same AOR issued d_a2: still the same area of responsibility.
    assert ids(access.detainers_for_user(user)) == {sc.d_prepared.pk, sc.d_active.pk, sc.d_expired.pk, sc.d_a2.pk}
    assert ids(access.subpoenas_for_user(user)) == {sc.subpoena.pk, sc.subpoena_draft.pk}
    assert ids(access.court_cases_for_user(user)) == {sc.court_case.pk}
    assert access.detainer_get_for_user(user, sc.d_prepared.pk) == sc.d_prepared


@pytest.mark.parametrize("who", AGENCY)
def test_agency_roles_of_another_aor_see_nothing_of_it(sc, who):
    user = getattr(sc.b, who)
    assert ids(access.detainers_for_user(user)) == {sc.d_b.pk}
    assert ids(access.subpoenas_for_user(user)) == {sc.subpoena_b.pk}
    assert ids(access.court_cases_for_user(user)) == set()
    with pytest.raises(NotFound):
        access.detainer_get_for_user(user, sc.d_active.pk)
    with pytest.raises(NotFound):
        access.subpoena_get_for_user(user, sc.subpoena.pk)
    with pytest.raises(NotFound):
        access.court_case_get_for_user(user, sc.court_case.pk)


# ------------------------------------------------------------------------------------------ LEA roles


@pytest.mark.parametrize("who", LEA)
def test_lea_roles_see_cases_sent_to_their_agency_only(sc, who):
    user = getattr(sc.a, who)
    # Not the prepared detainer (never transmitted), not the draft subpoena (never served), not agency A2's.
    assert ids(access.detainers_for_user(user)) == {sc.d_active.pk, sc.d_expired.pk}
    assert ids(access.subpoenas_for_user(user)) == {sc.subpoena.pk}
    assert ids(access.court_cases_for_user(user)) == {sc.court_case.pk}
    with pytest.raises(NotFound):
        access.detainer_get_for_user(user, sc.d_prepared.pk)
    with pytest.raises(NotFound):
        access.subpoena_get_for_user(user, sc.subpoena_draft.pk)


@pytest.mark.parametrize("who", LEA)
def test_lea_roles_of_another_agency_in_the_same_county_see_none_of_them(sc, who):
    user = getattr(sc.a2, who)
    assert ids(access.detainers_for_user(user)) == {sc.d_a2.pk}
    assert ids(access.subpoenas_for_user(user)) == set()
    assert ids(access.court_cases_for_user(user)) == set()
    with pytest.raises(NotFound):
        access.detainer_get_for_user(user, sc.d_active.pk)


# ----------------------------------------------------------------------------------------------- DOJ


def test_doj_attorney_sees_referred_cases_and_their_detainers_only(sc):
    user = sc.a.doj_attorney
    assert ids(access.subpoenas_for_user(user)) == {sc.subpoena.pk}
    assert ids(access.court_cases_for_user(user)) == {sc.court_case.pk}
    assert ids(access.detainers_for_user(user)) == {sc.d_active.pk}
    assert ids(access.referrals_for_user(user)) == {sc.subpoena.referral.pk}
    with pytest.raises(NotFound):
        access.detainer_get_for_user(user, sc.d_expired.pk)
    with pytest.raises(NotFound):
        access.subpoena_get_for_user(user, sc.subpoena_draft.pk)


def test_a_referral_is_read_with_its_subpoena_and_is_not_found_alike_out_of_scope(sc):
    referral = sc.subpoena.referral
    for user in (sc.a.doj_attorney, sc.a.officer, sc.a.lea_counsel):
        assert access.referral_get_for_user(user, referral.pk) == referral
    before = AuditEvent.objects.count()
    for user in (sc.b.doj_attorney, sc.b.officer, sc.a2.booking_clerk, AnonymousUser()):
        with pytest.raises(NotFound) as forbidden:
            access.referral_get_for_user(user, referral.pk)
        with pytest.raises(NotFound) as missing:
            access.referral_get_for_user(user, 10_000_000)
        assert str(forbidden.value) == str(missing.value) == "Referral not found."
    with pytest.raises(NotFound):
        access.referral_get_for_user(sc.a.doj_attorney, "1 OR 1=1")
    assert AuditEvent.objects.count() == before  # a referral read writes no access event (as before)


@pytest.mark.parametrize("world", ["a2", "b"])
def test_another_doj_office_sees_nothing(sc, world):
    user = getattr(sc, world).doj_attorney
    assert ids(access.detainers_for_user(user)) == set()
    assert ids(access.subpoenas_for_user(user)) == set()
    assert ids(access.court_cases_for_user(user)) == set()
    assert ids(access.referrals_for_user(user)) == set()


# ---------------------------------------------------------------------------- roles without case access


def _no_case_users(sc: Scenario) -> dict[str, object]:
    inactive = UserFactory(role=Role.AGENCY_OFFICER, organization=sc.a.office, is_active=False)
    return {
        "analyst": UserFactory(role=Role.ANALYST, organization=sc.a.office),
        "auditor": UserFactory(role=Role.AUDITOR),
        "admin": UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True),
        "system": system_user(),
        "anonymous": AnonymousUser(),
        "inactive officer": inactive,
        "officer without organization": UserFactory(role=Role.AGENCY_OFFICER, organization=None),
        "LEA role in an agency office": UserFactory(role=Role.LEA_BOOKING, organization=sc.a.office),
        "agency role in an LEA": UserFactory(role=Role.AGENCY_OFFICER, organization=sc.a.lea_org),
        "None": None,
    }


def test_roles_without_case_access_see_no_personal_data(sc):
    for name, user in _no_case_users(sc).items():
        assert not access.detainers_for_user(user).exists(), name
        assert not access.subpoenas_for_user(user).exists(), name
        assert not access.court_cases_for_user(user).exists(), name
        assert not access.referrals_for_user(user).exists(), name
        assert not access.work_items_for_user(user).exists(), name
        for getter, pk in (
            (access.detainer_get_for_user, sc.d_active.pk),
            (access.subpoena_get_for_user, sc.subpoena.pk),
            (access.court_case_get_for_user, sc.court_case.pk),
        ):
            with pytest.raises(NotFound):
                getter(user, pk)


# ----------------------------------------------------------------------------- not found, access events


def test_missing_and_forbidden_look_the_same_and_leave_no_access_event(sc):
    user = sc.a2.booking_clerk
    before = AuditEvent.objects.count()
    with pytest.raises(NotFound) as missing:
        access.detainer_get_for_user(user, 10_000_000)
    with pytest.raises(NotFound) as forbidden:
        access.detainer_get_for_user(user, sc.d_active.pk)
    with pytest.raises(NotFound) as garbage:
        access.detainer_get_for_user(user, "1 OR 1=1")
    assert str(missing.value) == str(forbidden.value) == str(garbage.value) == "Detainer not found."
    with pytest.raises(NotFound) as s_missing:
        access.subpoena_get_for_user(user, 10_000_000)
    with pytest.raises(NotFound) as s_forbidden:
        access.subpoena_get_for_user(user, sc.subpoena.pk)
    assert str(s_missing.value) == str(s_forbidden.value)
    with pytest.raises(NotFound) as c_missing:
        access.court_case_get_for_user(user, 10_000_000)
    with pytest.raises(NotFound) as c_forbidden:
        access.court_case_get_for_user(user, sc.court_case.pk)
    assert str(c_missing.value) == str(c_forbidden.value)
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("getter", "attr", "action", "entity_type"),
    [
        (access.detainer_get_for_user, "d_active", "detainer.view", "detainer"),
        (access.subpoena_get_for_user, "subpoena", "subpoena.view", "subpoena"),
        (access.court_case_get_for_user, "court_case", "court_case.view", "court_case"),
    ],
)
def test_every_successful_read_writes_an_access_event(sc, getter, attr, action, entity_type):
    user = sc.a.lea_counsel
    obj = getattr(sc, attr)
    for _ in range(2):
        assert getter(user, obj.pk).pk == obj.pk
    events = AuditEvent.objects.filter(action=action, entity_type=entity_type, entity_id=str(obj.pk), actor=user)
    assert events.count() == 2
    assert events.first().actor_role == Role.LEA_COUNSEL


# ------------------------------------------------------------------------------------------ work items


def test_work_items_go_to_the_organization_and_stay_within_its_cases(sc):
    item = sc.d_expired.work_items.get(kind=WorkItemKind.RELEASE_REQUIRED)
    assert ids(access.work_items_for_user(sc.a.booking_clerk)) == {item.pk}
    assert ids(access.work_items_for_user(sc.a.lea_counsel)) == {item.pk}
    # Assigned to the LEA, not to the agency office; and nothing for another agency.
    assert ids(access.work_items_for_user(sc.a.officer)) == set()
    assert ids(access.work_items_for_user(sc.a2.booking_clerk)) == set()


# -------------------------------------------------------------------------------- aggregates and audit


def test_analyst_gets_counts_only_and_others_their_scope(sc):
    analyst = UserFactory(role=Role.ANALYST)
    counts = access.detainer_counts_for_user(analyst)
    assert sum(n for _, n in counts["state"]) == Detainer.objects.count() == 5
    assert sum(n for _, n in counts["outcome_group"]) == 5
    assert dict(counts["state"])["PREPARED"] == 1
    assert sum(n for _, n in access.subpoena_counts_for_user(analyst)) == Subpoena.objects.count()
    # Scoped for a case role, empty for anyone else.
    assert sum(n for _, n in access.detainer_counts_for_user(sc.b.officer)["state"]) == 1
    assert access.detainer_counts_for_user(AnonymousUser()) == {"state": [], "outcome_group": []}
    assert access.detainer_counts_for_user(UserFactory(role=Role.AUDITOR))["state"] == []


def test_audit_trail_is_for_auditors_and_administrators(sc):
    assert access.audit_events_for_user(UserFactory(role=Role.AUDITOR)).exists()
    assert access.audit_events_for_user(UserFactory(role=Role.ADMIN)).exists()
    for user in (sc.a.officer, sc.a.booking_clerk, sc.a.doj_attorney, UserFactory(role=Role.ANALYST), AnonymousUser()):
        assert not access.audit_events_for_user(user).exists()


def test_a_list_walks_the_only_office_of_an_area_and_the_whole_area_otherwise(sc):
    """ADR 0049: the keys of an office's list are read by its office where the area has one (an index range
    newest first), by the area otherwise; the same detainers either way, in the same order."""
    order = ("-prepared_at", "pk")
    # Los Angeles has one office: its rule names the office.
    officer = sc.b.officer
    assert access.detainer_keys_scope(officer) == ("office", officer.organization_id)
    walked = list(access.detainers_in(*access.detainer_keys_scope(officer)).order_by(*order))
    assert walked == list(access.detainers_for_user(officer).order_by(*order)) == [sc.d_b]
    # Houston has two offices (A and A2): the area's rule, which reaches both offices' detainers.
    officer = sc.a.officer
    assert access.detainer_keys_scope(officer) == ("agency", officer.organization.aor_id)
    walked = list(access.detainers_in(*access.detainer_keys_scope(officer)).order_by(*order))
    assert walked == list(access.detainers_for_user(officer).order_by(*order))
    assert sc.d_a2 in walked and sc.d_active in walked and sc.d_b not in walked
    # Other rules are detainer_scope's own.
    assert access.detainer_keys_scope(sc.a.lea_counsel) == access.detainer_scope(sc.a.lea_counsel)
