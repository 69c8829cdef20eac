"""Every operation of the OpenAPI document: 401 without a valid token, 403 for a token without the scope
(before the body is even read), both as problem details."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from holdtrack.api.urls import api
from tests.api.factories_api import Api, token_for
from tests.api.test_bookings import problem

pytestmark = pytest.mark.django_db

OPERATIONS = sorted(
    (method.upper(), path)
    for path, ops in api.get_openapi_schema(path_prefix="/api/v1/")["paths"].items()
    for method in ops
)
VALUES = {"agency": "TX0010000", "booking_number": "B1"}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: VALUES.get(m.group(1), "1"), path)


def call(client: Api, method: str, path: str) -> Any:
    path = concrete(path).removeprefix("/api/v1")
    return client.get(path) if method == "GET" else client.post(path, {})


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_unauthenticated_is_401(method: str, path: str) -> None:
    body = problem(call(Api(token="", http=Client()), method, path), 401)
    assert body["type"].endswith("unauthenticated")


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_missing_scope_is_403(world, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    for org in (world.lea_org, world.office, world.doj):
        client = Api(token=token_for(org, scopes=[]), http=Client())
        assert "lacks the scope" in problem(call(client, method, path), 403)["detail"]


def test_every_operation_is_listed() -> None:
    assert len(OPERATIONS) >= 50
    assert ("POST", "/api/v1/bookings") in OPERATIONS


def test_revoked_token_is_401(world) -> None:  # type: ignore[no-untyped-def]
    from holdtrack.api.models import ApiClient
    from holdtrack.api.services import api_client_deactivate

    token = token_for(world.lea_org)
    client = Api(token=token, http=Client())
    assert client.get("/bookings").status_code == 200
    api_client_deactivate(actor=None, client=ApiClient.objects.get())
    problem(client.get("/bookings"), 401)


def test_scopes_limited_by_organization_kind(world) -> None:  # type: ignore[no-untyped-def]
    from holdtrack.api.models import ApiClient
    from holdtrack.api.services import api_client_create
    from holdtrack.core.errors import NotPermitted, ValidationFailed

    with pytest.raises(NotPermitted):
        api_client_create(actor=None, organization=world.lea_org, name="x", scopes=["matches:write"])
    with pytest.raises(ValidationFailed):
        api_client_create(actor=None, organization=world.lea_org, name="x", scopes=["nope:read"])
    with pytest.raises(ValidationFailed):
        api_client_create(actor=None, organization=world.lea_org, name="x", scopes=[], role="AGENCY_SUPERVISOR")
    created = api_client_create(actor=None, organization=world.lea_org, name="jail", scopes=["bookings:write"])
    c = ApiClient.objects.get()
    assert c.token_sha256 != created.token and created.token not in str(c.__dict__)
    assert c.user.role == "LEA_BOOKING" and c.user.organization == world.lea_org
