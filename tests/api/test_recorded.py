"""The staff-recorded channel of the API: the counterpart records the other side's act from its document."""

from __future__ import annotations

from typing import Any

import pytest

from holdtrack.audit.models import AuditEvent, Channel, Transition
from holdtrack.cases.models import Detainer
from holdtrack.kernel.parties import all_rules
from tests.api.factories_api import Api, api_for
from tests.api.test_bookings import problem
from tests.factories import other_aor_world, received, subpoena_to

pytestmark = pytest.mark.django_db

FAX = "Jail decision letter no. 2026-117, faxed and received 2026-03-02"


def _decide(api: Api, pk: int, **extra: Any) -> Any:
    return api.post(f"/detainers/{pk}/decide", {"decision": "HONOR_HOLD", **extra})


def test_the_issuing_office_records_the_lea_decision_from_its_letter(world):
    d = received(world)
    office = api_for(world.office)
    served = office.post(f"/detainers/{d.pk}/serve-subject", {"recorded_from": {"document": "Proof of service"}})
    assert served.status_code == 200 and served.json()["served_at"], served.content
    before = Transition.objects.filter(case_id=d.pk, case_type="detainer").count()
    r = _decide(office, d.pk, recorded_from={"document": f"  {FAX} "})
    assert r.status_code == 200 and r.json()["lea_decision"] == "HONOR_HOLD", r.content
    t = Transition.objects.filter(case_type="detainer", case_id=d.pk).latest("seq")
    assert t.channel == Channel.STAFF_RECORDED and t.data["recorded_from_document"] == FAX
    assert t.actor is not None and t.actor.organization_id == world.office.pk
    event = AuditEvent.objects.get(action=f"detainer.{t.name}", entity_id=d.pk)
    assert event.data["standing"] == "counterpart: issuing office" and event.data["recorded_from_document"] == FAX
    assert Transition.objects.filter(case_id=d.pk, case_type="detainer").count() == before + 1


def test_the_lea_records_the_agency_lift_and_the_agency_an_acknowledgement_on_an_optional_body(world):
    d = received(world)
    lea = api_for(world.lea_org)
    r = lea.post(f"/detainers/{d.pk}/lift", {"reason": "Case Closed", "recorded_from": {"document": "I-247X no. 4"}})
    assert r.status_code == 200 and r.json()["state"] == "LIFTED", r.content
    lifted = Transition.objects.get(case_type="detainer", case_id=d.pk, target="LIFTED")
    assert lifted.channel == Channel.STAFF_RECORDED and lifted.data["recorded_from_document"] == "I-247X no. 4"

    ack = subpoena_to(world, stage="served", detainer=d)
    # The agency records the LEA's acknowledgement on an endpoint that otherwise takes no body.
    a = api_for(world.office).post(f"/subpoenas/{ack.pk}/acknowledge", {"recorded_from": {"document": "LEA letter"}})
    assert a.status_code == 200, a.content
    marked = Transition.objects.get(case_type="subpoena", case_id=ack.pk, name="triage")
    assert marked.channel == Channel.STAFF_RECORDED and marked.data["recorded_from_document"] == "LEA letter"
    # Without a body the same endpoint is the party's own act, as before.
    other = subpoena_to(world, stage="served", detainer=d)
    assert lea.post(f"/subpoenas/{other.pk}/acknowledge").status_code == 200
    own = Transition.objects.get(case_type="subpoena", case_id=other.pk, name="triage")
    assert own.channel != Channel.STAFF_RECORDED and "recorded_from_document" not in own.data


def test_another_organisation_and_the_acting_side_are_refused_with_nothing_written(world):
    d = received(world)
    decisions = AuditEvent.objects.filter(action__startswith="detainer.decide")
    before = Transition.objects.count(), decisions.count()
    # Another area's office does not even see the case.
    problem(_decide(api_for(other_aor_world().office), d.pk, recorded_from={"document": FAX}), 404)
    # The LEA's counsel takes the decision itself: recording it "from a document" is not for that side.
    body = problem(_decide(api_for(world.lea_org, role="LEA_COUNSEL"), d.pk, recorded_from={"document": FAX}), 403)
    assert "recorded_from" in body["detail"]
    # The LEA's booking staff are not the counterpart of an LEA act either.
    problem(_decide(api_for(world.lea_org), d.pk, recorded_from={"document": FAX}), 403)
    assert (Transition.objects.count(), decisions.count()) == before
    assert Detainer.objects.get(pk=d.pk).lea_decision == ""


@pytest.mark.parametrize("recorded_from", [{}, {"document": ""}, {"document": "   "}])
def test_a_missing_document_is_a_422_naming_the_field(world, recorded_from):
    d = received(world)
    before = Transition.objects.count()
    body = problem(_decide(api_for(world.office), d.pk, recorded_from=recorded_from), 422)
    assert any(e["field"].startswith("recorded_from") for e in body["errors"]), body
    assert Transition.objects.count() == before


# Each action endpoint and the service it runs: the field is offered exactly where the table has a counterpart.
D, S = "/api/v1/detainers/{detainer_id}", "/api/v1/subpoenas/{subpoena_id}"
ROUTES = {
    f"{D}/warrants": "warrant_attach",
    f"{D}/approve": "detainer_approve",
    f"{D}/transmit": "detainer_transmit",
    f"{D}/receive": "detainer_receive",
    f"{D}/revalidate": "detainer_revalidate",
    f"{D}/serve-subject": "detainer_serve_subject",
    f"{D}/decide": "detainer_decide",
    f"{D}/lift": "detainer_lift",
    f"{D}/neutral-review": "detainer_record_neutral_review",
    f"{D}/transfer-custody": "detainer_transfer_custody",
    f"{D}/notifications": "notification_send",
    f"{S}/issue": "subpoena_issue",
    f"{S}/serve": "subpoena_serve",
    f"{S}/acknowledge": "subpoena_acknowledge",
    f"{S}/respond": "subpoena_respond",
    f"{S}/refer": "subpoena_refer",
    f"{S}/withdraw": "subpoena_withdraw",
}


def _body_properties(schema: dict[str, Any], op: dict[str, Any]) -> set[str]:
    content = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    refs = [content.get("$ref")] + [s.get("$ref") for s in content.get("anyOf", [])]
    names = [r.rsplit("/", 1)[1] for r in refs if r]
    return {p for n in names for p in schema["components"]["schemas"][n].get("properties", {})}


def test_the_schema_offers_recorded_from_exactly_where_the_table_has_a_counterpart(client):
    schema = client.get("/api/v1/openapi.json").json()
    rules = {r.service: r for r in all_rules()}
    for path, service in ROUTES.items():
        offered = "recorded_from" in _body_properties(schema, schema["paths"][path]["post"])
        assert offered == (rules[service].recorded_by is not None), path
