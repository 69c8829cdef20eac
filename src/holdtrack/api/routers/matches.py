"""Identity matches (screening results) for the agency's review, and citizenship claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from holdtrack.api.auth import actor, need
from holdtrack.api.errors import COMMON, responses
from holdtrack.api.pagination import Page, PageParams, page
from holdtrack.custody import services as custody
from holdtrack.custody.access import match_get_for_user, matches_for_user
from holdtrack.custody.models import IdentityMatch, MatchBasis, MatchStatus

router = Router(tags=["matches"])


class MatchOut(Schema):
    id: int
    status: str
    basis: str
    score: float | None
    model_version: str
    explanation: dict[str, Any]
    booking_id: int
    agency_ori: str
    booking_number: str
    subject_id: int
    identifier_conflict: bool = Field(
        False,
        description="The booking's FBI number differs from the subject's: confirming needs a supervisor's override",
    )
    proposed_at: datetime
    reviewed_at: datetime | None
    review_reason: str


def match_out(m: IdentityMatch) -> MatchOut:
    return MatchOut(
        id=m.pk,
        status=m.status,
        basis=m.basis,
        score=m.score,
        model_version=m.model_version,
        explanation=dict(m.explanation or {}),
        booking_id=m.booking_id,
        agency_ori=m.booking.custodian.ori,
        booking_number=m.booking.booking_number,
        subject_id=m.subject_id,
        identifier_conflict=m.identifier_conflict,
        proposed_at=m.proposed_at,
        reviewed_at=m.reviewed_at,
        review_reason=m.review_reason,
    )


class MatchFilters(PageParams):
    status: MatchStatus | None = None
    basis: MatchBasis | None = None
    min_score: float | None = Field(None, ge=-1000, le=1000)


@router.get(
    "/matches",
    response=responses({200: Page[MatchOut]}, COMMON),
    summary="Identity matches in scope",
    auth=need("matches:read"),
)
def matches_list(request: HttpRequest, filters: Query[MatchFilters]) -> Any:
    user = actor(request, "matches:read")
    qs = matches_for_user(user).select_related("booking__custodian").order_by("-proposed_at", "pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.basis:
        qs = qs.filter(basis=filters.basis)
    if filters.min_score is not None:
        qs = qs.filter(score__gte=filters.min_score)
    return page(qs, filters, MatchOut, match_out)


@router.get(
    "/matches/{int:match_id}",
    response=responses({200: MatchOut}, COMMON),
    summary="One identity match",
    auth=need("matches:read"),
)
def matches_detail(request: HttpRequest, match_id: int) -> MatchOut:
    return match_out(match_get_for_user(actor(request, "matches:read"), match_id))


class ReviewIn(Schema):
    confirm: bool
    reason: str = Field(..., min_length=1, max_length=2000)
    override_conflict: bool = Field(
        False, description="A supervisor confirms across conflicting FBI numbers; the reason says why"
    )


class RevokeIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


@router.post(
    "/matches/{int:match_id}/review",
    response=responses({200: MatchOut}),
    summary="Confirm or reject a match",
    auth=need("matches:write"),
)
def matches_review(request: HttpRequest, match_id: int, payload: ReviewIn) -> MatchOut:
    user = actor(request, "matches:write")
    m = match_get_for_user(user, match_id)
    custody.identity_match_review(
        actor=user, match=m, confirm=payload.confirm, reason=payload.reason, override_conflict=payload.override_conflict
    )
    return match_out(IdentityMatch.objects.select_related("booking__custodian").get(pk=m.pk))


@router.post(
    "/matches/{int:match_id}/revoke",
    response=responses({200: MatchOut}),
    summary="Revoke a confirmed match: the records are no longer one person; detainers resting on it are lifted",
    auth=need("matches:write"),
)
def matches_revoke(request: HttpRequest, match_id: int, payload: RevokeIn) -> MatchOut:
    user = actor(request, "matches:write")
    m = match_get_for_user(user, match_id)
    custody.identity_match_revoke(actor=user, match=m, reason=payload.reason)
    return match_out(IdentityMatch.objects.select_related("booking__custodian").get(pk=m.pk))
