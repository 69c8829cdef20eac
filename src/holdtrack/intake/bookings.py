"""Booking intake: the one way a booking enters holdtrack, whoever sends it (API client, bulk feed, simulator).

Identity is decided in one place. Custody records the booked person and the booking (its services own the
checks, locks and audit events and never import screening); then screening compares the booked record with
the registry and proposes matches for an officer to review:

- a single booking or an API batch: recorded in one transaction, screened after it commits, so no request
  holds its booking transaction open through screening. A booking whose screening fails stays recorded,
  answers ``pending`` and is picked up by ``holdtrack screening rescreen``;
- a bulk feed: screened per chunk inside the chunk's transaction (``custody.ingest.bulk``), so a killed
  import never leaves a stored but unscreened chunk behind.

This package sits above custody and screening (ADR 0014); nothing below it imports it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction

from holdtrack.accounts.models import User
from holdtrack.audit.models import Channel
from holdtrack.custody import services as custody
from holdtrack.custody.ingest import run as ingest
from holdtrack.custody.models import Booking, ChargeLevel, IdentityMatch, MatchStatus
from holdtrack.jurisdictions.models import Facility
from holdtrack.kernel.parties import authorize
from holdtrack.screening.prefetch import ChunkPrefetch
from holdtrack.screening.services import screen_bookings, subject_keys
from holdtrack.screening.stages import Booked, Decision

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BookedPerson:
    """The person as the jail describes them (the booked record)."""

    first_name: str
    last_name: str
    middle_name: str = ""
    second_last_name: str = ""
    date_of_birth: date | None = None
    sex: str = "U"
    birth_country: str = ""
    citizenship_country: str = ""
    preferred_language: str = "en"
    identifiers: dict[str, str] | None = None


@dataclass(frozen=True)
class BookingFacts:
    facility: Facility
    booking_number: str
    booked_at: datetime
    charge_level: str = ChargeLevel.MISDEMEANOR
    charges: list[dict[str, Any]] = field(default_factory=list)
    serious_conviction: bool = False
    projected_release_at: datetime | None = None
    stated_birth_country: str = ""
    us_passport_on_file: bool = False
    citizenship_asserted: bool = False
    fbi_number: str = ""
    a_number: str = ""  # 9 digits (core.text.a_number)


@dataclass(frozen=True)
class Screening:
    status: str  # "screened", or "pending" when screening failed after the booking was recorded
    proposed_matches: int = 0
    model_version: str = ""


@dataclass(frozen=True)
class Intake:
    booking: Booking
    created: bool  # False: the agency had sent this booking number before (idempotent)
    screening: Screening | None  # None for a booking that already existed, or when not screened


def bookings_intake(
    *,
    actor: User,
    items: Sequence[tuple[BookedPerson, BookingFacts]],
    channel: str = Channel.PORTAL,
    screen: bool = True,
) -> list[Intake]:
    """Record the bookings (all or none, one transaction), then screen the new ones."""
    authorize(actor, "bookings_intake")
    with transaction.atomic():
        # Every booking number's lock first, in one order: two batches sharing numbers cannot deadlock.
        for lea_pk, number in sorted({(f.facility.operator_id, f.booking_number) for _, f in items}):
            custody.booking_number_lock(lea_pk, number)
        recorded = [_record(actor, person, facts, channel) for person, facts in items]
    new = [b for b, created in recorded if created]
    screened = _screen_after_commit(actor, new) if screen else {}
    return [Intake(b, created, screened.get(b.pk)) for b, created in recorded]


def booking_intake(
    *,
    actor: User,
    person: BookedPerson,
    facts: BookingFacts,
    channel: str = Channel.PORTAL,
    screen: bool = True,
) -> Intake:
    authorize(actor, "booking_intake")
    return bookings_intake(actor=actor, items=[(person, facts)], channel=channel, screen=screen)[0]


def screen_chunk(
    actor: User, bookings: list[Booking], decided: Sequence[Decision | None] | None = None
) -> dict[str, int]:
    """The bulk feed's screening step, run inside each chunk's transaction."""
    found = screen_bookings(actor=actor, bookings=bookings, decided=decided)
    return {
        "screened": found.screened,
        "candidates": found.candidates,
        "proposed": found.proposed,
        "biometric": found.biometric,
        "wide": found.wide,
        "deep": found.deep,
        "spelled": found.spelled,
    }


class _FeedScreener:
    """``screen_chunk`` for a feed, told each next chunk before the current one is written (``prepare``): where
    ``ChunkPrefetch`` may run, the next chunk's records are screened in a worker process meanwhile, and the
    chunk's transaction stores those decisions (screening/prefetch.py)."""

    def __init__(self) -> None:
        self.prefetch = ChunkPrefetch() if ChunkPrefetch.usable() else None
        self.prepared = 0

    def prepare(self, items: Sequence[ingest.Item]) -> None:
        self.prepared += 1
        # The first chunk is screened here while the worker starts on the second: waiting for the worker to decide
        # the first cost more than deciding it here (ADR 0041).
        if self.prefetch is None or self.prepared == 1:
            return
        # The booked record the chunk will store (custody.ingest.bulk writes these fields as they are).
        booked = [Booked(subject_keys(r), r.fbi_number.strip(), r.a_number) for r, _, _ in items]
        self.prefetch.submit([(lea.pk, r.booking_number) for r, lea, _ in items], booked)

    def __call__(self, actor: User, bookings: list[Booking]) -> dict[str, int]:
        first = bookings[0]
        if self.prefetch is None:
            return screen_chunk(actor, bookings)
        ready = self.prefetch.take((first.custodian_id, first.booking_number))
        return screen_chunk(actor, bookings, [ready.get((b.custodian_id, b.booking_number)) for b in bookings])

    def close(self) -> None:
        if self.prefetch is not None:
            self.prefetch.close()


def bookings_import(**options: Any) -> ingest.BookingImportResult:
    """A booking-feed file through the intake: ``custody.ingest.run.bookings_import`` with screening per chunk
    (``screen=False`` records only, for benchmarks)."""
    if not options.pop("screen", True):
        return ingest.bookings_import(**options, screen=None)
    screener = _FeedScreener()
    try:
        return ingest.bookings_import(**options, screen=screener)
    finally:
        screener.close()


def _record(actor: User, person: BookedPerson, facts: BookingFacts, channel: str) -> tuple[Booking, bool]:
    existing = custody.booking_by_number(facts.facility.operator_id, facts.booking_number)
    if existing is not None:
        return existing, False
    subject = custody.subject_create(
        actor=actor,
        first_name=person.first_name,
        middle_name=person.middle_name,
        last_name=person.last_name,
        second_last_name=person.second_last_name,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        birth_country=person.birth_country,
        citizenship_country=person.citizenship_country,
        preferred_language=person.preferred_language,
        identifiers=person.identifiers,
    )
    booking = custody.booking_create(
        actor=actor,
        subject=subject,
        facility=facts.facility,
        booking_number=facts.booking_number,
        booked_at=facts.booked_at,
        charge_level=facts.charge_level,
        charges=facts.charges,
        serious_conviction=facts.serious_conviction,
        projected_release_at=facts.projected_release_at,
        stated_birth_country=facts.stated_birth_country,
        us_passport_on_file=facts.us_passport_on_file,
        citizenship_asserted=facts.citizenship_asserted,
        fbi_number=facts.fbi_number,
        a_number=facts.a_number,
        channel=channel,
    )
    return booking, True


def _screen_after_commit(actor: User, bookings: list[Booking]) -> dict[int, Screening]:
    if not bookings:
        return {}
    try:
        with transaction.atomic():
            result = screen_bookings(actor=actor, bookings=bookings)
    except Exception:
        # The bookings are recorded and stand; screening them again is `holdtrack screening rescreen`.
        log.exception("screening failed after %d bookings were recorded; they wait for a rescreen", len(bookings))
        return {b.pk: Screening(status="pending") for b in bookings}
    version = str(getattr(result, "model_version", "") or "")
    counts: dict[int, int] = {b.pk: 0 for b in bookings}
    proposed = IdentityMatch.objects.filter(booking__in=bookings, status=MatchStatus.PROPOSED)
    for booking_id in proposed.values_list("booking_id", flat=True):
        counts[booking_id] += 1
    return {pk: Screening(status="screened", proposed_matches=n, model_version=version) for pk, n in counts.items()}


__all__ = [
    "BookedPerson",
    "BookingFacts",
    "Intake",
    "Screening",
    "booking_intake",
    "bookings_import",
    "bookings_intake",
    "screen_chunk",
]
