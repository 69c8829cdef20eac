"""Web pages: sign-in, the role dashboards, case pages (404 for anyone outside the scope), access events."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from holdtrack.accounts.models import Role
from holdtrack.audit.models import AuditEvent
from holdtrack.cases import clocks
from holdtrack.cases.models import CourtCase, Detainer, DetainerState, Subpoena
from holdtrack.cases.services import detainers as ds
from holdtrack.core.timeutil import local, now
from holdtrack.custody import services as cs
from holdtrack.custody.models import MatchBasis
from holdtrack.desks import queues
from holdtrack.desks.presenters import iso_z
from holdtrack.documents.models import Document, DocumentKind
from tests.factories import (
    T0,
    UserFactory,
    World,
    book,
    confirmed_match,
    expired_hold,
    hold_eligible,
    make_world,
    prepared,
    received,
    registry_subject,
    subpoena_to,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


# ------------------------------------------------------------------------------------------ scenario


@dataclass
class Desk:
    w: World
    other: World  # same county, another LEA and another office
    d_prepared: Detainer
    d_transmitted: Detainer
    d_review: Detainer  # received, under policy review, not served
    d_hold: Detainer  # hold in effect, ceiling in the future
    d_expired: Detainer  # ceiling reached: release required
    s_draft: Subpoena
    s_due: Subpoena
    s_declined: Subpoena
    s_referred: Subpoena
    s_court: Subpoena
    court_case: CourtCase


@pytest.fixture
def desk(db) -> Desk:
    w = make_world()
    other = make_world(suffix=" 2")
    d_transmitted = prepared(w)
    ds.detainer_approve(actor=w.supervisor, detainer=d_transmitted, at=T0 + timedelta(minutes=10))
    ds.detainer_transmit(actor=w.officer, detainer=d_transmitted, at=T0 + timedelta(minutes=11))
    d_hold = hold_eligible(w)
    # Release eligibility an hour ago: the hold runs for 47 more hours.
    cs.booking_record_release_eligibility(
        actor=w.booking_clerk, booking=d_hold.booking, at=now() - timedelta(hours=1), reason="BOND_POSTED"
    )
    d_hold.refresh_from_db()
    assert d_hold.state == DetainerState.HOLD_IN_EFFECT
    s_court = subpoena_to(w, stage="enforced", detainer=d_hold)
    Document.objects.create(  # no document service yet: the row is what a future upload service stores
        kind=DocumentKind.ADMIN_WARRANT,
        title="I-200 Warrant for Arrest",
        case_type="detainer",
        case_id=d_hold.pk,
        content_type="application/pdf",
        size=1234,
        sha256=hashlib.sha256(b"warrant").hexdigest(),
        storage_name="detainer/warrant.pdf",
        uploaded_by=w.officer,
        uploaded_at=T0 + timedelta(minutes=6),
    )
    return Desk(
        w=w,
        other=other,
        d_prepared=prepared(w),
        d_transmitted=d_transmitted,
        d_review=received(w),
        d_hold=d_hold,
        d_expired=expired_hold(w),
        s_draft=subpoena_to(w, stage="draft", detainer=d_hold),
        s_due=subpoena_to(w, stage="acknowledged", detainer=d_hold),
        s_declined=subpoena_to(w, stage="declined", detainer=d_hold),
        s_referred=subpoena_to(w, stage="referred", detainer=d_hold),
        s_court=s_court,
        court_case=CourtCase.objects.get(referral__subpoena=s_court),
    )


def counts(response) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {q.key: q.count for q in response.context["queues"]}


def no_inline_script(html: str) -> bool:
    return not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and " on" + "click=" not in html


# ------------------------------------------------------------------------------------------- sign-in


def test_login_page_renders_with_labelled_fields(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert 'for="id_username">Username</label>' in html and 'id="id_username"' in html
    assert 'for="id_password">Password</label>' in html and 'id="id_password"' in html
    assert 'href="#main-content"' in html and '<main id="main-content"' in html
    assert no_inline_script(html)


@pytest.mark.smoke
def test_sign_in_leads_to_the_dashboard_and_wrong_password_says_so(client, world):
    user = world.officer
    user.set_password(PASSWORD)
    user.save()
    bad = client.post(reverse("login"), {"username": user.username, "password": "wrong password here"})
    assert bad.status_code == 200
    assert 'role="alert"' in bad.content.decode()
    good = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert good.status_code == 302 and good.url == reverse("desks:dashboard")


def test_dashboard_requires_login(client):
    response = client.get(reverse("desks:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_sign_out_is_a_post(client, world):
    client.force_login(world.officer)
    html = client.get(reverse("desks:dashboard")).content.decode()
    assert f'method="post" action="{reverse("logout")}"' in html
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("desks:dashboard")).status_code == 302


# ---------------------------------------------------------------------------------------- dashboards


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (
            "officer",
            {
                "matches": 0,
                "to-prepare": 0,
                "prepared": 1,
                "approved": 0,
                "holds": 1,
                "transfers": 1,
                "work": 0,
                "failed-deliveries": 0,
            },
        ),
        (
            "supervisor",
            {
                "to-approve": 1,
                "claims": 0,
                "to-sign": 1,
                "to-refer": 1,
                "referrals": 1,
                "holds": 1,
                "work": 0,
                "failed-deliveries": 0,
            },
        ),
        ("agency_counsel", {"to-refer": 1, "referrals": 1, "court-cases": 1, "work": 0, "failed-deliveries": 0}),
        ("doj_attorney", {"referrals": 1, "court-cases": 1, "failed-deliveries": 0}),
        (
            "booking_clerk",
            {
                "to-receive": 1,
                "to-serve": 1,
                "active": 0,
                "holds": 1,
                "transfers": 1,
                "work": 1,
                "failed-deliveries": 0,
            },
        ),
        ("lea_counsel", {"policy-review": 1, "subpoenas-due": 1, "court-cases": 1, "work": 1, "failed-deliveries": 0}),
    ],
)
def test_each_role_sees_its_queue_counts(client, desk, who, expected):
    client.force_login(getattr(desk.w, who))
    response = client.get(reverse("desks:dashboard"))
    assert response.status_code == 200
    assert counts(response) == expected
    html = response.content.decode()
    for key, n in expected.items():
        assert f'data-queue="{key}" data-count="{n}"' in html
        assert f'href="#q-{key}"' in html


@pytest.mark.parametrize("who", ["officer", "supervisor", "booking_clerk"])
def test_each_queue_is_one_rows_query_and_short_queues_count_their_rows(client, desk, who):
    """Issue 12 item 3: the dashboard ran a COUNT and a rows query per queue (8 queues: 16 queries). Each queue now
    reads one row more than it shows; only a queue longer than that is counted."""
    client.force_login(getattr(desk.w, who))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("desks:dashboard"))
    shown = counts(response)
    sql = [q["sql"] for q in ctx.captured_queries]
    # No count but the header's unread notifications.
    assert [q for q in sql if "COUNT(" in q] == [q for q in sql if "desks_notification" in q]
    queue_tables = ("cases_", "custody_identitymatch", "documents_deliveryattempt")
    tables = [(q, re.search(r'FROM "(\w+)"', q)) for q in sql]
    rows = [q for q, m in tables if m and m.group(1).startswith(queue_tables)]
    paged = [q for q in rows if f"LIMIT {queues.ROW_LIMIT + 1}" in q]
    # A queue read keys first (work items: nine relations) reads its rows by those keys when it has any.
    by_keys = sum(1 for key, n in shown.items() if n and queues.QUEUES[key].keys_first)
    assert len(paged) == len(shown) and len(rows) == len(shown) + by_keys


def test_a_queue_longer_than_shown_is_counted_in_one_statement(client, desk, monkeypatch):
    prepared(desk.w)  # a second detainer awaiting approval
    monkeypatch.setattr(queues, "ROW_LIMIT", 1)
    client.force_login(desk.w.officer)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("desks:dashboard"))
    queue = next(q for q in response.context["queues"] if q.key == "prepared")
    assert (queue.count, queue.shown) == (2, 1)
    assert "first 1 of 2" in response.content.decode()
    combined = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT (SELECT COUNT(*) FROM (")]
    assert len(combined) == 1 and combined[0].count("COUNT(*)") == 1
    assert counts(response)["holds"] == 1  # one row, fewer than the page: its rows are its count


def test_the_to_prepare_queue_lists_confirmed_matches_without_a_detainer_still_in_custody(client, desk):
    w = desk.w
    waiting = confirmed_match(w, book(w))
    gone = book(w)
    confirmed_match(w, gone)
    cs.booking_release(actor=w.booking_clerk, booking=gone, at=T0 + timedelta(hours=1), release_type="BOND")
    prepared(w)  # a confirmed match whose detainer is prepared
    client.force_login(w.officer)
    queue = next(q for q in client.get(reverse("desks:dashboard")).context["queues"] if q.key == "to-prepare")
    assert (queue.count, [row[0].href for row in queue.rows]) == (1, [reverse("desks:match", args=[waiting.pk])])


def test_the_work_queue_read_by_its_keys_shows_its_items(client, desk):
    client.force_login(desk.w.booking_clerk)
    response = client.get(reverse("desks:dashboard"))
    work = next(q for q in response.context["queues"] if q.key == "work")
    assert (work.count, work.shown) == (1, 1)
    assert work.rows[0][1].href == reverse("desks:detainer", args=[desk.d_expired.pk])


def test_the_minutely_refresh_of_one_queue_builds_only_that_queue(client, desk):
    client.force_login(desk.w.booking_clerk)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("desks:dashboard"), {"queue": "holds"})
    assert response.status_code == 200
    queue = response.context["queue"]
    assert (queue.key, queue.count, len(queue.rows)) == ("holds", 1, 1)
    assert 'data-queue="holds" data-count="1"' in response.content.decode()
    detainer_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "cases_detainer"' in q["sql"]]
    assert len(detainer_reads) == 1 and "HOLD_IN_EFFECT" in detainer_reads[0]
    # A queue of another role, or none at all: not found.
    assert client.get(reverse("desks:dashboard"), {"queue": "to-sign"}).status_code == 404
    assert client.get(reverse("desks:dashboard"), {"queue": "nope"}).status_code == 404


def test_queues_link_to_case_pages_and_count_down_holds(client, desk):
    client.force_login(desk.w.booking_clerk)
    html = client.get(reverse("desks:dashboard")).content.decode()
    assert f'href="{reverse("desks:detainer", args=[desk.d_hold.pk])}"' in html
    assert f'<time datetime="{iso_z(desk.d_hold.hold_expires_at)}" data-countdown>' in html
    assert "h 59 min left" in html or "h 58 min left" in html  # 46 h 59 min, server-rendered
    assert '<th scope="col">' in html and '<th scope="row">' in html


def test_another_agency_sees_empty_queues(client, desk):
    client.force_login(desk.other.booking_clerk)
    response = client.get(reverse("desks:dashboard"))
    assert counts(response) == {
        "to-receive": 0,
        "to-serve": 0,
        "active": 0,
        "holds": 0,
        "transfers": 0,
        "work": 0,
        "failed-deliveries": 0,
    }


def test_analyst_sees_aggregates_without_names_or_links(client, desk):
    client.force_login(UserFactory(role=Role.ANALYST))
    response = client.get(reverse("desks:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["queues"] == []
    assert f'data-aggregate="by-state" data-total="{Detainer.objects.count()}"' in html
    assert 'data-aggregate="by-outcome"' in html
    assert "Hold in effect" in html and "Open or unknown" in html
    assert "/detainers/" not in html and "/subpoenas/" not in html and "/court-cases/" not in html
    for d in Detainer.objects.select_related("subject", "booking"):
        assert d.subject.last_name not in html
        assert d.booking.booking_number not in html


def test_auditor_sees_latest_audit_events_without_personal_data(client, desk):
    client.force_login(UserFactory(role=Role.AUDITOR))
    response = client.get(reverse("desks:dashboard"))
    html = response.content.decode()
    assert "Latest audit events" in html
    assert "detainer.transmit" in html
    assert "/detainers/" not in html
    for d in Detainer.objects.select_related("subject"):
        assert d.subject.last_name not in html


def test_user_without_queues_gets_a_clear_message(client, world):
    client.force_login(UserFactory(role=Role.AGENCY_OFFICER, organization=None))
    html = client.get(reverse("desks:dashboard")).content.decode()
    assert "not linked to an organization" in html
    assert 'data-count="0"' in html and 'data-count="1"' not in html  # the officer queues, all empty


# ----------------------------------------------------------------------------------------- case pages


def test_lea_user_of_another_agency_gets_404_not_403(client, desk):
    client.force_login(desk.other.booking_clerk)
    for url in (
        reverse("desks:detainer", args=[desk.d_hold.pk]),
        reverse("desks:subpoena", args=[desk.s_court.pk]),
        reverse("desks:court_case", args=[desk.court_case.pk]),
        reverse("desks:detainer", args=[10_000_000]),
    ):
        assert client.get(url).status_code == 404, url


def test_lea_does_not_see_a_detainer_before_it_is_transmitted(client, desk):
    client.force_login(desk.w.booking_clerk)
    assert client.get(reverse("desks:detainer", args=[desk.d_prepared.pk])).status_code == 404
    assert client.get(reverse("desks:detainer", args=[desk.d_transmitted.pk])).status_code == 200


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AUDITOR, Role.ADMIN])
def test_roles_without_case_access_get_404_for_case_pages(client, desk, role):
    client.force_login(UserFactory(role=role, organization=desk.w.office, is_staff=role == Role.ADMIN))
    for url in (
        reverse("desks:detainer", args=[desk.d_hold.pk]),
        reverse("desks:subpoena", args=[desk.s_court.pk]),
        reverse("desks:court_case", args=[desk.court_case.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_case_pages_require_login(client, desk):
    response = client.get(reverse("desks:detainer", args=[desk.d_hold.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.smoke
def test_detainer_page_shows_facts_clocks_timeline_and_documents(client, desk):
    d = Detainer.objects.get(pk=desk.d_hold.pk)
    tz = d.facility.timezone
    client.force_login(desk.w.booking_clerk)
    response = client.get(reverse("desks:detainer", args=[d.pk]))
    assert response.status_code == 200
    html = response.content.decode()

    # Key facts
    assert escape(d.subject.display_name) in html
    assert f"ORI {d.addressed_lea.ori}" in html
    assert f"code {d.facility.code}" in html
    assert "I-247A" in html and "Hold request" in html
    assert "Administrative" in html and "tag--judicial" not in html  # an I-200 is never labelled judicial
    assert "In person" in html or "in person" in html

    # Clocks, with their explanations, and the countdown
    live = clocks.detainer_clocks(d)
    assert live, "a hold in effect has at least its ceiling clock"
    for clock in live:
        assert escape(clock.explanation) in html
        assert clock.rule in html
    assert f'<time datetime="{iso_z(d.hold_expires_at)}" data-countdown>' in html
    assert 'data-clock="hold_ceiling" data-status="running"' in html

    # Timeline from the transition log, in the facility's zone with its abbreviation
    assert local(d.prepared_at, tz) in html
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d C[SD]T", html)
    for step_label in ("Prepare", "Approve", "Transmit", "Receive", "Decide hold", "Start hold"):
        assert f"<td>{step_label}</td>" in html, step_label
    assert "Prepared" in html and "Supervisor approved" in html
    assert "LEA counsel" in html and "Agency supervisor" in html
    assert "Release eligible" in html  # the booking's event that started the hold

    # Documents with their fingerprints
    assert hashlib.sha256(b"warrant").hexdigest() in html
    assert no_inline_script(html)
    assert html.count("<h1") == 1


def test_viewing_a_case_writes_an_access_event(client, desk):
    user = desk.w.booking_clerk
    client.force_login(user)
    url = reverse("desks:detainer", args=[desk.d_hold.pk])
    events = AuditEvent.objects.filter(
        action="detainer.view", entity_type="detainer", entity_id=str(desk.d_hold.pk), actor=user
    )
    assert events.count() == 0
    client.get(url)
    client.get(url)
    assert events.count() == 2
    # A refused read leaves none.
    client.force_login(desk.other.booking_clerk)
    client.get(url)
    assert AuditEvent.objects.filter(action="detainer.view", actor=desk.other.booking_clerk).count() == 0


@pytest.mark.parametrize("who", ["officer", "supervisor", "booking_clerk"])
def test_a_detainer_page_asks_each_read_once(client, desk, who):
    """Issue 12: several actions asked the same booking's parties and the person's open claim, each a query."""
    client.force_login(getattr(desk.w, who))
    url = reverse("desks:detainer", args=[desk.d_hold.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == len(set(statements)), [s for s in statements if statements.count(s) > 1]


def test_a_detainer_page_lists_the_related_subpoenas_the_reader_may_see(client, desk):
    url = reverse("desks:detainer", args=[desk.d_hold.pk])
    related = [desk.s_draft, desk.s_due, desk.s_declined, desk.s_referred, desk.s_court]
    for user, seen in ((desk.w.officer, related), (desk.w.booking_clerk, related[1:])):  # a draft is not served yet
        client.force_login(user)
        shown = [s["pk"] for s in client.get(url).context["subpoenas"]]
        assert shown == sorted(s.pk for s in seen)


def test_subpoena_page_shows_return_clock_and_is_never_called_a_court_order(client, desk):
    s = Subpoena.objects.get(pk=desk.s_court.pk)
    client.force_login(desk.w.doj_attorney)
    response = client.get(reverse("desks:subpoena", args=[s.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "not a court order" in html
    for clock in clocks.subpoena_clocks(s):
        assert escape(clock.explanation) in html
    assert "Declination (documented)" in html
    assert f'href="{reverse("desks:court_case", args=[desk.court_case.pk])}"' in html
    assert f'href="{reverse("desks:detainer", args=[desk.d_hold.pk])}"' in html  # the DOJ may see this one
    assert AuditEvent.objects.filter(action="subpoena.view", entity_id=str(s.pk)).count() == 1


def test_court_case_page_shows_comply_by_clock_and_orders(client, desk):
    c = CourtCase.objects.get(pk=desk.court_case.pk)
    client.force_login(desk.w.lea_counsel)
    response = client.get(reverse("desks:court_case", args=[c.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    live = clocks.court_clocks(c)
    assert live
    for clock in live:
        assert escape(clock.explanation) in html
    assert "Order enforcing the subpoena" in html and "14 days" in html
    assert "Enforcement ordered" in html
    assert AuditEvent.objects.filter(action="court_case.view", entity_id=str(c.pk)).count() == 1


def test_static_files_are_served_from_the_app(client, desk):
    client.force_login(desk.w.officer)
    html = client.get(reverse("desks:dashboard")).content.decode()
    assert "desks/holdtrack.css" in html and "desks/countdown.js" in html
    assert "//cdn" not in html and "https://" not in html


def test_booking_desk_lists_active_detainers_awaiting_release_eligibility(client, desk):
    d = hold_eligible(desk.w)
    client.force_login(desk.w.booking_clerk)
    response = client.get(reverse("desks:dashboard"))
    assert counts(response)["active"] == 1
    assert f'href="{reverse("desks:detainer", args=[d.pk])}"' in response.content.decode()


def test_a_match_page_shows_the_bookings_dob_and_its_other_proposals(client, world):
    booked = cs.subject_create(actor=world.booking_clerk, first_name="Wenjun", last_name="Qiaolin", sex="M")
    booking = cs.booking_create(
        actor=world.booking_clerk, subject=booked, facility=world.facility, booking_number="NODOB-P", booked_at=T0
    )
    first, second = (registry_subject(world, first_name="Wenjun", last_name="Qiaolin") for _ in range(2))
    m1, m2 = (
        cs.identity_match_propose(
            actor=world.officer, booking=booking, subject=s, basis=MatchBasis.BIOGRAPHIC, score=score
        )
        for s, score in ((first, 0.31), (second, 0.27))
    )
    client.force_login(world.officer)
    html = client.get(reverse("desks:match", args=[m1.pk])).content.decode()
    assert "Not on the booking" in html
    assert "Other proposals for this booking" in html
    assert f'href="{reverse("desks:match", args=[m2.pk])}"' in html and "0.270" in html
    assert f'href="{reverse("desks:match", args=[m1.pk])}"' not in html  # not itself
