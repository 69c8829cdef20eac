"""Outbound webhooks: recorded on commit, signed, retried with back-off after a failure, each attempt logged.

A real HTTP server on 127.0.0.1 (http.server in a thread) receives the deliveries: loopback and plain http are
refused to webhooks unless ``HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE`` and ``HOLDTRACK_WEBHOOKS_ALLOW_HTTP`` are on,
which the ``receiver`` fixture turns on (test_webhook_targets.py checks the refusals)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

from holdtrack.api.models import WebhookDelivery
from holdtrack.api.webhooks import backoff_seconds, deliver_webhook, webhook_attempt, webhook_retry_due
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from tests.api.factories_api import api_for
from tests.factories import T0, book, other_aor_world, prepared, subpoena_to
from tests.queue import take_queued

pytestmark = pytest.mark.django_db


class Receiver:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answers to give, in order; 200 once exhausted
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE = True
    settings.HOLDTRACK_WEBHOOKS_ALLOW_HTTP = True
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def immediate_queue() -> Iterator[None]:
    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before


def verify(secret: str, request: dict[str, Any]) -> bool:
    ts = request["headers"]["X-Holdtrack-Timestamp"]
    expected = hmac.new(secret.encode(), ts.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(request["headers"]["X-Holdtrack-Signature"], f"sha256={expected}")


def subscribe(world, receiver, events):  # type: ignore[no-untyped-def]
    api = api_for(world.lea_org)
    r = api.post("/webhooks/endpoints", {"url": receiver.url, "events": events})
    assert r.status_code == 201, r.content
    return api, r.json()


@pytest.mark.smoke
def test_transmit_is_delivered_signed_and_retried_after_500(
    world, receiver, immediate_queue, django_capture_on_commit_callbacks
):
    api, endpoint = subscribe(world, receiver, ["detainer.transmitted", "detainer.lifted"])
    d = prepared(world)
    ds.detainer_approve(actor=world.supervisor, detainer=d)
    receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        ds.detainer_transmit(actor=world.officer, detainer=d)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "detainer.transmitted"
    assert delivery.status == "RETRYING" and delivery.attempts == 1 and delivery.response_code == 500
    assert delivery.log[0]["status_code"] == 500 and delivery.log[0]["retry_in_s"] == backoff_seconds(1)
    assert len(receiver.requests) == 1
    # Not due yet: nothing is sent.
    assert webhook_attempt(delivery.pk, now=delivery.next_attempt_at - timedelta(seconds=1)) is None
    assert webhook_retry_due(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert delivery.status == "DELIVERED" and delivery.attempts == 2 and delivery.response_code == 200
    assert [e["status_code"] for e in delivery.log] == [500, 200]
    assert len(receiver.requests) == 2
    req = receiver.requests[-1]
    assert verify(endpoint["secret"], req)
    assert not verify("wrong secret", req)
    body = json.loads(req["body"])
    assert body["event"] == "detainer.transmitted" and body["detainer"]["id"] == d.pk
    assert body["delivery"] == delivery.pk and req["headers"]["X-Holdtrack-Event"] == "detainer.transmitted"
    # The log is readable through the API; a delivered one is never sent again.
    log = api.get("/webhooks/deliveries").json()
    assert log["count"] == 1 and log["items"][0]["attempts"] == 2
    assert webhook_attempt(delivery.pk, now=delivery.created_at.replace(year=2100)) is None


def test_attempts_run_out(world, receiver, immediate_queue, django_capture_on_commit_callbacks, settings):
    settings.HOLDTRACK_WEBHOOK_MAX_ATTEMPTS = 3
    subscribe(world, receiver, ["detainer.lifted"])
    d = prepared(world)
    ds.detainer_approve(actor=world.supervisor, detainer=d)
    ds.detainer_transmit(actor=world.officer, detainer=d)  # not subscribed: no delivery
    receiver.statuses = [503, 503, 503, 503]
    with django_capture_on_commit_callbacks(execute=True):
        ds.detainer_lift(actor=world.officer, detainer=d, reason="Prosecutorial Discretion")
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "detainer.lifted"
    for _ in range(2):
        delivery = webhook_attempt(delivery.pk, now=delivery.next_attempt_at)
    assert delivery.status == "FAILED" and delivery.attempts == 3 and delivery.next_attempt_at is None
    assert len(delivery.log) == 3 and len(receiver.requests) == 3
    # Back-off grows exponentially.
    assert [e.get("retry_in_s") for e in delivery.log] == [backoff_seconds(1), backoff_seconds(2), None]
    assert backoff_seconds(2) == 2 * backoff_seconds(1)


@pytest.mark.smoke
def test_only_the_addressed_lea_and_transmitted_detainers(world, receiver, django_capture_on_commit_callbacks):
    other = other_aor_world()
    subscribe(other, receiver, ["detainer.transmitted", "detainer.lifted", "subpoena.served"])
    _, mine = subscribe(world, receiver, ["detainer.lifted", "subpoena.served"])
    d = prepared(world)
    with django_capture_on_commit_callbacks(execute=True):
        ds.detainer_lift(actor=world.officer, detainer=d, reason="Prosecutorial Discretion")  # never sent to the LEA
    assert not WebhookDelivery.objects.exists()
    s = subpoena_to(world, stage="issued", subject=book(world).subject, at=T0)
    with django_capture_on_commit_callbacks(execute=True):
        ss.subpoena_serve(actor=world.officer, subpoena=s)
    delivery = WebhookDelivery.objects.get()  # the queue is not immediate here: recorded, not yet sent
    assert delivery.endpoint_id == mine["id"] and delivery.event_type == "subpoena.served"
    assert delivery.payload["subpoena"]["id"] == s.pk and delivery.status == "PENDING"
    # Queued for the worker; taken out again so that no task of this test outlives it (a Redis queue persists).
    assert take_queued(deliver_webhook, (delivery.pk,)) is not None


def test_endpoint_management_scoped(world, receiver):
    api, ep = subscribe(world, receiver, ["subpoena.served"])
    other_api = api_for(other_aor_world().lea_org)
    assert other_api.get("/webhooks/endpoints").json()["count"] == 0
    assert other_api.post(f"/webhooks/endpoints/{ep['id']}/deactivate").status_code == 404
    bad = api.post("/webhooks/endpoints", {"url": "ftp://x", "events": ["nope"]})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} >= {"url", "events.0"}
    assert api.post(f"/webhooks/endpoints/{ep['id']}/deactivate").json()["active"] is False
