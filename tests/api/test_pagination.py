"""Issue 12 item 3: one serialization per list response. ``page`` builds the endpoint's declared ``Page[Item]``
without validating again, and django-ninja dumps a result that is an instance of the declared response type as it
is. If an endpoint passed another item type than it declares, ninja would silently validate every item again:
each list endpoint's ``page(…, Item, …)`` must name the ``Page[Item]`` of its ``response``. The two busiest lists
(``page_of_rows``) write plain values themselves (ADR 0048): their items must carry their schema's fields, in order,
and validate against it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import holdtrack.api.routers as routers
from holdtrack.api.pagination import Page, PageParams, Rows, page, page_of_rows
from holdtrack.jurisdictions.models import Facility


def _declared_and_built() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(Path(routers.__file__).parent.glob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, ast.FunctionDef):
                continue
            declared = [
                node.slice.id
                for dec in fn.decorator_list
                for node in ast.walk(dec)
                if isinstance(node, ast.Subscript)
                and getattr(node.value, "id", "") == "Page"
                and isinstance(node.slice, ast.Name)
            ]
            built = [
                call.args[2].id
                for call in ast.walk(fn)
                if isinstance(call, ast.Call)
                and getattr(call.func, "id", "") == "page"
                and isinstance(call.args[2], ast.Name)
            ]
            if declared or built:
                found.append((f"{path.name}:{fn.name}", declared[0] if declared else "", built[0] if built else ""))
    return found


def test_every_list_builds_the_page_type_it_declares() -> None:
    found = _declared_and_built()
    assert len(found) == 12, found  # the twelve list endpoints
    assert [f for f in found if f[1] != f[2]] == [
        ("bookings.py:bookings_list", "BookingOut", ""),  # page_of_rows: the test below
        ("detainers.py:detainers_list", "DetainerOut", ""),
    ]


def test_page_is_an_instance_of_the_declared_type_with_has_more(db) -> None:  # type: ignore[no-untyped-def]
    from holdtrack.api.routers.reference import FacilityOut

    qs = Facility.objects.none()
    built = page(qs, PageParams(limit=5), FacilityOut, lambda f: FacilityOut.model_validate(f))
    assert isinstance(built, Page[FacilityOut])
    assert (built.count, built.has_more, built.items) == (0, False, [])


def test_a_page_of_rows_keeps_the_querys_order_and_reads_only_its_rows(db) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from holdtrack.custody.models import Booking
    from tests.factories import T0, book, make_world

    w = make_world()
    made = [book(w, at=T0 + timedelta(hours=h)) for h in (3, 1, 4, 2)]
    qs = Booking.objects.filter(pk__in=[b.pk for b in made]).order_by("-booked_at", "pk")
    newest_first = [b.pk for b in sorted(made, key=lambda b: b.booked_at, reverse=True)]
    every = Rows(("test.bookings",), Booking.objects.all)
    with CaptureQueriesContext(connection) as ctx:
        first = json.loads(
            page_of_rows(qs, PageParams(limit=3), ["booking_number", "facility__code"], dict, every).content
        )
    assert [r["pk"] for r in first["items"]] == newest_first[:3] and first["has_more"] and first["count"] is None
    assert first["items"][0]["facility__code"] == w.facility.code
    # the rows' columns are read for the page's keys only, not for every row of the scope
    assert len(ctx.captured_queries) == 2 and "LIMIT 4" in ctx.captured_queries[0]["sql"]
    last = json.loads(page_of_rows(qs, PageParams(limit=3, offset=3), ["booking_number"], dict, every).content)
    assert [r["pk"] for r in last["items"]] == newest_first[3:] and not last["has_more"] and last["count"] == 4


def test_the_pages_of_rows_carry_their_schemas_fields_in_order(world) -> None:  # type: ignore[no-untyped-def]
    from holdtrack.api.routers.bookings import BookingOut
    from holdtrack.api.routers.detainers import DetainerOut
    from tests.api.factories_api import api_for
    from tests.factories import book, prepared

    prepared(world, booking=book(world))
    for org, path, schema in ((world.office, "/detainers", DetainerOut), (world.lea_org, "/bookings", BookingOut)):
        r = api_for(org).get(path)
        assert r.status_code == 200 and r["Content-Type"] == "application/json; charset=utf-8"
        items = r.json()["items"]
        assert items, path
        for item in items:
            assert list(item) == list(schema.model_fields), path
            schema.model_validate(item)  # every value of the declared type


def test_two_agencies_pages_of_bookings_keep_to_their_own(world) -> None:  # type: ignore[no-untyped-def]
    """The rows' statement is compiled once per rule: the scope's id is a value, so one LEA's page never shows
    another's bookings, however the pages alternate and whatever their length."""
    from tests.api.factories_api import api_for
    from tests.factories import book, other_aor_world

    other = other_aor_world()
    ours = {book(world).booking_number for _ in range(3)}
    theirs = {book(other).booking_number for _ in range(2)}
    us, them = api_for(world.lea_org), api_for(other.lea_org)
    for _ in range(2):
        for limit in (1, 2, 3, 50):
            assert {b["booking_number"] for b in us.get("/bookings", limit=limit).json()["items"]} <= ours
            assert {b["booking_number"] for b in them.get("/bookings", limit=limit).json()["items"]} <= theirs
        assert {b["booking_number"] for b in us.get("/bookings").json()["items"]} == ours
        assert {b["booking_number"] for b in them.get("/bookings").json()["items"]} == theirs
        # The keys' statement too is compiled once per shape: the filters' values are values of it.
        assert {
            b["booking_number"] for b in us.get("/bookings", facility_code=world.facility.code).json()["items"]
        } == ours
        assert them.get("/bookings", facility_code=world.facility.code).json()["items"] == []
        assert {b["booking_number"] for b in us.get("/bookings", in_custody="true").json()["items"]} == ours
        assert us.get("/bookings", in_custody="false").json()["items"] == []
        assert {b["booking_number"] for b in them.get("/bookings", offset=1).json()["items"]} < theirs


def test_two_offices_pages_of_detainers_keep_to_their_own(world) -> None:  # type: ignore[no-untyped-def]
    from tests.api.factories_api import api_for
    from tests.factories import book, other_aor_world, prepared

    other = other_aor_world()
    ours = {prepared(world, booking=book(world)).pk for _ in range(2)}
    theirs = {prepared(other, booking=book(other)).pk}
    us, them = api_for(world.office), api_for(other.office)
    for _ in range(2):
        for params in ({}, {"state": "PREPARED"}, {"limit": 1}, {"addressed_ori": world.lea.ori}):
            assert {d["id"] for d in us.get("/detainers", **params).json()["items"]} <= ours
            assert {d["id"] for d in them.get("/detainers", **params).json()["items"]} <= theirs
        assert {d["id"] for d in us.get("/detainers", state="PREPARED").json()["items"]} == ours
        assert {d["id"] for d in them.get("/detainers", state="PREPARED").json()["items"]} == theirs
        assert us.get("/detainers", state="APPROVED").json()["items"] == []
        assert them.get("/detainers", addressed_ori=world.lea.ori).json()["items"] == []
        assert us.get("/detainers", count="true", limit=1).json()["count"] == 2
