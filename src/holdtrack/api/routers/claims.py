"""Citizenship claims: any party may open one (holds freeze at once); an agency supervisor resolves it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from holdtrack.api.auth import actor, need
from holdtrack.api.errors import COMMON, responses
from holdtrack.api.pagination import Page, PageParams, page
from holdtrack.custody import services as custody
from holdtrack.custody.access import claim_get_for_user, claims_for_user, subject_get_for_user
from holdtrack.custody.models import CitizenshipClaim, ClaimBasis, ClaimStatus

router = Router(tags=["citizenship claims"])


class ClaimOut(Schema):
    id: int
    status: str
    basis: str
    subject_id: int
    raised_at: datetime
    resolved_at: datetime | None
    resolution_notes: str


def claim_out(c: CitizenshipClaim) -> ClaimOut:
    return ClaimOut(
        id=c.pk,
        status=c.status,
        basis=c.basis,
        subject_id=c.subject_id,
        raised_at=c.raised_at,
        resolved_at=c.resolved_at,
        resolution_notes=c.resolution_notes,
    )


class ClaimFilters(PageParams):
    status: ClaimStatus | None = None


@router.get(
    "/citizenship-claims",
    response=responses({200: Page[ClaimOut]}, COMMON),
    summary="Citizenship claims in scope",
    auth=need("claims:read"),
)
def claims_list(request: HttpRequest, filters: Query[ClaimFilters]) -> Any:
    user = actor(request, "claims:read")
    qs = claims_for_user(user).order_by("-raised_at", "pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    return page(qs, filters, ClaimOut, claim_out)


@router.get(
    "/citizenship-claims/{int:claim_id}",
    response=responses({200: ClaimOut}, COMMON),
    summary="One citizenship claim",
    auth=need("claims:read"),
)
def claims_detail(request: HttpRequest, claim_id: int) -> ClaimOut:
    return claim_out(claim_get_for_user(actor(request, "claims:read"), claim_id))


class OpenIn(Schema):
    subject_id: int
    basis: ClaimBasis


class ResolveIn(Schema):
    verified_citizen: bool
    notes: str = Field(..., min_length=1, max_length=4000)


@router.post(
    "/citizenship-claims",
    response=responses({201: ClaimOut}),
    summary="Open a citizenship claim",
    auth=need("claims:write"),
)
def claims_open(request: HttpRequest, payload: OpenIn) -> Any:
    user = actor(request, "claims:write")
    subject = subject_get_for_user(user, payload.subject_id, via="api")
    c = custody.citizenship_claim_open(actor=user, subject=subject, basis=payload.basis)
    return Status(201, claim_out(c))


@router.post(
    "/citizenship-claims/{int:claim_id}/resolve",
    response=responses({200: ClaimOut}),
    summary="Resolve a claim",
    auth=need("claims:write"),
)
def claims_resolve(request: HttpRequest, claim_id: int, payload: ResolveIn) -> ClaimOut:
    user = actor(request, "claims:write")
    c = claim_get_for_user(user, claim_id)
    custody.citizenship_claim_resolve(
        actor=user, claim=c, verified_citizen=payload.verified_citizen, notes=payload.notes
    )
    return claim_out(CitizenshipClaim.objects.get(pk=c.pk))
