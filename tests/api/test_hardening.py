"""Every input that used to reach a 500 (or an HTML page) under /api/v1/, as a real request: each now answers
a problem (422 naming the field, or 404). Also the pages: a NUL byte answers a 400 page, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.api.factories_api import api_for, booking_payload

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["instance"]
    return body


def _fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body["errors"]}


def test_nul_byte_in_a_json_string_names_the_field(world):
    api = api_for(world.lea_org)
    body = _problem(api.post("/bookings", booking_payload(world, first_name="Ana\x00Maria")), 422)
    assert _fields(body) == {"first_name"} and "NUL" in body["detail"]
    nested = booking_payload(world, charges=[{"code": "PC\x001", "description": "", "type": ""}])
    assert _fields(_problem(api.post("/bookings", nested), 422)) == {"charges.0.code"}
    batch = [booking_payload(world), booking_payload(world, last_name="X\x00")]
    assert _fields(_problem(api.post("/bookings", batch), 422)) == {"1.last_name"}


def test_nul_byte_in_a_query_parameter_or_path_names_it(world):
    api = api_for(world.lea_org)
    assert _fields(_problem(api.get("/bookings", facility_code="TX\x00"), 422)) == {"facility_code"}
    assert _fields(_problem(api.get("/detainers", addressed_ori="\x00"), 422)) == {"addressed_ori"}
    path = f"/bookings/{world.lea.ori}/B%00X/release"
    assert _fields(_problem(api.post(path, {"at": "2026-01-01T00:00:00Z", "release_type": "BOND"}), 422)) == {"path"}
    # Anonymous gets the same 422: nothing about records is revealed by it.
    assert api.http.get("/api/v1/bookings?facility_code=%00").status_code == 422


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-27T22:41:00+16:00",  # beyond ±15:59 (PostgreSQL refuses it)
        "2026-11-27T22:41:00-23:59",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC: OverflowError
        "0001-01-01T00:00:00-01:00",
        "9999-12-31T23:59:00-01:00",  # after year 9999 in UTC
        "9999-12-31T23:59:00+01:00",
        "2200-01-01T00:00:00Z",
        "1899-12-31T23:59:59Z",
        "1700000000",  # a number is not an ISO date-time (pydantic alone reads Unix seconds)
    ],
)
def test_out_of_range_datetimes_name_the_field(world, value):
    api = api_for(world.lea_org)
    body = _problem(api.post("/bookings", booking_payload(world, booked_at=value)), 422)
    assert _fields(body) == {"booked_at"}
    assert _fields(_problem(api.get("/bookings", booked_after=value), 422)) == {"booked_after"}
    assert _fields(_problem(api.get("/detainers", prepared_before=value), 422)) == {"prepared_before"}


def test_edge_datetimes_inside_the_range_are_accepted(world):
    api = api_for(world.lea_org)
    for value in ("1900-01-01T00:00:00Z", "2199-12-31T23:59:59+15:59", "2026-01-01T00:00:00-15:59"):
        assert api.get("/bookings", booked_before=value).status_code == 200, value
    assert api.post("/bookings", booking_payload(world, booked_at="2026-11-27T22:41:00+14:00")).status_code == 201


@pytest.mark.parametrize(
    "path",
    [
        "/detainers/abc",
        "/detainers/null%2Cnull",
        "/detainers/1.5/approve",
        "/subpoenas/-1",
        "/matches/x/review",
        "/court-cases/%20",
        "/webhooks/endpoints/abc/deactivate",
        "/no-such-resource",
    ],
)
def test_non_integer_ids_and_unknown_paths_answer_a_problem_404(world, path):
    api = api_for(world.office)
    response = api.post(path) if path.endswith(("approve", "review", "deactivate")) else api.get(path)
    body = _problem(response, 404)
    assert body["type"].endswith("/not-found")


def test_unknown_integer_id_answers_a_problem_404(world):
    api = api_for(world.office)
    assert _problem(api.get("/detainers/987654321"), 404)["type"].endswith("/not-found")


def test_pages_answer_a_400_page_for_a_nul_byte(client, world):
    client.force_login(world.officer)
    response = client.get(reverse("tools:search"), {"q": "Ana\x00"})
    assert response.status_code == 400 and b"NUL" in response.content
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Security-Policy" in response
    login = client.post(reverse("login"), {"username": "x\x00", "password": "y"})
    assert login.status_code == 400 and b"username" in login.content
