"""custody.areas (ADR 0044): each booking keeps its custodian's area of responsibility, set when it is recorded
(one at a time and in bulk) and moved when an agency changes jurisdiction or a jurisdiction changes area; lists
page by the copy and read their rows through the access rule, so a stale copy can hide a booking from a page but
never show it; the migration gives existing bookings theirs."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from holdtrack.custody import access
from holdtrack.custody import services as cs
from holdtrack.custody.areas import area_of, booking_areas_sync
from holdtrack.custody.models import Booking, MatchBasis
from holdtrack.intake.bookings import bookings_import
from holdtrack.jurisdictions.models import LawEnforcementAgency
from holdtrack.jurisdictions.signals import areas_changed
from tests.api.factories_api import api_for
from tests.custody.test_ingest import HEADER, _row, _write
from tests.factories import T0, book, make_world, other_aor_world, registry_subject

pytestmark = pytest.mark.django_db


def _listed(w, booking: Booking, *, count: bool = False) -> bool:
    """Whether the API's list of bookings shows ``booking`` to ``w``'s field office (and counts it)."""
    body = api_for(w.office, ["bookings:read"]).get("/bookings", limit=500, count=count).json()
    shown = booking.booking_number in {b["booking_number"] for b in body["items"]}
    assert not count or body["count"] == len(body["items"])
    return shown


def _seen(w, booking: Booking) -> tuple[bool, bool]:
    """Whether ``w``'s officer sees the booking in the API's list, and a match proposed on it."""
    return _listed(w, booking), access.matches_for_user(w.officer).filter(booking=booking).exists()


def _proposed(w, booking: Booking) -> None:
    cs.identity_match_propose(
        actor=w.officer, booking=booking, subject=registry_subject(w), basis=MatchBasis.BIOGRAPHIC, score=0.9, at=T0
    )


def test_a_booking_recorded_alone_or_in_bulk_keeps_its_custodians_area(tmp_path):
    w = make_world()
    alone = book(w)
    bookings_import(path=_write(tmp_path, "feed.csv", [HEADER, _row(w, "BULK1")]), chunk_size=10)
    in_bulk = Booking.objects.get(booking_number="BULK1")
    assert alone.area_id == in_bulk.area_id == w.office.aor_id is not None


def test_an_agency_moved_to_another_area_takes_its_bookings_along():
    a, b = make_world(), other_aor_world()
    booking = book(a)
    _proposed(a, booking)
    assert _seen(a, booking) == (True, True) and _seen(b, booking) == (False, False)

    a.lea.jurisdiction = b.lea.jurisdiction  # e.g. corrected by `holdtrack import agencies` or in the admin
    a.lea.save()

    booking.refresh_from_db()
    assert booking.area_id == b.office.aor_id
    assert _seen(b, booking) == (True, True) and _seen(a, booking) == (False, False)


def test_a_county_moved_to_another_area_takes_its_agencies_bookings_along():
    a, b = make_world(), other_aor_world()
    booking = book(a)
    county = a.lea.jurisdiction
    county.aor = b.office.aor
    county.save()

    booking.refresh_from_db()
    assert booking.area_id == b.office.aor_id
    assert _seen(b, booking)[0] and not _seen(a, booking)[0]


def test_a_stale_copy_hides_a_booking_from_a_page_and_never_shows_it_to_another_area():
    a, b = make_world(), other_aor_world()
    booking = book(a)
    Booking.objects.filter(pk=booking.pk).update(area=b.office.aor)  # a write that bypassed custody.areas

    assert access.booking_keys_for_user(b.officer).filter(pk=booking.pk).exists()  # B's pages reach its key …
    assert not _listed(b, booking, count=True)  # … but the rule keeps its row from B's page and count
    assert not _listed(a, booking)  # hidden from its own area's pages until it is repaired
    assert access.bookings_for_user(a.officer).filter(pk=booking.pk).exists()  # the rule itself is unchanged

    assert booking_areas_sync() == 1
    assert _listed(a, booking) and booking_areas_sync() == 0


def test_the_signal_of_a_set_based_reference_write_repairs_the_copies():
    a = make_world()
    booking = book(a)
    Booking.objects.filter(pk=booking.pk).update(area=None)
    areas_changed.send(sender=None, lea_ids=[a.lea.pk])
    booking.refresh_from_db()
    assert booking.area_id == a.office.aor_id


def test_the_sweep_gives_a_booking_recorded_without_its_area_its_copy():
    from holdtrack.cases.services.sweep import sweep

    a = make_world()
    booking = book(a)
    Booking.objects.filter(pk=booking.pk).update(area=None)  # as the previous release records during an upgrade
    assert not _listed(a, booking)
    assert sweep().booking_areas_repaired == 1
    assert _listed(a, booking) and sweep().booking_areas_repaired == 0


def test_the_migration_gives_existing_bookings_their_area():
    a, b = make_world(), other_aor_world()
    first, second = book(a), book(b)
    Booking.objects.update(area=None)
    migration = importlib.import_module("holdtrack.custody.migrations.0008_booking_area")
    migration.copy_areas(apps, None)
    assert {x.pk: x.area_id for x in Booking.objects.all()} == {
        first.pk: a.office.aor_id,
        second.pk: b.office.aor_id,
    }


def test_the_sweep_leaves_alone_a_booking_whose_agency_has_no_area():
    from holdtrack.cases.services.sweep import sweep

    a = make_world()
    booking = book(a)
    county = a.lea.jurisdiction
    county.aor = None  # a jurisdiction outside every area: its bookings rightly keep no copy
    county.save()
    assert Booking.objects.get(pk=booking.pk).area_id is None
    with CaptureQueriesContext(connection) as seen:
        assert sweep().booking_areas_repaired == 0
    assert not any("UPDATE" in q["sql"] and "custody_booking" in q["sql"] for q in seen.captured_queries)


def test_an_agency_s_area_is_read_from_its_jurisdiction_when_loaded_else_looked_up(world):
    lea = world.facility.operator
    aor = LawEnforcementAgency.objects.get(pk=lea.pk).jurisdiction.aor_id
    loaded = LawEnforcementAgency.objects.select_related("jurisdiction").get(pk=lea.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert area_of(loaded) == aor
    assert not ctx.captured_queries  # the loaded jurisdiction answers
    bare = LawEnforcementAgency.objects.get(pk=lea.pk)
    assert area_of(bare) == area_of(lea.pk) == aor
    assert area_of(-1) is None  # no such agency
