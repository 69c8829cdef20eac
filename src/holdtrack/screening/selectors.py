"""Reads of screening results, built on the custody access functions (custody/access.py)."""

from __future__ import annotations

from django.db.models import QuerySet

from holdtrack.accounts.scope import AnyUser
from holdtrack.custody.access import matches_for_user
from holdtrack.custody.models import IdentityMatch, MatchStatus


def review_queue(user: AnyUser) -> QuerySet[IdentityMatch]:
    """PROPOSED matches on bookings in the user's office's area of responsibility, highest score first.
    Other roles (LEA, DOJ, analysts, the system) see none: a match is the agency's to review."""
    return (
        matches_for_user(user)
        .filter(status=MatchStatus.PROPOSED)
        .select_related("booking", "subject", "booking__custodian")
        .order_by("-score", "id")
    )
