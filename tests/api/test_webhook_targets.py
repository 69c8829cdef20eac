"""Webhooks cannot be aimed inside: refused at registration and again at delivery, the vetted address is the
one connected to, no redirects, short timeouts, and the log keeps the outcome without the answer's body.

Local receivers are real HTTP servers on 127.0.0.1 (allowed only where a test turns on
``HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE``). Only the tests of a name that *changes* what it resolves to replace the
resolver (``webhook_targets._getaddrinfo``): no DNS server runs here to re-point."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from holdtrack.api import webhook_targets
from holdtrack.api.models import WebhookDelivery, WebhookEndpoint
from holdtrack.api.services import webhook_endpoint_create
from holdtrack.api.webhooks import webhook_attempt
from holdtrack.core.timeutil import now
from tests.api.factories_api import api_for
from tests.api.test_webhooks import Receiver

pytestmark = pytest.mark.django_db

EVENTS = ["detainer.transmitted"]
PUBLIC = "93.184.215.14"  # a global unicast address (never connected to: every test refuses before)


@pytest.fixture
def local() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def allow_http(settings: Any) -> None:
    settings.HOLDTRACK_WEBHOOKS_ALLOW_HTTP = True


def _resolve_to(monkeypatch: Any, address: str) -> None:
    def fake(host: str, port: int) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(webhook_targets, "_getaddrinfo", fake)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:5432/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0x7f000001/",
        "http://10.0.0.1/",
        "http://2130706433/",  # decimal 127.0.0.1
        "http://127.1/",
        "http://0177.0.0.1/",  # octal
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
        "http://[::ffff:169.254.169.254]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",  # shared address space (CGNAT)
        "http://192.168.1.10/",
        "http://[fd00:ec2::254]/",  # AWS metadata over IPv6
        "http://user:secret@example.com/",
        "http://no-such-host.invalid/",
    ],
)
def test_registration_refuses_internal_targets(world, local, allow_http, url):
    api = api_for(world.lea_org)
    r = api.post("/webhooks/endpoints", {"url": url.format(port=local.server.server_address[1]), "events": EVENTS})
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_https_only_unless_allowed(world, settings):
    settings.DEBUG = False
    settings.HOLDTRACK_WEBHOOKS_ALLOW_HTTP = False
    api = api_for(world.lea_org)
    r = api.post("/webhooks/endpoints", {"url": f"http://{PUBLIC}/hook", "events": EVENTS})
    assert r.status_code == 422 and "https" in r.json()["detail"]
    assert api.post("/webhooks/endpoints", {"url": f"https://{PUBLIC}/hook", "events": EVENTS}).status_code == 201


def test_metadata_stays_refused_when_private_targets_are_allowed(settings):
    settings.HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE = True
    settings.HOLDTRACK_WEBHOOKS_ALLOW_HTTP = True
    for url in ("http://169.254.169.254/", "http://[::ffff:169.254.169.254]/", "http://0.0.0.0/", "http://[fe80::1]/"):
        with pytest.raises(webhook_targets.TargetRefused):
            webhook_targets.vet(url)
    assert webhook_targets.vet("http://127.0.0.1:9/").address == "127.0.0.1"


_transitions = iter(range(1, 1_000_000))


def _delivery(endpoint: WebhookEndpoint) -> WebhookDelivery:
    at = now()
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="detainer.transmitted",
        transition_id=next(_transitions),
        payload={"event": "detainer.transmitted"},
        created_at=at,
        next_attempt_at=at,
    )


def test_a_name_that_now_resolves_to_loopback_is_refused_at_delivery(world, local, allow_http, monkeypatch):
    port = local.server.server_address[1]
    _resolve_to(monkeypatch, PUBLIC)  # at registration the name is public …
    ep = webhook_endpoint_create(
        actor=world.lea_counsel, organization=world.lea_org, url=f"http://hooks.lea.example:{port}/hook", events=EVENTS
    )
    _resolve_to(monkeypatch, "127.0.0.1")  # … then re-pointed at the worker's own machine
    d = webhook_attempt(_delivery(ep).pk)
    assert d is not None and d.status == "RETRYING" and d.response_code is None
    assert d.log[0]["error"].startswith("TargetRefused") and "loopback" in d.log[0]["error"]
    assert "127.0.0.1" not in json.dumps(d.log)  # the resolution is not echoed
    assert local.requests == []  # the listener there received nothing


def test_private_allowed_only_by_the_setting_and_the_vetted_address_is_used(world, local, allow_http, settings):
    settings.HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE = True
    port = local.server.server_address[1]
    ep = webhook_endpoint_create(
        actor=world.lea_counsel, organization=world.lea_org, url=f"http://localhost:{port}/hook?x=1", events=EVENTS
    )
    settings.HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE = False  # the deployment's real setting: refused at delivery
    first = webhook_attempt(_delivery(ep).pk)
    assert first is not None and "loopback" in first.log[0]["error"] and local.requests == []
    settings.HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE = True
    d = webhook_attempt(_delivery(ep).pk)
    assert d is not None and d.status == "DELIVERED" and d.response_code == 200
    # Connected to the vetted address, while the request names the host of the URL.
    assert local.requests[0]["headers"]["Host"] == f"localhost:{port}"
    assert set(d.log[0]) == {"attempt", "at", "status_code", "ms"}


def test_redirects_are_not_followed_and_bodies_not_logged(world, local, allow_http, settings):
    settings.HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE = True
    other = Receiver()
    try:
        local.statuses = [307]
        ep = webhook_endpoint_create(actor=world.lea_counsel, organization=world.lea_org, url=local.url, events=EVENTS)
        d = webhook_attempt(_delivery(ep).pk)
        assert d is not None and d.status == "RETRYING" and d.response_code == 307
        assert "not followed" in d.log[0]["error"]
        assert len(local.requests) == 1 and other.requests == []
        assert "ok" not in json.dumps(d.log).replace("not followed", "")  # the answer's body ("ok") is not kept
    finally:
        other.close()


def test_a_silent_receiver_times_out_quickly(world, allow_http, settings):
    settings.HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE = True
    settings.HOLDTRACK_WEBHOOK_TIMEOUT_SECONDS = 0.5
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the kernel accepts the connection; nobody ever answers
    try:
        ep = webhook_endpoint_create(
            actor=world.lea_counsel,
            organization=world.lea_org,
            url=f"http://127.0.0.1:{silent.getsockname()[1]}/",
            events=EVENTS,
        )
        d = webhook_attempt(_delivery(ep).pk)
        assert d is not None and d.log[0]["error"] == "Timeout" and d.log[0]["ms"] < 3000
    finally:
        silent.close()
