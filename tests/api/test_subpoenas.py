"""Subpoena, referral and court endpoints: the enforcement chain through the API, with refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from holdtrack.cases.models import CourtCase, Subpoena
from holdtrack.core.timeutil import now
from tests.api.factories_api import api_for
from tests.api.test_bookings import problem
from tests.api.test_detainers import session, spost
from tests.factories import book, other_aor_world, subpoena_to

pytestmark = pytest.mark.django_db


def test_subpoena_chain_to_court_compliance(world):
    booking = book(world)
    officer = api_for(world.office)
    lea = api_for(world.lea_org, role="LEA_COUNSEL")
    doj = api_for(world.doj)
    supervisor = session(world.supervisor)

    draft = officer.post(
        "/subpoenas",
        {"recipient_ori": world.lea.ori, "subject_id": booking.subject_id, "items": ["RELEASE_DATE", "HOME_ADDRESS"]},
    )
    assert draft.status_code == 201 and draft.json()["state"] == "DRAFT", draft.content
    sid = draft.json()["id"]
    problem(officer.post(f"/subpoenas/{sid}/issue"), 403)  # signing authority is a supervisor's
    assert spost(supervisor, f"/subpoenas/{sid}/issue").json()["state"] == "ISSUED"
    problem(lea.get(f"/subpoenas/{sid}"), 404)  # not the LEA's until served
    served = officer.post(f"/subpoenas/{sid}/serve", {"method": "PERSONAL"})
    assert served.json()["state"] == "SERVED" and served.json()["return_due_at"], served.content
    assert lea.post(f"/subpoenas/{sid}/acknowledge").json()["state"] == "RESPONSE_DUE"
    resp = lea.post(
        f"/subpoenas/{sid}/respond",
        {"response_type": "DECLINATION", "grounds": "Local law permits production only under a court order."},
    )
    assert resp.status_code == 200 and resp.json()["state"] == "DECLINED", resp.content
    problem(officer.post(f"/subpoenas/{sid}/refer", {"doj_office_id": world.lea_org.pk}), 422)
    ref = spost(supervisor, f"/subpoenas/{sid}/refer", {"doj_office_id": world.doj.pk, "memo": "refer"})
    assert ref.status_code == 200 and ref.json()["state"] == "REFERRED", ref.content
    rid = ref.json()["referral_id"]
    assert doj.get("/referrals").json()["items"][0]["id"] == rid
    problem(
        api_for(world.doj, scopes=["court:read"]).post(
            f"/referrals/{rid}/petition", {"court": "S.D. Tex.", "case_number": "4:26-mc-1"}
        ),
        403,
    )
    pet = doj.post(f"/referrals/{rid}/petition", {"court": "S.D. Tex.", "case_number": "4:26-mc-1"})
    assert pet.status_code == 201 and pet.json()["state"] == "PETITION_FILED", pet.content
    cid = pet.json()["id"]
    o1 = doj.post(f"/court-cases/{cid}/orders", {"order_type": "BRIEFING_SCHEDULE", "issued_at": now().isoformat()})
    assert o1.json()["state"] == "BRIEFING", o1.content
    adv = doj.post(f"/court-cases/{cid}/advance", {"action": "take_under_advisement"})
    assert adv.json()["state"] == "UNDER_ADVISEMENT", adv.content
    problem(doj.post(f"/court-cases/{cid}/advance", {"action": "dance"}), 422)
    enforce = {
        "order_type": "ORDER_ENFORCING_SUBPOENA",
        "issued_at": now().isoformat(),
        "issued_by": "Hon. A. Judge",
        "comply_within_days": 14,
    }
    o2 = doj.post(f"/court-cases/{cid}/orders", enforce)
    assert o2.json()["state"] == "ENFORCED" and o2.json()["comply_by"], o2.content
    assert len(o2.json()["orders"]) == 2
    comp = lea.post(f"/court-cases/{cid}/compliance", {"produced_items": ["RELEASE_DATE"]})
    assert comp.status_code == 200 and comp.json()["state"] == "COMPLIED", comp.content
    assert Subpoena.objects.get(pk=sid).state == "COMPLIED_UNDER_ORDER"
    # The court case is visible to the parties only.
    assert lea.get("/court-cases").json()["count"] == 1
    problem(api_for(other_aor_world().lea_org).get(f"/court-cases/{cid}"), 404)


def test_withdraw_and_referral_decline(world):
    booking = book(world)
    s = subpoena_to(world, stage="issued", subject=booking.subject)
    officer = api_for(world.office)
    problem(officer.post(f"/subpoenas/{s.pk}/withdraw", {"reason": ""}), 422)
    w = officer.post(f"/subpoenas/{s.pk}/withdraw", {"reason": "no longer needed"})
    assert w.status_code == 200 and w.json()["state"] == "WITHDRAWN"
    problem(officer.post(f"/subpoenas/{s.pk}/serve", {}), 409)

    s2 = subpoena_to(world, stage="referred", subject=book(world).subject)
    rid = s2.referral.pk
    problem(officer.post(f"/referrals/{rid}/decline", {"reason": "x"}), 403)  # DOJ's act
    d = api_for(world.doj).post(f"/referrals/{rid}/decline", {"reason": "declined to enforce"})
    assert d.status_code == 200 and d.json()["state"] == "DECLINED_BY_USAO", d.content
    problem(api_for(other_aor_world().doj).post(f"/referrals/{rid}/decline", {"reason": "x"}), 404)


def test_subpoena_draft_refusals(world):
    booking = book(world)
    officer = api_for(world.office)
    body = problem(
        officer.post("/subpoenas", {"recipient_ori": world.lea.ori, "subject_id": booking.subject_id, "items": []}), 422
    )
    assert body["errors"][0]["field"] == "items"
    problem(
        officer.post("/subpoenas", {"recipient_ori": "ZZ0000000", "subject_id": booking.subject_id, "items": ["DOB"]}),
        422,
    )
    stranger = api_for(other_aor_world().office)
    problem(
        stranger.post(
            "/subpoenas", {"recipient_ori": world.lea.ori, "subject_id": booking.subject_id, "items": ["DOB"]}
        ),
        404,
    )
    problem(
        api_for(world.office, scopes=["subpoenas:read"]).post(
            "/subpoenas", {"recipient_ori": world.lea.ori, "subject_id": booking.subject_id, "items": ["DOB"]}
        ),
        403,
    )
    assert not Subpoena.objects.exists()


def test_court_list_filters(world):
    s = subpoena_to(world, stage="in_court", subject=book(world).subject)
    doj = api_for(world.doj)
    assert doj.get("/court-cases", state="PETITION_FILED").json()["count"] == 1
    assert doj.get("/court-cases", state="ENFORCED").json()["count"] == 0
    case = CourtCase.objects.get(referral__subpoena=s)
    assert doj.get(f"/court-cases/{case.pk}").json()["case_number"] == case.case_number
    later = (now() + timedelta(days=1)).isoformat()
    assert doj.get("/court-cases", filed_after=later).json()["count"] == 0
