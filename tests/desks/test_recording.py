"""The counterpart records the other side's act from its document on the case pages (desks.recording)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from holdtrack.audit.models import Channel, Transition
from holdtrack.cases.models import DetainerState
from holdtrack.desks import actions, recording
from holdtrack.kernel.parties import rule_for
from tests.desks.test_actions import action_url, page_url, post, shown
from tests.factories import T0, other_aor_world, received, subpoena_to

pytestmark = pytest.mark.django_db

PROOF = "Proof of service on the subject, jail form 12, received 2 March"


def signed_in(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_every_recordable_desk_action_is_one_the_table_lets_the_counterpart_record():
    for kind, key in recording.RECORDABLE:
        recorded, acting = actions.get(kind, recording.KEY_PREFIX + key), actions.get(kind, key)
        assert recorded is not None and acting is not None
        rule = rule_for(recorded.service)
        assert rule.recorded_by is not None
        assert recorded.roles == rule.recorded_by.roles - rule.roles
        # Offered in the same states as the acting side's action: the same fsm steps and facts.
        assert (recorded.service, recorded.steps, recorded.needs) == (acting.service, acting.steps, acting.needs)
        assert "source_document" in recorded.form.base_fields and recorded.form.base_fields["source_document"].required


def test_the_form_is_offered_only_to_the_counterpart_on_the_case(world):
    d = received(world, at=T0)  # under policy review, not served yet
    office = shown(signed_in(world.officer), d)
    assert {"recorded-serve-subject", "recorded-decide"} <= office
    # The field office of the jail's area records the jail's booking events from its papers.
    assert {"recorded-release-eligibility", "recorded-release"} <= office
    assert not {"decide", "serve-subject"} & office
    # The LEA takes these acts itself and is never offered to "record" them.
    lea = shown(signed_in(world.lea_counsel), d)
    assert {"decide", "serve-subject"} <= lea and not {"recorded-decide", "recorded-serve-subject"} & lea
    # The office can record the LEA's acts but not its own: its own lift is the plain action.
    assert "lift" in office and "recorded-lift" not in office
    # The LEA's staff record the office's lift from its notice.
    assert "recorded-lift" in lea and "recorded-lift" in shown(signed_in(world.booking_clerk), d)
    # Another area's office does not see the case at all.
    assert signed_in(other_aor_world().officer).get(page_url(d)).status_code == 404


def test_posting_records_the_step_marked_as_staff_recorded_and_the_timeline_says_so(world):
    d = received(world, at=T0)
    c = signed_in(world.officer)
    r = post(c, d, "recorded-serve-subject", {"source_document": PROOF, "method": "IN_PERSON", "language": "es"})
    assert r.status_code == 302, r.content.decode()[:2000]
    t = Transition.objects.filter(case_type="detainer", case_id=d.pk).latest("seq")
    assert t.channel == Channel.STAFF_RECORDED and t.data["recorded_from_document"] == PROOF
    html = c.get(page_url(d)).content.decode()
    assert f"recorded by {world.office} staff from {PROOF}" in html
    # The same words for the LEA reading the case.
    assert (
        f"recorded by {world.office} staff from {PROOF}"
        in signed_in(world.lea_counsel).get(page_url(d)).content.decode()
    )

    r = post(c, d, "recorded-decide", {"source_document": "LEA letter 17", "decision": "HONOR_HOLD", "reason": ""})
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.state == DetainerState.ACTIVE_HOLD_ELIGIBLE and d.lea_decision == "HONOR_HOLD"


def test_a_missing_document_or_the_wrong_side_writes_nothing(world):
    d = received(world, at=T0)
    before = Transition.objects.count()
    blank = post(
        signed_in(world.officer), d, "recorded-serve-subject", {"source_document": "  ", "method": "IN_PERSON"}
    )
    assert blank.status_code == 400 and "This field is required" in blank.content.decode()
    # The LEA's counsel may decide, but not "record" its own decision from a document.
    refused = post(
        signed_in(world.lea_counsel), d, "recorded-decide", {"source_document": "x", "decision": "HONOR_HOLD"}
    )
    assert refused.status_code == 403
    assert Transition.objects.count() == before


def test_the_agency_records_the_lea_acknowledgement_of_a_subpoena(world):
    s = subpoena_to(world, stage="served", detainer=received(world, at=T0))
    c = signed_in(world.supervisor)
    assert "recorded-acknowledge" in shown(c, s)
    assert post(c, s, "recorded-acknowledge", {"source_document": "Docket letter"}).status_code == 302
    t = Transition.objects.filter(case_type="subpoena", case_id=s.pk).latest("seq")
    assert t.channel == Channel.STAFF_RECORDED and t.actor_id == world.supervisor.pk


def test_csrf_is_enforced_on_recorded_actions(world):
    d = received(world, at=T0)
    c = Client(enforce_csrf_checks=True)
    c.force_login(world.officer)
    r = c.post(action_url(d, "recorded-serve-subject"), {"seq": 0, "source_document": PROOF, "method": "IN_PERSON"})
    assert r.status_code == 403
    d.refresh_from_db()
    assert d.served_at is None
