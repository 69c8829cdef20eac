"""Reads of screening results, built on the custody access functions (custody/access.py)."""

from __future__ import annotations

from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from holdtrack.accounts.scope import AnyUser
from holdtrack.custody.access import matches_for_user
from holdtrack.custody.models import IdentityMatch, MatchStatus

# The status written into the statement, not passed as a parameter: the dashboard runs this queue on every view,
# and PostgreSQL plans a prepared statement once (a generic plan) only when that plan is as good as one planned
# for the values. With the status a parameter, the generic plan could not use the index of proposed matches
# (``match_proposed``) and ran 2.5 ms against 0.3, so the queue was planned afresh on every view (1–2 ms); with
# it written in, the generic plan reads that index (ADR 0046; docs/benchmarks.md, "The signed-in reads").
_PROPOSED = RawSQL(  # noqa: S611 - a constant of the code, never input
    f'"{IdentityMatch._meta.db_table}"."status" = \'{MatchStatus.PROPOSED.value}\'', (), output_field=BooleanField()
)


def review_queue(user: AnyUser) -> QuerySet[IdentityMatch]:
    """PROPOSED matches on bookings in the user's office's area of responsibility, highest score first.
    Other roles (LEA, DOJ, analysts, the system) see none: a match is the agency's to review."""
    return (
        matches_for_user(user)
        .filter(_PROPOSED)
        .select_related("booking", "subject", "booking__custodian")
        .order_by("-score", "id")
    )
