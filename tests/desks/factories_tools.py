"""Scenario helpers for the desk tools tests. Every case write goes through the services."""

from __future__ import annotations

from datetime import date, datetime

from holdtrack.custody import services as cs
from holdtrack.custody.models import Booking, IdentifierType
from tests.factories import T0, World

_seq = iter(range(1, 10_000_000))


def booking_for(w: World, *, first: str, last: str, a_number: str = "", at: datetime = T0) -> Booking:
    """A booking of a synthetic subject with a chosen name (and A-number) in ``w``'s facility."""
    subject = cs.subject_create(
        actor=w.booking_clerk,
        first_name=first,
        last_name=last,
        date_of_birth=date(1991, 5, 6),
        sex="F",
        birth_country="Guatemala",
        identifiers={IdentifierType.A_NUMBER: a_number} if a_number else None,
    )
    return cs.booking_create(
        actor=w.booking_clerk,
        subject=subject,
        facility=w.facility,
        booking_number=f"TB{next(_seq):06d}",
        booked_at=at,
    )
