"""Court cases (subpoena enforcement): scoped reads, petition, orders, steps and compliance."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from holdtrack.api.auth import actor, need
from holdtrack.api.errors import COMMON, responses
from holdtrack.api.pagination import Page, PageParams, page
from holdtrack.api.types import AwareDatetime
from holdtrack.cases.access import court_case_get_for_user, court_cases_for_user, referral_get_for_user
from holdtrack.cases.models import CourtCase, CourtState, ItemCategory, OrderType
from holdtrack.cases.services import subpoenas as ss

router = Router(tags=["court"])


class CourtOrderOut(Schema):
    id: int
    order_type: str
    issued_at: datetime
    issued_by: str
    comply_within_days: int | None
    terms: str


class CourtCaseOut(Schema):
    id: int
    state: str
    court: str
    case_number: str
    case_type: str
    filed_at: datetime
    comply_by: datetime | None
    comply_rule: str
    referral_id: int
    subpoena_id: int
    orders: list[CourtOrderOut] = []


def court_case_out(c: CourtCase, *, orders: bool = False) -> CourtCaseOut:
    return CourtCaseOut(
        id=c.pk,
        state=c.state,
        court=c.court,
        case_number=c.case_number,
        case_type=c.case_type,
        filed_at=c.filed_at,
        comply_by=c.comply_by,
        comply_rule=c.comply_rule,
        referral_id=c.referral_id,
        subpoena_id=c.referral.subpoena_id,
        orders=[CourtOrderOut.model_validate(o, from_attributes=True) for o in c.orders.order_by("issued_at", "pk")]
        if orders
        else [],
    )


def _fresh(pk: int) -> CourtCaseOut:
    return court_case_out(CourtCase.objects.select_related("referral").get(pk=pk), orders=True)


class CourtFilters(PageParams):
    state: CourtState | None = None
    filed_after: AwareDatetime | None = None
    comply_by_before: AwareDatetime | None = None


@router.get(
    "/court-cases",
    response=responses({200: Page[CourtCaseOut]}, COMMON),
    summary="Court cases in scope",
    auth=need("court:read"),
)
def court_cases_list(request: HttpRequest, filters: Query[CourtFilters]) -> Any:
    user = actor(request, "court:read")
    qs = court_cases_for_user(user).select_related("referral").order_by("-filed_at", "pk")
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.filed_after:
        qs = qs.filter(filed_at__gte=filters.filed_after)
    if filters.comply_by_before:
        qs = qs.filter(comply_by__lt=filters.comply_by_before)
    return page(qs, filters, CourtCaseOut, court_case_out)


@router.get(
    "/court-cases/{int:case_id}",
    response=responses({200: CourtCaseOut}, COMMON),
    summary="One court case",
    auth=need("court:read"),
)
def court_cases_detail(request: HttpRequest, case_id: int) -> CourtCaseOut:
    user = actor(request, "court:read")
    return court_case_out(court_case_get_for_user(user, case_id), orders=True)


class PetitionIn(Schema):
    court: str = Field(..., min_length=1, max_length=80)
    case_number: str = Field(..., min_length=1, max_length=40)


class OrderIn(Schema):
    order_type: OrderType
    issued_at: AwareDatetime
    issued_by: str = Field("", max_length=120)
    comply_within_days: int | None = Field(None, ge=1, le=365)
    terms: str = Field("", max_length=4000)


class AdvanceIn(Schema):
    action: Literal["take_under_advisement", "appeal", "move_for_contempt"]
    reason: str = Field("", max_length=2000)


class ComplianceIn(Schema):
    produced_items: list[ItemCategory] = Field(default_factory=list, max_length=11)


@router.post(
    "/referrals/{int:referral_id}/petition",
    response=responses({201: CourtCaseOut}),
    summary="DOJ files a petition to enforce",
    auth=need("court:write"),
)
def court_petition(request: HttpRequest, referral_id: int, payload: PetitionIn) -> Any:
    user = actor(request, "court:write")
    r = referral_get_for_user(user, referral_id)
    ss.court_petition_file(actor=user, referral=r, court=payload.court, case_number=payload.case_number)
    return Status(201, _fresh(CourtCase.objects.get(referral_id=r.pk).pk))


def _get(request: HttpRequest, case_id: int) -> tuple[Any, CourtCase]:
    user = actor(request, "court:write")
    return user, court_case_get_for_user(user, case_id)


@router.post(
    "/court-cases/{int:case_id}/orders",
    response=responses({200: CourtCaseOut}),
    summary="Record an order",
    auth=need("court:write"),
)
def court_order(request: HttpRequest, case_id: int, payload: OrderIn) -> CourtCaseOut:
    user, c = _get(request, case_id)
    ss.court_order_record(
        actor=user,
        case=c,
        order_type=payload.order_type,
        issued_at=payload.issued_at,
        issued_by=payload.issued_by,
        comply_within_days=payload.comply_within_days,
        terms=payload.terms,
    )
    return _fresh(c.pk)


@router.post(
    "/court-cases/{int:case_id}/advance",
    response=responses({200: CourtCaseOut}),
    summary="A court step",
    auth=need("court:write"),
)
def court_advance(request: HttpRequest, case_id: int, payload: AdvanceIn) -> CourtCaseOut:
    user, c = _get(request, case_id)
    ss.court_case_advance(actor=user, case=c, action=payload.action, reason=payload.reason)
    return _fresh(c.pk)


@router.post(
    "/court-cases/{int:case_id}/compliance",
    response=responses({200: CourtCaseOut}),
    summary="Record compliance",
    auth=need("court:write"),
)
def court_compliance(request: HttpRequest, case_id: int, payload: ComplianceIn) -> CourtCaseOut:
    user, c = _get(request, case_id)
    ss.court_compliance_record(actor=user, case=c, produced_items=[str(i) for i in payload.produced_items] or None)
    return _fresh(c.pk)
