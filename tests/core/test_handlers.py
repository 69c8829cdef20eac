"""The two handlers of the WSGI application (ADR 0047): a token call without a cookie takes the short middleware
list, and answers exactly as the full list answers the same call; everything else takes the full list."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from holdtrack.audit.models import AuditEvent
from holdtrack.core.handlers import Application, is_token_call
from tests.api.factories_api import booking_payload, token_for
from tests.factories import book, prepared

pytestmark = pytest.mark.django_db

APP = Application()


@pytest.fixture(autouse=True)
def keep_connection() -> Iterator[None]:
    """A handler called directly fires request_finished, which would close the test's connection (and its
    transaction); Django's test client detaches the same receiver."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def environ(method: str, path: str, body: Any = None, **headers: str) -> dict[str, Any]:
    """A fresh WSGI environ (its body can be read once)."""
    rf = RequestFactory()
    data = json.dumps(body) if body is not None else ""
    if method == "GET":
        return rf.get(path, **headers).environ
    return rf.generic(method, path, data, content_type="application/json", **headers).environ


def call(handler: Callable[..., Any], env: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    started: list[Any] = []
    body = b"".join(handler(env, lambda status, headers, *exc: started.append((status, headers))))
    status, headers = started[0]
    out = dict(headers)
    if "Content-Security-Policy" in out:  # django-csp writes the directives in no fixed order
        out["Content-Security-Policy"] = "; ".join(sorted(out["Content-Security-Policy"].split("; ")))
    return status, out, body


def both(method: str, path: str, body: Any = None, **headers: str) -> tuple[str, dict[str, str], bytes]:
    """The same call through both handlers; they must give the same status, headers and body."""
    assert is_token_call(environ(method, path, body, **headers))
    full = call(APP.full, environ(method, path, body, **headers))
    short = call(APP.token_call, environ(method, path, body, **headers))
    assert short[0] == full[0] and short[2] == full[2]
    # The same headers, but for two differences. The full list adds ``Vary: Cookie`` once a middleware has
    # looked for a session; a call without a cookie gets no answer that varies with one. On an answer that
    # InputSanityMiddleware replaced (Django's 404 as a problem), the short list keeps the two headers the full
    # list set inside it, on the answer it replaced.
    full_headers = {k: v for k, v in full[1].items() if k != "Vary"}
    assert full_headers.items() <= short[1].items()
    assert set(short[1]) - set(full_headers) <= {"X-Frame-Options", "Content-Length"}
    return short


def test_a_token_call_answers_as_through_the_full_list(world):
    officer = {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.office)}"}
    lea = {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.lea_org)}"}
    d = prepared(world, booking=book(world))

    status, headers, body = both("GET", f"/api/v1/detainers/{d.pk}", **officer)
    assert status == "200 OK" and json.loads(body)["id"] == d.pk
    # The security headers of every response are there, and Content-Length as CommonMiddleware sets it.
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert headers[name], name
    assert headers["Content-Length"] == str(len(body))
    # Each of the two reads was an access event, as on every read of personal data.
    assert AuditEvent.objects.filter(action="detainer.view", entity_id=str(d.pk)).count() == 2

    assert both("GET", "/api/v1/detainers?limit=5", **officer)[0] == "200 OK"
    assert both("GET", "/api/v1/detainers/999999999", **officer)[0].startswith("404")
    assert both("GET", "/api/v1/no-such-thing", **officer)[0].startswith("404")  # Django's 404, as a problem
    assert both("GET", "/api/v1/detainers/1", HTTP_AUTHORIZATION="Bearer not-a-token")[0].startswith("401")
    assert both("GET", "/api/v1/detainers/1", **lea)[0].startswith("404")  # not transmitted: not in its scope
    no_scope = {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.office, scopes=['bookings:read'])}"}
    assert both("GET", f"/api/v1/detainers/{d.pk}", **no_scope)[0].startswith("403")
    # Bad input is refused the same way, and nothing is saved by either.
    status, _, body = both("POST", "/api/v1/bookings", {**booking_payload(world), "sex": "Q"}, **lea)
    assert status.startswith("422") and b"sex" in body
    status, _, body = both("POST", "/api/v1/bookings", {**booking_payload(world), "first_name": "A\x00"}, **lea)
    assert status.startswith("422") and b"first_name" in body


def test_a_write_through_the_short_list_is_the_service_s_write(world):
    lea = {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.lea_org)}"}
    payload = booking_payload(world, "SHORT-1")
    status, _, body = call(APP, environ("POST", "/api/v1/bookings", payload, **lea))
    assert status == "201 Created", body
    again = call(APP, environ("POST", "/api/v1/bookings", payload, **lea))
    assert again[0] == "200 OK" and json.loads(again[2])["id"] == json.loads(body)["id"]  # a re-send: no duplicate


@pytest.mark.parametrize(
    ("path", "headers", "short"),
    [
        ("/api/v1/detainers", {"HTTP_AUTHORIZATION": "Bearer x"}, True),
        ("/api/v1/detainers", {"HTTP_AUTHORIZATION": "bearer x"}, True),
        # A cookie may carry a session: the full list (session, CSRF and second factor) decides.
        ("/api/v1/detainers", {"HTTP_AUTHORIZATION": "Bearer x", "HTTP_COOKIE": "sessionid=abc"}, False),
        ("/api/v1/detainers", {}, False),  # a browser's session call
        ("/api/v1/detainers", {"HTTP_AUTHORIZATION": "Basic eDp5"}, False),
        ("/api/v1/docs", {"HTTP_AUTHORIZATION": "Bearer x"}, False),  # a page, with the CSP nonce
        ("/desks/", {"HTTP_AUTHORIZATION": "Bearer x"}, False),
        ("/healthz", {"HTTP_AUTHORIZATION": "Bearer x"}, False),
    ],
)
def test_which_calls_take_the_short_list(path, headers, short):
    assert is_token_call(environ("GET", path, **headers)) is short


def test_a_signed_in_browser_still_reaches_the_api_through_the_full_list(world, client):
    client.force_login(world.officer)
    session = client.cookies["sessionid"].value
    env = environ("GET", "/api/v1/detainers", HTTP_COOKIE=f"sessionid={session}")
    assert not is_token_call(env)
    assert call(APP, env)[0] == "200 OK"  # the session was read: the full list
    # The short list reads no session: the same call would be anonymous there.
    assert call(APP.token_call, environ("GET", "/api/v1/detainers", HTTP_COOKIE=f"sessionid={session}"))[0].startswith(
        "401"
    )
