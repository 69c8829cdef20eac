"""Detainer endpoints: the whole chain through the API, and each refusal (guard, role, scope, payload)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from holdtrack.cases.models import Detainer
from holdtrack.core.timeutil import now
from holdtrack.custody import services as cs
from holdtrack.custody.models import MatchBasis
from tests.api.factories_api import api_for, booking_payload
from tests.api.test_bookings import problem
from tests.factories import book, confirmed_match, other_aor_world, prepared

pytestmark = pytest.mark.django_db

WARRANT = {"warrant_type": "I200", "signed_by_name": "A. Officer", "signed_by_title": "SDDO"}


def session(user):  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def spost(c, path, body=None):  # type: ignore[no-untyped-def]
    import json

    return c.post("/api/v1" + path, data=json.dumps(body or {}), content_type="application/json")


@pytest.mark.smoke
def test_detainer_chain_through_the_api(world):
    lea_api = api_for(world.lea_org)
    lea_counsel_api = api_for(world.lea_org, role="LEA_COUNSEL")
    officer_api = api_for(world.office)
    b = lea_api.post("/bookings", booking_payload(world, "CH-1", booked_at=(now() - timedelta(days=1)).isoformat()))
    booking = cs.Booking.objects.get(pk=b.json()["id"])
    m = confirmed_match(world, booking)

    d = officer_api.post("/detainers", {"identity_match_id": m.pk, "pc_bases": ["BIOMETRIC_AND_DATABASE"]})
    assert d.status_code == 201, d.content
    did = d.json()["id"]
    assert d.json()["state"] == "PREPARED" and d.json()["addressed_lea_ori"] == world.lea.ori
    # The LEA does not see a detainer before it is transmitted.
    problem(lea_api.get(f"/detainers/{did}"), 404)

    w = officer_api.post(f"/detainers/{did}/warrants", {**WARRANT, "signed_at": now().isoformat()})
    assert w.status_code == 200 and w.json()["warrants"][0]["warrant_type"] == "I200"
    # Approval is a supervisor's: the officer's system client is refused by role.
    assert problem(officer_api.post(f"/detainers/{did}/approve"), 403)["type"].endswith("forbidden")
    a = spost(session(world.supervisor), f"/detainers/{did}/approve")
    assert a.status_code == 200 and a.json()["state"] == "APPROVED", a.content
    assert officer_api.post(f"/detainers/{did}/transmit").json()["state"] == "TRANSMITTED"

    listed = lea_api.get("/detainers", state="TRANSMITTED").json()
    assert [x["id"] for x in listed["items"]] == [did]
    r = lea_api.post(f"/detainers/{did}/receive")
    assert r.status_code == 200 and r.json()["state"] == "UNDER_POLICY_REVIEW", r.content
    s = lea_api.post(f"/detainers/{did}/serve-subject", {"method": "IN_PERSON", "language": "es"})
    assert s.json()["served_at"] is not None
    dec = lea_counsel_api.post(f"/detainers/{did}/decide", {"decision": "HONOR_HOLD"})
    assert dec.status_code == 200 and dec.json()["state"] == "ACTIVE_HOLD_ELIGIBLE", dec.content
    elig = {"at": now().isoformat(), "reason": "BOND_POSTED"}
    assert lea_api.post(f"/bookings/{world.lea.ori}/CH-1/release-eligibility", elig).status_code == 200
    assert lea_api.get(f"/detainers/{did}").json()["state"] == "HOLD_IN_EFFECT"
    t = officer_api.post(f"/detainers/{did}/transfer-custody")
    assert t.status_code == 200 and t.json()["state"] == "CUSTODY_TRANSFERRED", t.content
    # A finished detainer cannot be lifted: 409 with a clear message.
    body = problem(officer_api.post(f"/detainers/{did}/lift", {"reason": "Case Closed"}), 409)
    assert "'lift' is possible only from" in body["detail"] and "Custody transferred" in body["detail"]
    assert body["rule"] == "state machine: Detainer.lift"  # the problem names the rule that refused


def test_prepare_refused_guard_carries_rule(world):
    m = confirmed_match(world, book(world))
    body = problem(api_for(world.office).post("/detainers", {"identity_match_id": m.pk, "pc_bases": []}), 409)
    assert body["type"].endswith("guard-refused") and body["rule"] == "R-PC-BASIS v1"
    assert not Detainer.objects.exists()


def test_prepare_bad_payload_and_scope(world):
    m = confirmed_match(world, book(world))
    api = api_for(world.office)
    body = problem(api.post("/detainers", {"identity_match_id": m.pk, "pc_bases": ["NOPE"], "box": "X"}), 422)
    assert {e["field"] for e in body["errors"]} >= {"pc_bases.0", "box"}
    problem(api_for(world.office, scopes=["detainers:read"]).post("/detainers", {"identity_match_id": m.pk}), 403)
    problem(api_for(other_aor_world().office).post("/detainers", {"identity_match_id": m.pk}), 404)


def test_detainer_out_of_scope_is_404_for_reads_and_actions(world):
    d = prepared(world)
    other = other_aor_world()
    stranger = api_for(other.office)
    problem(stranger.get(f"/detainers/{d.pk}"), 404)
    problem(stranger.post(f"/detainers/{d.pk}/transmit"), 404)
    problem(stranger.post(f"/detainers/{d.pk}/lift", {"reason": "Case Closed"}), 404)
    problem(api_for(world.office).get("/detainers/999999"), 404)
    assert stranger.get("/detainers").json()["count"] == 0
    assert api_for(world.office).get("/detainers").json()["count"] == 1


def test_lift_neutral_review_notification(world):
    d = prepared(world)
    officer_api = api_for(world.office)
    problem(officer_api.post(f"/detainers/{d.pk}/lift", {"reason": "Detainer Declined by LEA"}), 422)
    problem(officer_api.post(f"/detainers/{d.pk}/neutral-review", {"result": "PC_FOUND"}), 403)  # counsel's act
    lifted = officer_api.post(f"/detainers/{d.pk}/lift", {"reason": "Prosecutorial Discretion", "note": "n"})
    assert lifted.status_code == 200 and lifted.json()["state"] == "LIFTED"
    problem(api_for(world.lea_org).post(f"/detainers/{d.pk}/notifications", {"kind": "RELEASE_NOW"}), 404)


def test_matches_review(world):
    booking = book(world)
    m = cs.identity_match_propose(
        actor=world.officer, booking=booking, subject=booking.subject, basis=MatchBasis.BIOGRAPHIC, score=12.5
    )
    api = api_for(world.office)
    page = api.get("/matches", status="PROPOSED").json()
    assert page["count"] == 1 and page["items"][0]["score"] == 12.5
    problem(api.post(f"/matches/{m.pk}/review", {"confirm": True, "reason": ""}), 422)
    r = api.post(f"/matches/{m.pk}/review", {"confirm": True, "reason": "same person"})
    assert r.status_code == 200 and r.json()["status"] == "CONFIRMED"
    problem(api.post(f"/matches/{m.pk}/review", {"confirm": False, "reason": "again"}), 409)
    problem(api_for(world.lea_org).get("/matches"), 403)  # an LEA holds no matches scope
    problem(api_for(other_aor_world().office).get(f"/matches/{m.pk}"), 404)


def test_citizenship_claim_open_and_resolve(world):
    booking = book(world)
    lea_api = api_for(world.lea_org)
    c = lea_api.post("/citizenship-claims", {"subject_id": booking.subject_id, "basis": "ASSERTED"})
    assert c.status_code == 201 and c.json()["status"] == "OPEN", c.content
    cid = c.json()["id"]
    problem(
        api_for(world.office).post(f"/citizenship-claims/{cid}/resolve", {"verified_citizen": False, "notes": "x"}), 403
    )
    r = spost(
        session(world.supervisor),
        f"/citizenship-claims/{cid}/resolve",
        {"verified_citizen": True, "notes": "passport seen"},
    )
    assert r.status_code == 200 and r.json()["status"] == "VERIFIED_USC", r.content
    problem(
        api_for(other_aor_world().lea_org).post(
            "/citizenship-claims", {"subject_id": booking.subject_id, "basis": "ASSERTED"}
        ),
        404,
    )


def test_subject_read_is_scoped_and_audited(world):
    from holdtrack.audit.models import AuditEvent

    booking = book(world)
    api = api_for(world.lea_org)
    s = api.get(f"/subjects/{booking.subject_id}")
    assert s.status_code == 200 and s.json()["last_name"] == booking.subject.last_name
    assert AuditEvent.objects.filter(action="subject.view", entity_id=str(booking.subject_id)).exists()
    problem(api_for(other_aor_world().lea_org).get(f"/subjects/{booking.subject_id}"), 404)
    problem(api_for(world.lea_org, scopes=["bookings:read"]).get(f"/subjects/{booking.subject_id}"), 403)


def test_the_detail_read_as_values_answers_what_the_detainer_gives_and_records_the_access(world):
    import orjson

    from holdtrack.api.render import dumps
    from holdtrack.api.routers.detainers import detainer_out
    from holdtrack.audit.models import AuditEvent

    d = prepared(world)
    officer_api = api_for(world.office)
    assert (
        officer_api.post(f"/detainers/{d.pk}/warrants", {**WARRANT, "signed_at": now().isoformat()}).status_code == 200
    )
    views = AuditEvent.objects.filter(action="detainer.view", entity_id=str(d.pk))
    before = views.count()
    body = officer_api.get(f"/detainers/{d.pk}").json()
    assert views.count() == before + 1  # one access event a read
    fresh = Detainer.objects.select_related("booking", "addressed_lea", "facility").get(pk=d.pk)
    assert body == orjson.loads(dumps(detainer_out(fresh, warrants=True).model_dump()))
    assert len(body["warrants"]) == d.warrants.count() >= 2  # the factory's and the one attached above
    assert body["warrants"][-1]["warrant_type"] == "I200" and body["booking_number"] == d.booking.booking_number
    problem(officer_api.get("/detainers/-1"), 404)
