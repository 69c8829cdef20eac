"""custody.areas (ADR 0044): each booking keeps its custodian's area of responsibility, set when it is recorded
(one at a time and in bulk) and moved when an agency changes jurisdiction or a jurisdiction changes area; the copy
only narrows what the access functions allow; the migration gives existing bookings theirs."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from holdtrack.custody import access
from holdtrack.custody import services as cs
from holdtrack.custody.areas import booking_areas_sync
from holdtrack.custody.models import Booking, MatchBasis
from holdtrack.intake.bookings import bookings_import
from holdtrack.jurisdictions.signals import areas_changed
from tests.custody.test_ingest import HEADER, _row, _write
from tests.factories import T0, book, make_world, other_aor_world, registry_subject

pytestmark = pytest.mark.django_db


def _seen(user, booking: Booking) -> tuple[bool, bool]:
    """Whether ``user`` sees the booking, and a match proposed on it, through the access functions."""
    return (
        access.bookings_for_user(user).filter(pk=booking.pk).exists(),
        access.matches_for_user(user).filter(booking=booking).exists(),
    )


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
    assert _seen(a.officer, booking) == (True, True) and _seen(b.officer, booking) == (False, False)

    a.lea.jurisdiction = b.lea.jurisdiction  # e.g. corrected by `holdtrack import agencies` or in the admin
    a.lea.save()

    booking.refresh_from_db()
    assert booking.area_id == b.office.aor_id
    assert _seen(b.officer, booking) == (True, True) and _seen(a.officer, booking) == (False, False)


def test_a_county_moved_to_another_area_takes_its_agencies_bookings_along():
    a, b = make_world(), other_aor_world()
    booking = book(a)
    county = a.lea.jurisdiction
    county.aor = b.office.aor
    county.save()

    booking.refresh_from_db()
    assert booking.area_id == b.office.aor_id
    assert _seen(b.officer, booking)[0] and not _seen(a.officer, booking)[0]


def test_a_stale_copy_hides_a_booking_and_never_shows_it_to_another_area():
    a, b = make_world(), other_aor_world()
    booking = book(a)
    _proposed(a, booking)
    Booking.objects.filter(pk=booking.pk).update(area=b.office.aor)  # a write that bypassed custody.areas

    assert _seen(b.officer, booking) == (False, False)  # the custodian's jurisdiction still decides
    assert _seen(a.officer, booking) == (False, False)  # the copy narrows: hidden until it is repaired

    assert booking_areas_sync() == 1
    assert _seen(a.officer, booking) == (True, True) and booking_areas_sync() == 0


def test_the_signal_of_a_set_based_reference_write_repairs_the_copies():
    a = make_world()
    booking = book(a)
    Booking.objects.filter(pk=booking.pk).update(area=None)
    areas_changed.send(sender=None, lea_ids=[a.lea.pk])
    booking.refresh_from_db()
    assert booking.area_id == a.office.aor_id


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
