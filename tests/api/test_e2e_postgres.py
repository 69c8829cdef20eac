"""End to end on PostgreSQL, committed transactions: a jail system reports a booking (sent twice at once),
the screening engine proposes the registry match, an officer confirms it and prepares the detainer, and the
LEA's webhook endpoint is told when it is transmitted."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client

from holdtrack.api.models import WebhookDelivery
from holdtrack.core.timeutil import now
from holdtrack.custody.models import Booking, IdentifierType, IdentityMatch, Subject
from tests.api.factories_api import Api, api_for, booking_payload
from tests.api.test_detainers import WARRANT, session, spost
from tests.factories import make_world

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_booking_api_flow_on_postgres(settings):
    assert connection.vendor == "postgresql"
    # The endpoint below is a local port that nothing listens on: allowed only with the test settings.
    settings.HOLDTRACK_WEBHOOKS_ALLOW_HTTP = settings.HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE = True
    w = make_world()
    from holdtrack.screening.services import registry_subject_add

    known = registry_subject_add(
        actor=w.officer,
        first_name="Registry",
        last_name="Person",
        identifiers={IdentifierType.FBI_UCN: "555111AA2"},
    )
    lea = api_for(w.lea_org)
    body = booking_payload(w, "E2E-1", fbi_number="555111AA2", booked_at=(now() - timedelta(hours=3)).isoformat())

    # The same booking sent twice at the same moment: one booking, one subject.
    answers: list[int] = []

    def send() -> None:
        try:
            answers.append(Api(token=lea.token, http=Client()).post("/bookings", body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 201]
    booking = Booking.objects.get(booking_number="E2E-1")
    assert Subject.objects.count() == 2  # the registry subject and the booked person
    out = lea.post("/bookings", body).json()
    assert out["id"] == booking.pk and out["created"] is False

    # Screening proposed the biometric match; the officer reviews it through the API.
    match = IdentityMatch.objects.get(booking=booking)
    assert match.subject_id == known.pk and match.basis == "BIOMETRIC"
    officer = api_for(w.office)
    assert officer.get("/matches", status="PROPOSED").json()["count"] == 1
    assert officer.post(f"/matches/{match.pk}/review", {"confirm": True, "reason": "prints"}).status_code == 200

    endpoint = lea.post(
        "/webhooks/endpoints", {"url": "http://127.0.0.1:9/unreachable", "events": ["detainer.transmitted"]}
    )
    assert endpoint.status_code == 201
    d = officer.post("/detainers", {"identity_match_id": match.pk, "pc_bases": ["BIOMETRIC_AND_DATABASE"]}).json()
    officer.post(f"/detainers/{d['id']}/warrants", {**WARRANT, "signed_at": now().isoformat()})
    assert spost(session(w.supervisor), f"/detainers/{d['id']}/approve").status_code == 200
    assert officer.post(f"/detainers/{d['id']}/transmit").json()["state"] == "TRANSMITTED"
    delivery = WebhookDelivery.objects.get()  # recorded on commit
    assert delivery.event_type == "detainer.transmitted" and delivery.payload["detainer"]["id"] == d["id"]
    assert lea.get(f"/detainers/{d['id']}").json()["booking_number"] == "E2E-1"
