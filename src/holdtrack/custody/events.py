"""What custody announces (``kernel.dispatch.announce``) for the apps above it to react to, in the same transaction.

Custody records the facts of a booking, a match and a claim; what they do to a detainer is the cases app's
business, which registers its handlers for these facts (``cases.services.detainers.custody_events``). Custody
never imports cases: it says what happened, at the point where it used to call cases, with what it knows there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from holdtrack.accounts.models import User
from holdtrack.custody.models import Booking
from holdtrack.kernel.parties import Authorization


@dataclass(frozen=True)
class BookingReleasing:
    """A release is about to be recorded at ``at``, before its transaction: a hold whose ceiling passed before
    it ends at its ceiling first (in its own transaction, as any act at or after the ceiling applies it)."""

    booking: Booking
    at: datetime


@dataclass(frozen=True)
class ReleaseEligibilityRecorded:
    """The booking's release eligibility was recorded (the booking row locked, its fields set)."""

    booking: Booking
    at: datetime


@dataclass(frozen=True)
class BookingReleased:
    """The booking's release was recorded (the booking row locked, its fields set)."""

    booking: Booking
    at: datetime
    release_type: str


@dataclass(frozen=True)
class CitizenshipClaimOpened:
    """A claim was opened on the subject's person (the person locked)."""

    subject_id: int
    at: datetime
    claim_id: int


@dataclass(frozen=True)
class CitizenshipClaimResolved:
    """A claim was resolved (the person locked); ``grant`` is the resolver's authorization."""

    subject_id: int
    at: datetime
    actor: User
    verified_citizen: bool
    claim_id: int
    grant: Authorization | None


@dataclass(frozen=True)
class IdentityLinked:
    """A confirmed match joined the booked record and the registry record into one person."""

    subject_id: int
    at: datetime
    link_id: int


@dataclass(frozen=True)
class IdentityUnlinked:
    """A confirmed match was revoked: ``sides`` are the two records' subject ids, each its own person again."""

    match_id: int
    sides: list[int]
    at: datetime
    actor: User
    grant: Authorization | None


__all__ = [
    "BookingReleased",
    "BookingReleasing",
    "CitizenshipClaimOpened",
    "CitizenshipClaimResolved",
    "IdentityLinked",
    "IdentityUnlinked",
    "ReleaseEligibilityRecorded",
]
