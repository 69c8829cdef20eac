"""Search of subjects and cases: scoped by organization, access events, no personal data for other roles."""

from __future__ import annotations

import pytest
from django.urls import reverse

from holdtrack.accounts.models import Role
from holdtrack.audit.models import AuditEvent
from holdtrack.desks.tools import search
from tests.desks.factories_tools import booking_for
from tests.factories import UserFactory, make_world, received, subpoena_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_leas(db):
    w = make_world()
    other = make_world(suffix=" 2")  # same county and office, another LEA
    mine = received(w, booking=booking_for(w, first="Ana", last="Quintanilla", a_number="A201234567"))
    theirs = received(other, booking=booking_for(other, first="Bea", last="Quintanar", a_number="A209876543"))
    return w, other, mine, theirs


def _kinds(result: search.SearchResult) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for _label, hits in result.groups:
        for h in hits:
            out.setdefault(h.kind, []).append(h.pk)
    return out


def test_lea_user_never_finds_another_leas_detainer(two_leas):
    w, other, mine, theirs = two_leas
    # "quintan" matches both names; the LEA sees only the detainer addressed to it.
    r = search.search_for_user(w.booking_clerk, "quintan")
    assert _kinds(r) == {"detainer": [mine.pk]}
    assert search.search_for_user(w.booking_clerk, "Quintanar").total == 0
    assert search.search_for_user(w.booking_clerk, theirs.booking.booking_number).total == 0
    assert search.search_for_user(w.booking_clerk, "A209876543").total == 0
    assert search.search_for_user(w.booking_clerk, f"D-{theirs.pk}").total == 0
    # The other LEA sees its own, and not ours.
    assert _kinds(search.search_for_user(other.booking_clerk, "quintan")) == {"detainer": [theirs.pk]}


@pytest.mark.smoke
def test_finds_by_name_identifier_booking_and_id(two_leas):
    w, _other, mine, _theirs = two_leas
    for q in (
        "ana quintanilla",
        "QUINTANILLA",
        "A201234567",
        "201234567",
        "A-201-234-567",
        mine.booking.booking_number.lower(),
        f"D-{mine.pk}",
        str(mine.pk),
    ):
        assert mine.pk in _kinds(search.search_for_user(w.booking_clerk, q)).get("detainer", []), q
    # Both words must match: a first name of another subject does not widen the search.
    assert search.search_for_user(w.booking_clerk, "bea quintanilla").total == 0


def test_agency_office_sees_both_leas_in_its_area(two_leas):
    w, _other, mine, theirs = two_leas
    assert sorted(_kinds(search.search_for_user(w.officer, "quintan"))["detainer"]) == sorted([mine.pk, theirs.pk])


def test_subpoenas_and_court_cases_by_docket(two_leas):
    w, _other, mine, _theirs = two_leas
    s = subpoena_to(w, stage="in_court", detainer=mine)
    case = s.referral.court_case
    r = search.search_for_user(w.doj_attorney, case.case_number[-5:])
    assert _kinds(r) == {"court_case": [case.pk]}
    r = search.search_for_user(w.lea_counsel, "quintanilla")
    assert _kinds(r) == {"detainer": [mine.pk], "subpoena": [s.pk], "court_case": [case.pk]}


def test_search_writes_access_events_without_the_query_text(client, two_leas):
    w, _other, mine, _theirs = two_leas
    client.force_login(w.booking_clerk)
    before = AuditEvent.objects.count()
    response = client.get(reverse("tools:search"), {"q": "Quintanilla"})
    assert response.status_code == 200
    assert f'href="/detainers/{mine.pk}/"' in response.content.decode()
    events = list(AuditEvent.objects.filter(pk__gt=0).order_by("-id")[: AuditEvent.objects.count() - before])
    assert [(e.action, e.entity_type, e.entity_id) for e in events] == [
        ("subject.search", "subject", str(mine.subject_id))
    ]
    e = events[0]
    assert e.actor_id == w.booking_clerk.pk
    assert e.data["cases"] == {"detainer": [mine.pk]}
    assert e.data["query_hmac"] == search.query_digest("quintanilla")
    assert "Quintanilla".lower() not in str(e.data).lower()
    # A search that finds nothing reveals nothing and writes nothing.
    n = AuditEvent.objects.count()
    client.get(reverse("tools:search"), {"q": "nobody-by-this-name"})
    assert AuditEvent.objects.count() == n


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AUDITOR, Role.ADMIN])
def test_roles_without_personal_data_get_403(client, two_leas, role):
    user = UserFactory(role=role)
    client.force_login(user)
    response = client.get(reverse("tools:search"), {"q": "Quintanilla"})
    assert response.status_code == 403
    assert "Quintanilla" not in response.content.decode()
    with pytest.raises(search.SearchNotAllowed):
        search.search_for_user(user, "Quintanilla")


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("tools:search"), {"q": "x"})
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_pagination(two_leas):
    w, *_ = two_leas
    for i in range(search.PAGE_SIZE + 2):
        received(w, booking=booking_for(w, first="Pagina", last=f"Zubiri{i:02d}"))
    first = search.search_for_user(w.booking_clerk, "zubiri")
    assert first.total == search.PAGE_SIZE + 2
    assert len(first.page.object_list) == search.PAGE_SIZE
    second = search.search_for_user(w.booking_clerk, "zubiri", 2)
    assert len(second.page.object_list) == 2
    assert not {h.pk for h in first.page} & {h.pk for h in second.page}
