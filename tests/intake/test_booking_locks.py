"""The booking intake's lock (issue 12, the mixed load): sends of the same booking (agency + booking number)
wait for each other, so a re-send in flight finds the first; other bookings of the agency do not wait.

Needs PostgreSQL: SQLite serialises writers, so nothing can be in flight beside an open write transaction.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pytest
from django.db import connection, connections, transaction

from holdtrack.custody import services as custody
from holdtrack.custody.models import Booking
from holdtrack.intake.bookings import BookedPerson, BookingFacts, Intake, bookings_intake
from tests.factories import T0

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs locks across connections (PostgreSQL)"),
]


def _item(world: Any, number: str) -> tuple[BookedPerson, BookingFacts]:
    person = BookedPerson(first_name="Lock", last_name="Tester", date_of_birth=date(1990, 2, 3))
    return person, BookingFacts(facility=world.facility, booking_number=number, booked_at=T0)


def _send(world: Any, number: str, out: list[Intake]) -> threading.Thread:
    """Send one booking from another thread (its own connection)."""

    def run() -> None:
        try:
            out.extend(bookings_intake(actor=world.booking_clerk, items=[_item(world, number)], screen=False))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _someone_waits() -> bool:
    """A connection of this database waits on a lock (a row's transaction, a tuple or an advisory lock; a
    transaction-id lock names no database, so the waiting backend's does)."""
    with connection.cursor() as cur:
        # pg_stat_activity is read once per transaction and kept: without clearing that snapshot, a check made
        # inside a transaction before the other thread's connection existed would never see it.
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.datname = current_database()"
        )
        return bool(cur.fetchone()[0])


def test_another_booking_of_the_agency_does_not_wait_for_an_open_one(world):
    out: list[Intake] = []
    with transaction.atomic():  # the first booking's transaction stays open (as a slow request's would)
        bookings_intake(actor=world.booking_clerk, items=[_item(world, "LK-1")], screen=False)
        thread = _send(world, "LK-2", out)
        waited = False
        while thread.is_alive() and not waited:
            waited = _someone_waits()
            time.sleep(0.01)
    thread.join(timeout=60)
    assert not waited, "the second booking waited for the first booking's transaction"
    assert [i.created for i in out] == [True]


def test_the_same_booking_sent_twice_at_once_is_recorded_once(world):
    out: list[Intake] = []
    with transaction.atomic():
        first = bookings_intake(actor=world.booking_clerk, items=[_item(world, "LK-3")], screen=False)[0]
        thread = _send(world, "LK-3", out)
        while not _someone_waits():  # the re-send waits for the first send's commit
            assert thread.is_alive(), "the re-send did not wait for the first send"
            time.sleep(0.01)
    thread.join(timeout=60)
    assert len(out) == 1 and not out[0].created and out[0].booking.pk == first.booking.pk
    assert Booking.objects.filter(booking_number="LK-3").count() == 1


def _create(world: Any, number: str) -> Booking:
    subject = custody.subject_create(actor=world.booking_clerk, first_name="Lock", last_name="Service")
    return custody.booking_create(
        actor=world.booking_clerk, subject=subject, facility=world.facility, booking_number=number, booked_at=T0
    )


def test_booking_create_takes_the_number_s_lock_itself(world):
    """The service does not rely on the intake's lock: called twice at once for one number (without the intake),
    the second call waits and returns the first's booking, where an insert would have hit the unique key."""
    out: list[Booking] = []

    def run() -> None:
        try:
            out.append(_create(world, "LK-4"))
        finally:
            connections.close_all()

    with transaction.atomic():
        first = _create(world, "LK-4")
        thread = threading.Thread(target=run)
        thread.start()
        while not _someone_waits():
            assert thread.is_alive(), "the second call did not wait for the first"
            time.sleep(0.01)
    thread.join(timeout=60)
    assert [b.pk for b in out] == [first.pk]
    assert Booking.objects.filter(booking_number="LK-4").count() == 1
