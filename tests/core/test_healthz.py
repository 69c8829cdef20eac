"""GET /healthz: database and task-queue status as JSON, no login."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_healthz_reports_database_and_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["queue"]["ok"] is True
    assert body["ok"] is True
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
