"""Reads of screening results, scoped like the case access functions (cases/access.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from holdtrack.accounts.models import AGENCY_ROLES, OrgKind
from holdtrack.custody.models import IdentityMatch, MatchStatus


def _agency_aor_id(user: Any) -> int | None:
    """The area of responsibility of an active agency user's field office, else None."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.role not in AGENCY_ROLES:
        return None
    org = user.organization
    if org is None or org.kind != OrgKind.AGENCY_OFFICE or org.aor_id is None:
        return None
    return int(org.aor_id)


def review_queue(user: Any) -> QuerySet[IdentityMatch]:
    """PROPOSED matches on bookings in the user's office's area of responsibility, highest score first.
    Other roles (LEA, DOJ, analysts, the system) see none: a match is the agency's to review."""
    aor_id = _agency_aor_id(user)
    if aor_id is None:
        return IdentityMatch.objects.none()
    return (
        IdentityMatch.objects.filter(status=MatchStatus.PROPOSED, booking__custodian__jurisdiction__aor_id=aor_id)
        .select_related("booking", "subject", "booking__custodian")
        .order_by("-score", "id")
    )
