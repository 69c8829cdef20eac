"""Stateful schemathesis (``make fuzz`` only): sequences of calls linked by the ids the API answers with
(links inferred from the document), with an agency office token, checked like test_schema.py. Skipped unless
``HOLDTRACK_FUZZ_STATEFUL=1``; ``HOLDTRACK_FUZZ_EXAMPLES`` sets the number of sequences."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hsettings

from tests.api.factories_api import token_for
from tests.api.test_schema import CHECKS, keep_connection, schema  # noqa: F401 - the fixture is used
from tests.factories import book, make_world, prepared

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("HOLDTRACK_FUZZ_STATEFUL") != "1", reason="make fuzz runs it"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("org", ["office", "lea", "doj"])
def test_api_stateful(org: str) -> None:
    w = make_world()
    book(w)
    prepared(w)
    token = token_for({"office": w.office, "lea": w.lea_org, "doj": w.doj}[org])

    calls: list[str] = []

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            calls.append(f"{case.method} {case.path}")
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    Workflow.run(
        settings=hsettings(
            max_examples=int(os.environ.get("HOLDTRACK_FUZZ_EXAMPLES", "30")),
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert calls
    print(f"stateful {org}: {len(calls)} calls over {len(set(calls))} operations")
