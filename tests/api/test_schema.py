"""Schemathesis against the OpenAPI 3.1 document, in-process on the WSGI app, with the tokens of three
organisations (agency office, LEA, DOJ): no server errors, every response conforms to the schema and the
status codes documented for it (problem details included), and data that violates the schema is refused.

``make test`` runs a few examples per operation (``HOLDTRACK_FUZZ_EXAMPLES``, default 2); ``make fuzz`` raises
it and adds the stateful run (``tests/api/test_fuzz_stateful.py``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from holdtrack.config.wsgi import application
from tests.api.factories_api import token_for
from tests.factories import book, make_world, prepared

EXAMPLES = int(os.environ.get("HOLDTRACK_FUZZ_EXAMPLES", "2"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
]


CALLS: list[int] = []  # requests sent, reported at the end of the module (``make fuzz`` prints it)


@pytest.fixture(scope="module", autouse=True)
def report_calls() -> Iterator[None]:
    yield
    if CALLS:
        print(f"\nschemathesis: {len(CALLS)} requests, {sum(CALLS)} answered 5xx")


@pytest.fixture(autouse=True)
def keep_connection() -> Iterator[None]:
    """Calling the WSGI app directly fires request_finished, which would close the test's connection (and
    its transaction); Django's test client detaches the same handler."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Loaded at collection (the lazy ``from_fixture`` loader does not work with pytest 9). Fetching the document
# touches no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def tokens(db: Any) -> list[str]:
    """One world, the tokens of its three organisations; each generated case is sent with every one of them
    (cheaper than a world per organisation, and the same case meets three scopes)."""
    w = make_world()
    book(w)  # something to list
    prepared(w)  # a detainer the office sees
    return [token_for(org) for org in (w.office, w.lea_org, w.doj)]


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case: Any, tokens: list[str]) -> None:
    for token in tokens:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        CALLS.append(int(response.status_code >= 500))
        case.validate_response(response, checks=CHECKS)


def test_openapi_document_is_3_1_and_documents_problems(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    op = doc["paths"]["/api/v1/bookings"]["post"]
    assert "application/problem+json" in op["responses"]["422"]["content"]
    assert {"200", "201", "401", "403", "409", "422"} <= set(op["responses"])
    assert doc["components"]["securitySchemes"]
