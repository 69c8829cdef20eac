"""Whole journeys in a real browser (issue 4). Set-up data comes from the factories and services; every step
the issue lists is a browser action on the case pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from holdtrack.cases.models import CourtCase, Detainer, DetainerState, Subpoena, SubpoenaState
from holdtrack.cases.services.sweep import sweep
from holdtrack.core.timeutil import now
from holdtrack.custody import services as cs
from holdtrack.custody.models import CitizenshipClaim, ClaimStatus, MatchBasis
from holdtrack.jurisdictions.models import HoldRule
from tests.e2e.conftest import Sessions, act, screenshot
from tests.factories import book, hold_eligible, make_policy, make_world, received

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def local_input(value: Any, tz: str = "America/Chicago") -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def state_of(page: Any) -> str:
    return page.locator(".ht-state").inner_text().strip()


def test_journey_match_to_custody_transfer(sessions: Sessions) -> None:
    w = make_world()
    booking = book(w, at=now() - timedelta(hours=2))
    match = cs.identity_match_propose(
        actor=w.officer,
        booking=booking,
        subject=booking.subject,
        basis=MatchBasis.BIOGRAPHIC,
        score=0.962,
        model_version="splink-demo-1",
        explanation={"name": "exact", "date_of_birth": "exact", "birth_country": "agrees"},
    )

    # The officer confirms the match from the queue and prepares the detainer with its warrant.
    officer = sessions.page_for(w.officer)
    officer.goto("/")
    assert officer.locator("#q-matches").get_attribute("data-count") == "1"
    screenshot(officer, "dashboard-agency-officer")
    officer.locator("#q-matches a", has_text=f"Match {match.pk}").click()
    screenshot(officer, "identity-match-review")
    act(officer, "review", {"decision": ("radio", "confirm"), "reason": "Photograph and date of birth agree"})
    act(officer, "prepare", {"pc_bases": ["BIOMETRIC_AND_DATABASE"]})
    assert "/detainers/" in officer.url
    detainer_url = officer.url.split("?")[0]
    d = Detainer.objects.get(identity_match=match)
    act(
        officer,
        "attach-warrant",
        {
            "warrant_type": "I200",
            "number": "E2E-200-1",
            "signed_by_name": "A. Officer",
            "signed_by_title": "Supervisory Detention and Deportation Officer",
            "signed_at": local_input(now() - timedelta(hours=1)),
        },
    )
    assert "administrative" in officer.locator("main").inner_text().lower()

    # The supervisor approves; the officer transmits.
    supervisor = sessions.page_for(w.supervisor)
    supervisor.goto(detainer_url)
    act(supervisor, "approve")
    assert state_of(supervisor) == "Supervisor approved"
    officer.goto(detainer_url)
    act(officer, "transmit")

    # The LEA receives it, serves the subject, and its counsel decides to honor the hold.
    clerk = sessions.page_for(w.booking_clerk)
    clerk.goto("/")
    clerk.locator("#q-to-receive a", has_text=f"Detainer {d.pk}").click()
    act(clerk, "receive")
    assert state_of(clerk) == "Under policy review"
    act(clerk, "serve-subject", {"method": "IN_PERSON", "language": "es"})
    counsel = sessions.page_for(w.lea_counsel)
    counsel.goto(detainer_url)
    act(counsel, "decide", {"decision": "HONOR_HOLD", "reason": "No local restriction applies"})
    assert state_of(counsel) == "Active: hold eligible"

    # Release eligibility recorded: the hold starts and counts down.
    clerk.goto(detainer_url)
    act(clerk, "release-eligibility", {"reason": "BOND_POSTED"})
    assert state_of(clerk) == "Hold in effect"
    countdown = clerk.locator(".callout--active time[data-countdown]")
    assert countdown.count() == 1 and " left" in countdown.inner_text()
    screenshot(clerk, "detainer-hold-countdown")

    # The agency records the custody transfer from its queue.
    officer.goto("/")
    officer.locator("#q-transfers a", has_text=f"Detainer {d.pk}").click()
    act(officer, "transfer-custody")
    assert state_of(officer) == "Custody transferred"
    d.refresh_from_db()
    assert d.state == DetainerState.CUSTODY_TRANSFERRED and d.booking.released_at is not None
    for page in (officer, supervisor, clerk, counsel):
        assert page.js_errors == [], page.js_errors


def test_journey_declined_detainer_to_court_enforced_subpoena(sessions: Sessions) -> None:
    w = make_world()
    make_policy(w.lea.jurisdiction, "limited-cooperation", hold=HoldRule.NEVER)
    d = received(w, at=now() - timedelta(hours=3))
    detainer_url = f"/detainers/{d.pk}/"

    # The booking staff serve the subject; LEA counsel's attempt to honor the hold is refused by local law with
    # its rule and citation, and the typed reason stays; counsel declines.
    clerk = sessions.page_for(w.booking_clerk)
    clerk.goto(detainer_url)
    act(clerk, "serve-subject", {"method": "IN_PERSON", "language": "en"})
    counsel = sessions.page_for(w.lea_counsel)
    counsel.goto(detainer_url)
    act(counsel, "decide", {"decision": "HONOR_HOLD", "reason": "Typed before the refusal"}, expect="usa-alert--error")
    refusal = counsel.locator("#action-error").inner_text()
    assert "Refused by a safeguard" in refusal and "Local law does not allow this hold" in refusal
    assert "limited-cooperation v1" in refusal
    assert counsel.locator("#id_decide_reason").input_value() == "Typed before the refusal"
    screenshot(counsel, "detainer-refused-by-local-law")
    act(counsel, "decide", {"decision": "DECLINE", "reason": "County policy forbids holds"})
    assert state_of(counsel) == "Declined by LEA"

    # The booking staff release the subject.
    clerk.goto(detainer_url)
    act(clerk, "release", {"release_type": "BOND"})
    d.refresh_from_db()
    assert d.booking.released_at is not None

    # The agency drafts, signs and serves a subpoena.
    officer = sessions.page_for(w.officer)
    officer.goto(detainer_url)
    act(officer, "draft-subpoena", {"items": ["RELEASE_DATE", "HOME_ADDRESS"], "return_days": "14"})
    assert "/subpoenas/" in officer.url
    subpoena_url = officer.url.split("?")[0]
    s = Subpoena.objects.get(related_detainer=d)
    supervisor = sessions.page_for(w.supervisor)
    supervisor.goto(subpoena_url)
    act(supervisor, "issue")
    officer.goto(subpoena_url)
    act(officer, "serve", {"method": "PERSONAL"})
    s.refresh_from_db()
    assert s.state == SubpoenaState.SERVED and s.return_due_at is not None

    # No response by the return date: the sweep runs with a later clock.
    sweep(now=s.return_due_at + timedelta(hours=1))
    s.refresh_from_db()
    assert s.state == SubpoenaState.NO_RESPONSE

    # Referral → petition → briefing → under advisement → order enforcing → compliance.
    supervisor.goto(subpoena_url)
    assert state_of(supervisor) == "No response by the return date"
    act(supervisor, "refer", {"doj_office": str(w.doj.pk), "memo": "No response by the return date"})
    doj = sessions.page_for(w.doj_attorney)
    doj.goto("/")
    doj.locator("#q-referrals a", has_text=f"Subpoena {s.pk}").click()
    act(doj, "petition", {"court": "S.D. Tex.", "case_number": "4:26-mc-00042"})
    assert "/court-cases/" in doj.url
    court_url = doj.url.split("?")[0]
    issued = local_input(now())  # after the petition (the court acts on it), to the minute
    act(doj, "record-order", {"order_type": "BRIEFING_SCHEDULE", "issued_at": issued, "issued_by": "Hon. A. Judge"})
    act(doj, "court-step", {"step": "take_under_advisement"})
    act(
        doj,
        "record-order",
        {
            "order_type": "ORDER_ENFORCING_SUBPOENA",
            "issued_at": issued,
            "issued_by": "Hon. A. Judge",
            "comply_within_days": "14",
        },
    )
    assert state_of(doj) == "Enforcement ordered"
    assert doj.locator('[data-clock="court_comply_by"] time[data-countdown]').count() == 1
    screenshot(doj, "court-case-enforced")
    counsel.goto(court_url)
    act(counsel, "record-compliance")
    assert state_of(counsel) == "Complied"
    c = CourtCase.objects.get(referral__subpoena=s)
    s.refresh_from_db()
    assert s.state == SubpoenaState.COMPLIED_UNDER_ORDER and c.state == "COMPLIED"
    counsel.goto(subpoena_url)
    screenshot(counsel, "subpoena-complied-under-order")


def test_journey_citizenship_claim_freezes_the_hold(sessions: Sessions) -> None:
    w = make_world()
    d = hold_eligible(w, at=now() - timedelta(hours=4))
    cs.booking_record_release_eligibility(
        actor=w.booking_clerk, booking=d.booking, at=now() - timedelta(hours=1), reason="BOND_POSTED"
    )
    d.refresh_from_db()
    assert d.state == DetainerState.HOLD_IN_EFFECT
    detainer_url = f"/detainers/{d.pk}/"

    clerk = sessions.page_for(w.booking_clerk)
    clerk.goto(detainer_url)
    assert clerk.locator(".callout--active time[data-countdown]").count() == 1
    act(clerk, "claim-open", {"basis": "ASSERTED"})
    assert state_of(clerk) == "Citizenship claim under review"
    assert clerk.locator("[data-claim=open]").count() == 1
    assert clerk.locator(".callout--active").count() == 0  # the hold no longer counts down
    assert clerk.locator("#action-claim-open").count() == 0

    supervisor = sessions.page_for(w.supervisor)
    supervisor.goto("/")
    assert supervisor.locator("#q-claims").get_attribute("data-count") == "1"
    supervisor.locator("#q-claims a", has_text=f"Detainer {d.pk}").click()
    act(
        supervisor,
        "claim-resolve",
        {"outcome": ("radio", "citizen"), "notes": "U.S. birth certificate verified with the state registrar"},
    )
    claim = CitizenshipClaim.objects.get(subject=d.subject)
    assert claim.status == ClaimStatus.VERIFIED_USC
    assert supervisor.locator("[data-claim=open]").count() == 0
    d.refresh_from_db()
    assert d.state not in (DetainerState.HOLD_IN_EFFECT, DetainerState.CITIZENSHIP_REVIEW)
