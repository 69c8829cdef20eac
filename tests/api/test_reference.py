"""Reference data and work items: paginated, filtered, scoped."""

from __future__ import annotations

import pytest

from tests.api.factories_api import api_for
from tests.factories import expired_hold, other_aor_world

pytestmark = pytest.mark.django_db


def test_agencies_and_facilities(world):
    other_aor_world()
    api = api_for(world.lea_org)
    everything = api.get("/reference/agencies").json()
    assert everything["count"] == 2
    tx = api.get("/reference/agencies", state="TX").json()
    assert [a["ori"] for a in tx["items"]] == [world.lea.ori]
    fac = api.get("/reference/facilities", operator_ori=world.lea.ori).json()
    assert fac["count"] == 1 and fac["items"][0]["code"] == world.facility.code
    assert api.get("/reference/agencies", limit=0).status_code == 422
    assert api.get("/reference/agencies", limit=1, offset=1).json()["items"][0]["ori"] != world.lea.ori


def test_work_items_scoped(world):
    d = expired_hold(world)
    lea = api_for(world.lea_org).get("/work-items", open=True).json()
    assert lea["count"] >= 1 and lea["items"][0]["detainer_id"] == d.pk
    assert api_for(other_aor_world().lea_org).get("/work-items").json()["count"] == 0
