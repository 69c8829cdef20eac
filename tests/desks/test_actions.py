"""Case actions through the web: each form calls its service; refusals and concurrent changes keep what the
user typed; actions the role or state does not allow are neither shown nor accepted; CSRF is enforced."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from holdtrack.audit.models import Transition
from holdtrack.cases.models import (
    CourtCase,
    CourtState,
    Detainer,
    DetainerState,
    EnforcementReferral,
    ItemCategory,
    ReferralState,
    Subpoena,
    SubpoenaState,
    Warrant,
)
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.core.timeutil import now
from holdtrack.custody import services as cs
from holdtrack.custody.models import CitizenshipClaim, ClaimStatus, IdentityMatch, MatchBasis, MatchStatus
from holdtrack.desks import actions
from holdtrack.jurisdictions.models import HoldRule
from tests.factories import (
    T0,
    book,
    hold_eligible,
    make_policy,
    make_world,
    prepared,
    received,
    subpoena_to,
)

pytestmark = pytest.mark.django_db

KIND_OF = {
    Detainer: actions.DETAINER,
    Subpoena: actions.SUBPOENA,
    CourtCase: actions.COURT_CASE,
    IdentityMatch: actions.MATCH,
}


def page_url(obj: Any) -> str:
    return actions.case_url(KIND_OF[type(obj)], obj.pk)


def action_url(obj: Any, key: str) -> str:
    return reverse("desks:case_action", args=[KIND_OF[type(obj)], obj.pk, key])


def post(client: Client, obj: Any, key: str, data: dict[str, Any] | None = None, *, seq: int | None = None):  # type: ignore[no-untyped-def]
    kind = KIND_OF[type(obj)]
    payload = {"seq": actions.last_seq(kind, obj) if seq is None else seq, **(data or {})}
    return client.post(action_url(obj, key), payload)


def shown(client: Client, obj: Any) -> set[str]:
    html = client.get(page_url(obj)).content.decode()
    return set(re.findall(r'data-action="([a-z-]+)"', html))


def local_input(at) -> str:  # type: ignore[no-untyped-def]
    """A datetime-local value in the Chicago zone of the test world."""
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo("America/Chicago")).strftime("%Y-%m-%dT%H:%M")


def follow_ok(client: Client, response, expected_text: str) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response.url)
    html = page.content.decode()
    assert "usa-alert--success" in html and expected_text in html, html[:3000]
    return html


# ------------------------------------------------------------------------------------- happy paths


def test_officer_reviews_a_match_and_prepares_a_detainer(client):
    w = make_world()
    b = book(w, at=now() - timedelta(hours=2))
    m = cs.identity_match_propose(
        actor=w.officer, booking=b, subject=b.subject, basis=MatchBasis.BIOGRAPHIC, score=0.97
    )
    client.force_login(w.officer)
    assert shown(client, m) == {"review"}
    follow_ok(
        client,
        post(client, m, "review", {"decision": "confirm", "reason": "Photo and date of birth agree"}),
        "Match confirmed",
    )
    m.refresh_from_db()
    assert m.status == MatchStatus.CONFIRMED and m.reviewed_by == w.officer
    assert shown(client, m) == {"prepare", "revoke"}
    response = post(
        client,
        m,
        "prepare",
        {
            "form_type": "I247A",
            "request_type": "",
            "box": "PC_REMOVABLE",
            "pc_bases": ["BIOMETRIC_AND_DATABASE"],
            "charging_document": "NONE",
        },
    )
    d = Detainer.objects.get(identity_match=m)
    assert response.url == reverse("desks:detainer", args=[d.pk])
    follow_ok(client, response, f"Detainer {d.pk} prepared")
    assert d.state == DetainerState.PREPARED and d.prepared_by == w.officer


@pytest.mark.smoke
def test_detainer_chain_through_the_forms(client):
    w = make_world()
    d = prepared(w, warrant=False, at=now() - timedelta(hours=3))
    client.force_login(w.officer)
    signed = local_input(now() - timedelta(hours=2))
    follow_ok(
        client,
        post(
            client,
            d,
            "attach-warrant",
            {
                "warrant_type": "I200",
                "number": "W-1",
                "signed_by_name": "A. Officer",
                "signed_by_title": "SDDO",
                "signed_at": signed,
                "court": "",
            },
        ),
        "Warrant attached",
    )
    assert Warrant.objects.filter(detainer=d, number="W-1").exists()

    client.force_login(w.supervisor)
    follow_ok(client, post(client, d, "approve"), "Detainer approved")
    client.force_login(w.officer)
    follow_ok(client, post(client, d, "transmit"), "transmitted")
    client.force_login(w.booking_clerk)
    follow_ok(client, post(client, d, "receive"), "Receipt recorded")
    follow_ok(
        client, post(client, d, "serve-subject", {"method": "IN_PERSON", "language": "es"}), "Service of the detainer"
    )
    client.force_login(w.lea_counsel)
    follow_ok(client, post(client, d, "decide", {"decision": "HONOR_HOLD", "reason": ""}), "Decision recorded")
    d.refresh_from_db()
    assert d.state == DetainerState.ACTIVE_HOLD_ELIGIBLE and d.service_language == "es"

    client.force_login(w.booking_clerk)
    html = follow_ok(
        client, post(client, d, "release-eligibility", {"at": "", "reason": "BOND_POSTED"}), "hold is in effect"
    )
    d.refresh_from_db()
    assert d.state == DetainerState.HOLD_IN_EFFECT
    assert "data-countdown" in html

    client.force_login(w.officer)
    assert "transfer-custody" in shown(client, d)
    follow_ok(client, post(client, d, "transfer-custody"), "Custody transfer")
    d.refresh_from_db()
    assert d.state == DetainerState.CUSTODY_TRANSFERRED


def test_citizenship_claim_freezes_the_hold_and_is_resolved(client):
    w = make_world()
    d = hold_eligible(w, at=now() - timedelta(hours=3))
    client.force_login(w.booking_clerk)
    follow_ok(client, post(client, d, "claim-open", {"basis": "ASSERTED"}), "Citizenship claim recorded")
    d.refresh_from_db()
    assert d.state == DetainerState.CITIZENSHIP_REVIEW
    assert "claim-open" not in shown(client, d)
    client.force_login(w.supervisor)
    follow_ok(
        client, post(client, d, "claim-resolve", {"outcome": "noncitizen", "notes": "Birth record abroad"}), "resolved"
    )
    assert CitizenshipClaim.objects.get(subject=d.subject).status == ClaimStatus.VERIFIED_NONCITIZEN


def test_lift_and_release(client):
    w = make_world()
    d = received(w, at=now() - timedelta(hours=3))
    client.force_login(w.officer)
    follow_ok(client, post(client, d, "lift", {"reason": "Prosecutorial Discretion", "note_text": "n"}), "lifted")
    d.refresh_from_db()
    assert d.state == DetainerState.LIFTED

    d2 = hold_eligible(w, at=now() - timedelta(hours=3))
    client.force_login(w.booking_clerk)
    follow_ok(
        client,
        post(client, d2, "release", {"at": local_input(now() - timedelta(minutes=5)), "release_type": "BOND"}),
        "Release recorded",
    )
    d2.refresh_from_db()
    assert d2.booking.released_at is not None


def test_neutral_review_by_agency_counsel(client):
    w = make_world(neutral_review=True)
    d = received(w, at=now() - timedelta(hours=3))
    client.force_login(w.agency_counsel)
    follow_ok(client, post(client, d, "neutral-review", {"result": "PC_FOUND", "reason": "ok"}), "Neutral")
    d.refresh_from_db()
    assert d.neutral_review_result == "PC_FOUND"


def test_subpoena_chain_through_the_forms(client):
    w = make_world()
    d = hold_eligible(w, at=now() - timedelta(days=1))
    client.force_login(w.officer)
    response = post(
        client,
        d,
        "draft-subpoena",
        {"items": [ItemCategory.RELEASE_DATE, ItemCategory.HOME_ADDRESS], "return_days": 14},
    )
    s = Subpoena.objects.get(related_detainer=d)
    assert response.url == reverse("desks:subpoena", args=[s.pk])
    client.force_login(w.supervisor)
    follow_ok(client, post(client, s, "issue"), "signed and issued")
    client.force_login(w.officer)
    follow_ok(client, post(client, s, "serve", {"method": "PERSONAL"}), "return date now runs")
    client.force_login(w.booking_clerk)
    follow_ok(client, post(client, s, "acknowledge"), "acknowledged")
    client.force_login(w.lea_counsel)
    follow_ok(
        client,
        post(
            client, s, "respond", {"response_type": "DECLINATION", "grounds": "Court order required", "legal_basis": ""}
        ),
        "Response recorded",
    )
    s.refresh_from_db()
    assert s.state == SubpoenaState.DECLINED
    client.force_login(w.supervisor)
    follow_ok(client, post(client, s, "refer", {"doj_office": w.doj.pk, "memo": "Declined"}), "referred")
    client.force_login(w.doj_attorney)
    assert shown(client, s) == {"petition", "referral-decline"}
    response = post(client, s, "petition", {"court": "S.D. Tex.", "case_number": "4:26-mc-00001"})
    c = CourtCase.objects.get(referral__subpoena=s)
    assert response.url == reverse("desks:court_case", args=[c.pk])
    issued = local_input(now())  # the court acts after the petition (minute precision, as the form has it)
    follow_ok(
        client,
        post(client, c, "record-order", {"order_type": "BRIEFING_SCHEDULE", "issued_at": issued}),
        "order recorded",
    )
    follow_ok(client, post(client, c, "court-step", {"step": "take_under_advisement", "reason": ""}), "step recorded")
    follow_ok(
        client,
        post(
            client,
            c,
            "record-order",
            {
                "order_type": "ORDER_ENFORCING_SUBPOENA",
                "issued_at": issued,
                "issued_by": "Hon. A. Judge",
                "comply_within_days": 14,
            },
        ),
        "order recorded",
    )
    c.refresh_from_db()
    assert c.state == CourtState.ENFORCED and c.comply_by is not None
    client.force_login(w.lea_counsel)
    follow_ok(client, post(client, c, "record-compliance", {}), "Compliance")
    c.refresh_from_db()
    s.refresh_from_db()
    assert c.state == CourtState.COMPLIED and s.state == SubpoenaState.COMPLIED_UNDER_ORDER


def test_referral_decline_and_withdraw(client):
    w = make_world()
    d = hold_eligible(w)
    s = subpoena_to(w, stage="referred", detainer=d)
    client.force_login(w.doj_attorney)
    follow_ok(client, post(client, s, "referral-decline", {"reason": "Not a priority"}), "Referral declined")
    assert EnforcementReferral.objects.get(subpoena=s).state == ReferralState.DECLINED_BY_USAO
    s2 = subpoena_to(w, stage="issued", detainer=d)
    client.force_login(w.officer)
    follow_ok(client, post(client, s2, "withdraw", {"reason": "Duplicate"}), "withdrawn")
    s2.refresh_from_db()
    assert s2.state == SubpoenaState.WITHDRAWN


# ------------------------------------------------------------------------- refusals keep the input


def test_refused_guard_shows_rule_and_keeps_what_was_typed(client):
    w = make_world()
    make_policy(w.lea.jurisdiction, "no-holds", hold=HoldRule.NEVER)
    d = received(w, at=now() - timedelta(hours=2))
    client.force_login(w.lea_counsel)
    typed = "Counsel reviewed the file on the second floor"
    before = Transition.objects.filter(case_type="detainer", case_id=d.pk).count()
    response = post(client, d, "decide", {"decision": "HONOR_HOLD", "reason": typed})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Refused by a safeguard" in html and 'role="alert"' in html
    assert "Rule <code>" in html
    assert typed in html  # the textarea still holds it
    assert 'value="HONOR_HOLD" selected' in html
    assert Transition.objects.filter(case_type="detainer", case_id=d.pk).count() == before
    d.refresh_from_db()
    assert d.state == DetainerState.UNDER_POLICY_REVIEW


def test_invalid_form_keeps_input_and_names_the_field(client):
    w = make_world()
    d = prepared(w, warrant=False)
    client.force_login(w.officer)
    response = post(
        client,
        d,
        "attach-warrant",
        {
            "warrant_type": "I200",
            "number": "W-77",
            "signed_by_name": "B. Officer",
            "signed_by_title": "",
            "signed_at": "not a time",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="W-77"' in html and 'value="B. Officer"' in html
    assert "usa-error-message" in html and 'aria-invalid="true"' in html
    assert not Warrant.objects.filter(detainer=d).exists()


def test_concurrent_change_is_reported_and_nothing_is_saved(client):
    w = make_world()
    d = received(w, at=now() - timedelta(hours=2))
    client.force_login(w.lea_counsel)
    stale = actions.last_seq(actions.DETAINER, d)
    # Someone else acts meanwhile: the booking clerk serves the subject (a new transition on the detainer).
    ds.detainer_serve_subject(actor=w.booking_clerk, detainer=d)
    typed = "Reviewed under the county ordinance"
    response = post(client, d, "decide", {"decision": "DECLINE", "reason": typed}, seq=stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This case changed meanwhile" in html and typed in html
    d.refresh_from_db()
    assert d.state == DetainerState.UNDER_POLICY_REVIEW and d.lea_decision == ""


def test_invalid_transition_from_the_service_is_reported(client):
    """The table offers "record an order" on a newly petitioned case, but an order enforcing the subpoena cannot
    come before briefing: the service refuses under its lock and the typed terms are kept."""
    w = make_world()
    s = subpoena_to(w, stage="in_court", subject=book(w).subject)
    c = CourtCase.objects.get(referral__subpoena=s)
    client.force_login(w.doj_attorney)
    typed = "Produce the release date within fourteen days"
    response = post(
        client,
        c,
        "record-order",
        {
            "order_type": "ORDER_ENFORCING_SUBPOENA",
            "issued_at": local_input(now()),
            "issued_by": "Hon. A. Judge",
            "comply_within_days": 14,
            "terms": typed,
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Not possible in the case&#x27;s current state" in html or "Not possible in the case's current state" in html
    assert typed in html
    c.refresh_from_db()
    assert c.state == CourtState.PETITION_FILED and not c.orders.exists()


# --------------------------------------------------------------------------- not offered, not accepted


def test_actions_not_allowed_for_the_role_are_not_shown_and_are_refused(client):
    w = make_world()
    d = received(w, at=now() - timedelta(hours=2))
    client.force_login(w.officer)
    offered = shown(client, d)
    assert "decide" not in offered and "receive" not in offered and "approve" not in offered
    response = post(client, d, "decide", {"decision": "DECLINE", "reason": ""})
    assert response.status_code == 403
    # The party table's own refusal, not a generic one.
    assert "may not decide on a detainer" in response.content.decode()
    d.refresh_from_db()
    assert d.state == DetainerState.UNDER_POLICY_REVIEW


def test_actions_not_allowed_in_the_state_are_refused(client):
    w = make_world()
    d = hold_eligible(w)
    client.force_login(w.booking_clerk)
    assert "receive" not in shown(client, d)
    response = post(client, d, "receive")
    assert response.status_code == 409
    html = response.content.decode()
    # The state machine's reason, without suggesting that someone else changed the case.
    assert "is possible only when the detainer is &#x27;Transmitted&#x27;" in html
    assert "someone else" not in html


def test_unknown_action_and_foreign_case_are_404(client):
    w = make_world()
    other = make_world(suffix=" 2")
    d = received(w, at=now() - timedelta(hours=2))
    client.force_login(w.booking_clerk)
    assert post(client, d, "no-such-action").status_code == 404
    assert client.post(f"/nonsense/{d.pk}/actions/receive/", {"seq": 0}).status_code == 404
    client.force_login(other.booking_clerk)
    assert post(client, d, "serve-subject", {"method": "IN_PERSON", "language": "en"}).status_code == 404


def test_get_on_an_action_is_not_allowed(client):
    w = make_world()
    d = received(w)
    client.force_login(w.booking_clerk)
    assert client.get(action_url(d, "serve-subject")).status_code == 405


def test_rendered_forms_carry_the_current_seq_and_unique_ids(client):
    w = make_world()
    d = received(w, at=now() - timedelta(hours=2))
    client.force_login(w.booking_clerk)
    html = client.get(page_url(d)).content.decode()
    seq = actions.last_seq(actions.DETAINER, d)
    assert f'name="seq" value="{seq}"' in html
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_csrf_is_enforced_on_actions(world):
    d = received(world, at=T0)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.booking_clerk)
    response = client.post(action_url(d, "serve-subject"), {"seq": 0, "method": "IN_PERSON", "language": "en"})
    assert response.status_code == 403
    d.refresh_from_db()
    assert d.served_at is None


def test_a_supervisor_overrides_an_fbi_number_conflict_and_an_officer_revokes_the_match_on_the_page(client):
    from tests.factories import registry_subject

    w = make_world()
    b = book(w, at=now() - timedelta(hours=2), fbi_number="123456AB7")
    registry = registry_subject(w)
    m = cs.identity_match_propose(actor=w.officer, booking=b, subject=registry, basis=MatchBasis.BIOGRAPHIC, score=0.9)
    IdentityMatch.objects.filter(pk=m.pk).update(identifier_conflict=True)  # as screening flags it
    client.force_login(w.officer)
    assert "FBI-number conflict" in client.get(page_url(m)).content.decode()
    refused = post(client, m, "review", {"decision": "confirm", "reason": "same face"})
    assert refused.status_code == 409 and "R-IDENTIFIER-CONFLICT" in refused.content.decode()
    client.force_login(w.supervisor)
    follow_ok(
        client,
        post(
            client,
            m,
            "review",
            {"decision": "confirm", "reason": "the jail mistyped the FBI number", "override_conflict": "on"},
        ),
        "one person",
    )
    html = client.get(page_url(m)).content.decode()
    assert "One person across 2 records" in html
    client.force_login(w.officer)
    follow_ok(client, post(client, m, "revoke", {"reason": "prints belong to a brother"}), "Match revoked")
    m.refresh_from_db()
    assert m.status == MatchStatus.REJECTED
    assert "This record alone" in client.get(page_url(m)).content.decode()


def test_match_pages_are_scoped_to_the_area(client):
    w = make_world()
    from tests.factories import other_aor_world

    far = other_aor_world()
    b = book(w)
    m = cs.identity_match_propose(actor=w.officer, booking=b, subject=b.subject, basis=MatchBasis.BIOMETRIC)
    client.force_login(far.officer)
    assert client.get(page_url(m)).status_code == 404
    client.force_login(w.booking_clerk)
    assert client.get(page_url(m)).status_code == 404
    client.force_login(w.officer)
    assert client.get(page_url(m)).status_code == 200
    dash = client.get(reverse("desks:dashboard"))
    assert {q.key: q.count for q in dash.context["queues"]}["matches"] == 1


def test_queue_refresh_returns_one_section(client):
    w = make_world()
    received(w)
    client.force_login(w.booking_clerk)
    response = client.get(reverse("desks:dashboard") + "?queue=to-serve", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="queue" id="q-to-serve"') and "<html" not in html
    assert client.get(reverse("desks:dashboard") + "?queue=nope").status_code == 404


def test_subpoena_seq_is_per_case(world):
    s = subpoena_to(world, stage="served", subject=book(world).subject)
    assert (
        actions.last_seq(actions.SUBPOENA, s) == Transition.objects.filter(case_type="subpoena", case_id=s.pk).count()
    )
    ss.subpoena_acknowledge(actor=world.lea_counsel, subpoena=s)
    assert actions.last_seq(actions.SUBPOENA, s) == 4
