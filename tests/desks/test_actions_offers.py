"""Issue 14: an action is offered only when the service's party rule and the model's state machine allow it; a
refused one shows the reason that refused it (and says the case changed only when it did); every action's URL
sits under its case page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from holdtrack.audit.models import Transition
from holdtrack.cases.models import CourtCase, CourtState, OrderType
from holdtrack.cases.services import subpoenas as ss
from holdtrack.core.timeutil import now
from holdtrack.custody import services as cs
from holdtrack.custody.models import MatchBasis
from holdtrack.desks import actions
from tests.desks.test_actions import KIND_OF, action_url, page_url, post, shown
from tests.factories import World, book, make_world, prepared, received, subpoena_to

pytestmark = pytest.mark.django_db

ROLES = ("officer", "supervisor", "agency_counsel", "booking_clerk", "lea_counsel", "doj_attorney")


def signed_in(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def court_case_in_briefing(w: World) -> CourtCase:
    s = subpoena_to(w, stage="in_court", subject=book(w).subject)
    c = CourtCase.objects.get(referral__subpoena=s)
    ss.court_order_record(
        actor=w.doj_attorney, case=c, order_type=OrderType.BRIEFING_SCHEDULE, issued_at=now() - timedelta(hours=1)
    )
    c.refresh_from_db()
    assert c.state == CourtState.BRIEFING
    return c


def scenes(w: World) -> list[Any]:
    b = book(w, at=now() - timedelta(hours=2))
    match = cs.identity_match_propose(actor=w.officer, booking=b, subject=b.subject, basis=MatchBasis.BIOGRAPHIC)
    return [
        match,
        prepared(w, at=now() - timedelta(hours=3)),
        received(w, at=now() - timedelta(hours=3)),
        subpoena_to(w, stage="served", subject=book(w).subject),
        subpoena_to(w, stage="referred", subject=book(w).subject),
        court_case_in_briefing(w),
    ]


# ------------------------------------------------------------------------------------------ court case


def options(html: str, select_id: str) -> set[str]:
    import re

    block = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return set(re.findall(r'<option value="([A-Za-z_]+)"', block))


def test_a_court_case_in_briefing_offers_only_the_steps_and_orders_its_state_machine_allows():
    w = make_world()
    c = court_case_in_briefing(w)
    html = signed_in(w.doj_attorney).get(page_url(c)).content.decode()
    # "Objection or appeal filed" needs an enforcing order; a contempt motion needs non-compliance.
    assert options(html, "id_court-step_step") == {"take_under_advisement"}
    assert "Objection or appeal filed" not in html
    assert options(html, "id_record-order_order_type") == {
        OrderType.HEARING_NOTICE,
        OrderType.ORDER_ENFORCING_SUBPOENA,  # the service takes the case under advisement first
        OrderType.ORDER_DENYING_ENFORCEMENT,
        OrderType.DISMISSAL,
    }


def test_a_step_the_state_does_not_allow_is_refused_with_its_reason_not_as_a_change_by_someone_else():
    w = make_world()
    c = court_case_in_briefing(w)
    client = signed_in(w.doj_attorney)
    before = Transition.objects.count()
    response = post(client, c, "court-step", {"step": "appeal", "reason": "Notice of appeal"})
    assert response.status_code == 409
    html = response.content.decode()
    assert escape(f"Court case {c.pk} is 'Briefing': 'appeal' is possible only from 'Enforcement ordered'.") in html
    assert "state machine: CourtCase.appeal" in html
    assert "changed after you opened the page" not in html and "someone else" not in html
    assert "Notice of appeal" in html  # what was typed is kept
    assert Transition.objects.count() == before
    c.refresh_from_db()
    assert c.state == CourtState.BRIEFING


def test_the_same_step_after_a_change_since_the_page_was_loaded_says_the_case_changed():
    w = make_world()
    c = court_case_in_briefing(w)
    client = signed_in(w.doj_attorney)
    seen = actions.last_seq(actions.COURT_CASE, c)
    ss.court_case_advance(actor=w.doj_attorney, case=c, action="take_under_advisement")  # someone else's step
    response = post(client, c, "court-step", {"step": "take_under_advisement", "reason": ""}, seq=seen)
    assert response.status_code == 409
    assert "changed after you opened the page (someone else recorded an event)" in response.content.decode()


# ------------------------------------------------------------------------------- every kind, every role


def test_every_action_is_offered_exactly_when_a_post_of_it_is_not_refused_and_a_refusal_shows_its_reason():
    w = make_world()
    checked = refused = 0
    for obj in scenes(w):
        kind = KIND_OF[type(obj)]
        for role in ROLES:
            user = getattr(w, role)
            client = signed_in(user)
            if client.get(page_url(obj)).status_code == 404:
                continue  # out of the user's scope: no page, no action
            offered = shown(client, obj)
            for action in [a for a in actions.ACTIONS if a.kind == kind]:
                reason = actions.refusal(action, user, obj)
                checked += 1
                assert (action.key in offered) == (reason is None), (role, obj, action.key, reason)
                if reason is None:
                    continue
                refused += 1
                before = Transition.objects.count()
                response = post(client, obj, action.key)
                assert response.status_code in (403, 409), (role, obj, action.key, response.status_code)
                html = response.content.decode()
                assert escape(reason.message) in html, (role, obj, action.key, reason.message)
                if reason.rule:
                    assert escape(reason.rule) in html
                assert "changed after you opened the page" not in html
                assert Transition.objects.count() == before
                obj.refresh_from_db()
    assert checked > 200 and refused > 150


def test_a_state_refusal_names_the_states_that_allow_the_action():
    w = make_world()
    d = prepared(w, at=now() - timedelta(hours=3))
    reason = actions.refusal(actions.get(actions.DETAINER, "receive"), w.booking_clerk, d)  # type: ignore[arg-type]
    assert reason is not None and reason.code == "invalid_transition"
    assert reason.message == (
        "'Record receipt' is not possible while the detainer is 'Prepared'; "
        "it is possible only when the detainer is 'Transmitted'."
    )
    # A role the service's rule does not name is refused by the party table, before any state is looked at.
    role = actions.refusal(actions.get(actions.DETAINER, "approve"), w.officer, d)  # type: ignore[arg-type]
    assert role is not None and role.code == "not_permitted" and "may not approve a detainer" in role.message


def test_roles_come_from_the_services_rules():
    from holdtrack.kernel.parties import rule_for

    for action in actions.ACTIONS:
        rule = rule_for(action.service)
        if action.channel:
            assert rule.recorded_by is not None and action.roles == rule.recorded_by.roles - rule.roles
        else:
            assert action.roles == rule.roles, action.key


# ------------------------------------------------------------------------------------------------- URLs


def test_action_urls_sit_under_their_case_page_and_the_old_scheme_is_gone():
    w = make_world()
    for obj in scenes(w):
        kind = KIND_OF[type(obj)]
        for action in [a for a in actions.ACTIONS if a.kind == kind]:
            assert action_url(obj, action.key) == f"{page_url(obj)}actions/{action.key}/"
    c = court_case_in_briefing(w)
    client = signed_in(w.doj_attorney)
    html = client.get(page_url(c)).content.decode()
    assert f'action="/court-cases/{c.pk}/actions/court-step/"' in html
    assert action_url(c, "court-step") == f"/court-cases/{c.pk}/actions/court-step/"
    seq = actions.last_seq(actions.COURT_CASE, c)
    payload = {"seq": seq, "step": "take_under_advisement"}
    assert client.post(f"/court_case/{c.pk}/actions/court-step/", payload).status_code == 404
    # The refusal page answers on the case's own scheme.
    refused = client.post(f"/court-cases/{c.pk}/actions/court-step/", {"seq": seq, "step": "appeal"})
    assert refused.status_code == 409 and refused.request["PATH_INFO"].startswith(f"/court-cases/{c.pk}/")
