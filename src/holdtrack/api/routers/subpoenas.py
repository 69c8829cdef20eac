"""Subpoenas and enforcement referrals: scoped reads and one POST per lifecycle step."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from holdtrack.accounts.models import Organization, OrgKind
from holdtrack.api.auth import actor, need
from holdtrack.api.errors import COMMON, field_error, responses
from holdtrack.api.pagination import Page, PageParams, page
from holdtrack.api.recorded import RecordedIn, via
from holdtrack.api.types import AwareDatetime
from holdtrack.cases.access import (
    detainer_get_for_user,
    referral_get_for_user,
    referrals_for_user,
    subpoena_get_for_user,
    subpoenas_for_user,
)
from holdtrack.cases.models import (
    CourtCase,
    EnforcementReferral,
    ItemCategory,
    ReferralState,
    ResponseType,
    Subpoena,
    SubpoenaState,
)
from holdtrack.cases.services import subpoenas as ss
from holdtrack.custody.access import subject_get_for_user
from holdtrack.jurisdictions.models import LawEnforcementAgency

router = Router(tags=["subpoenas"])


class SubpoenaOut(Schema):
    id: int
    state: str
    form_number: str
    statutory_basis: str
    issuing_office_id: int
    recipient_lea_ori: str
    subject_id: int
    related_detainer_id: int | None
    items: list[str]
    return_days: int
    drafted_at: datetime
    issued_at: datetime | None
    issuing_official_title: str
    served_at: datetime | None
    service_method: str
    return_due_at: datetime | None
    return_rule: str
    responded_at: datetime | None
    referral_id: int | None


def subpoena_out(s: Subpoena) -> SubpoenaOut:
    referral = EnforcementReferral.objects.filter(subpoena_id=s.pk).values_list("pk", flat=True).first()
    return SubpoenaOut(
        id=s.pk,
        state=s.state,
        form_number=s.form_number,
        statutory_basis=s.statutory_basis,
        issuing_office_id=s.issuing_office_id,
        recipient_lea_ori=s.recipient_lea.ori,
        subject_id=s.subject_id,
        related_detainer_id=s.related_detainer_id,
        items=list(s.items or []),
        return_days=s.return_days,
        drafted_at=s.drafted_at,
        issued_at=s.issued_at,
        issuing_official_title=s.issuing_official_title,
        served_at=s.served_at,
        service_method=s.service_method,
        return_due_at=s.return_due_at,
        return_rule=s.return_rule,
        responded_at=s.responded_at,
        referral_id=referral,
    )


class ReferralOut(Schema):
    id: int
    state: str
    subpoena_id: int
    doj_office_id: int
    usao_district: str
    referred_at: datetime
    court_case_id: int | None


def referral_out(r: EnforcementReferral) -> ReferralOut:
    case = CourtCase.objects.filter(referral_id=r.pk).values_list("pk", flat=True).first()
    return ReferralOut(
        id=r.pk,
        state=r.state,
        subpoena_id=r.subpoena_id,
        doj_office_id=r.doj_office_id,
        usao_district=r.usao_district,
        referred_at=r.referred_at,
        court_case_id=case,
    )


def _fresh(pk: int) -> SubpoenaOut:
    return subpoena_out(Subpoena.objects.select_related("recipient_lea").get(pk=pk))


class SubpoenaFilters(PageParams):
    state: SubpoenaState | None = None
    recipient_ori: str | None = Field(None, max_length=9)
    return_due_before: AwareDatetime | None = None
    drafted_after: AwareDatetime | None = None


@router.get(
    "/subpoenas",
    response=responses({200: Page[SubpoenaOut]}, COMMON),
    summary="Subpoenas in your scope",
    auth=need("subpoenas:read"),
)
def subpoenas_list(request: HttpRequest, filters: Query[SubpoenaFilters]) -> Any:
    user = actor(request, "subpoenas:read")
    qs = subpoenas_for_user(user).select_related("recipient_lea").order_by("-drafted_at", "pk")
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.recipient_ori:
        qs = qs.filter(recipient_lea__ori=filters.recipient_ori.upper())
    if filters.return_due_before:
        qs = qs.filter(return_due_at__lt=filters.return_due_before)
    if filters.drafted_after:
        qs = qs.filter(drafted_at__gte=filters.drafted_after)
    return page(qs, filters, SubpoenaOut, subpoena_out)


@router.get(
    "/subpoenas/{int:subpoena_id}",
    response=responses({200: SubpoenaOut}, COMMON),
    summary="One subpoena",
    auth=need("subpoenas:read"),
)
def subpoenas_detail(request: HttpRequest, subpoena_id: int) -> SubpoenaOut:
    user = actor(request, "subpoenas:read")
    return subpoena_out(subpoena_get_for_user(user, subpoena_id))


class DraftIn(Schema):
    recipient_ori: str = Field(..., min_length=7, max_length=9)
    subject_id: int
    items: list[ItemCategory] = Field(..., min_length=1, max_length=11)
    return_days: int = Field(14, ge=1, le=60)
    related_detainer_id: int | None = None


class ServeIn(RecordedIn):
    method: Literal["PERSONAL", "MAIL", "EMAIL", "FAX", "OTHER"] = "PERSONAL"


class RespondIn(RecordedIn):
    response_type: ResponseType
    produced_items: list[ItemCategory] = Field(default_factory=list, max_length=11)
    grounds: str = Field("", max_length=4000)
    legal_basis: str = Field("", max_length=400)


class ReferIn(Schema):
    doj_office_id: int
    memo: str = Field("", max_length=4000)


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


@router.post(
    "/subpoenas", response=responses({201: SubpoenaOut}), summary="Draft a subpoena", auth=need("subpoenas:write")
)
def subpoenas_draft(request: HttpRequest, payload: DraftIn) -> Any:
    user = actor(request, "subpoenas:write")
    lea = LawEnforcementAgency.objects.filter(ori=payload.recipient_ori.upper()).first()
    if lea is None:
        raise field_error("recipient_ori", f"No agency with ORI {payload.recipient_ori!r}.")
    subject = subject_get_for_user(user, payload.subject_id, via="api")
    related = detainer_get_for_user(user, payload.related_detainer_id) if payload.related_detainer_id else None
    s = ss.subpoena_draft(
        actor=user,
        recipient_lea=lea,
        subject=subject,
        items=[str(i) for i in payload.items],
        return_days=payload.return_days,
        related_detainer=related,
    )
    return Status(201, _fresh(s.pk))


def _get(request: HttpRequest, subpoena_id: int) -> tuple[Any, Subpoena]:
    user = actor(request, "subpoenas:write")
    return user, subpoena_get_for_user(user, subpoena_id)


@router.post(
    "/subpoenas/{int:subpoena_id}/issue",
    response=responses({200: SubpoenaOut}),
    summary="Sign and issue",
    auth=need("subpoenas:write"),
)
def subpoenas_issue(request: HttpRequest, subpoena_id: int) -> SubpoenaOut:
    user, s = _get(request, subpoena_id)
    ss.subpoena_issue(actor=user, subpoena=s)
    return _fresh(s.pk)


@router.post(
    "/subpoenas/{int:subpoena_id}/serve",
    response=responses({200: SubpoenaOut}),
    summary="Record service",
    auth=need("subpoenas:write"),
)
def subpoenas_serve(request: HttpRequest, subpoena_id: int, payload: ServeIn) -> SubpoenaOut:
    user, s = _get(request, subpoena_id)
    ss.subpoena_serve(actor=user, subpoena=s, method=payload.method, **via(user, "subpoena_serve", payload))
    return _fresh(s.pk)


@router.post(
    "/subpoenas/{int:subpoena_id}/acknowledge",
    response=responses({200: SubpoenaOut}),
    summary="LEA acknowledges",
    auth=need("subpoenas:write"),
)
def subpoenas_acknowledge(request: HttpRequest, subpoena_id: int, payload: RecordedIn | None = None) -> SubpoenaOut:
    user, s = _get(request, subpoena_id)
    ss.subpoena_acknowledge(actor=user, subpoena=s, **via(user, "subpoena_acknowledge", payload))
    return _fresh(s.pk)


@router.post(
    "/subpoenas/{int:subpoena_id}/respond",
    response=responses({200: SubpoenaOut}),
    summary="LEA responds",
    auth=need("subpoenas:write"),
)
def subpoenas_respond(request: HttpRequest, subpoena_id: int, payload: RespondIn) -> SubpoenaOut:
    user, s = _get(request, subpoena_id)
    ss.subpoena_respond(
        actor=user,
        subpoena=s,
        response_type=payload.response_type,
        produced_items=[str(i) for i in payload.produced_items],
        grounds=payload.grounds,
        legal_basis=payload.legal_basis,
        **via(user, "subpoena_respond", payload),
    )
    return _fresh(s.pk)


@router.post(
    "/subpoenas/{int:subpoena_id}/refer",
    response=responses({200: SubpoenaOut}),
    summary="Refer to DOJ",
    auth=need("subpoenas:write"),
)
def subpoenas_refer(request: HttpRequest, subpoena_id: int, payload: ReferIn) -> SubpoenaOut:
    user, s = _get(request, subpoena_id)
    doj = Organization.objects.filter(pk=payload.doj_office_id, kind=OrgKind.DOJ).first()
    if doj is None:
        raise field_error("doj_office_id", "No Department of Justice office with this id.")
    ss.subpoena_refer(actor=user, subpoena=s, doj_office=doj, memo=payload.memo)
    return _fresh(s.pk)


@router.post(
    "/subpoenas/{int:subpoena_id}/withdraw",
    response=responses({200: SubpoenaOut}),
    summary="Withdraw",
    auth=need("subpoenas:write"),
)
def subpoenas_withdraw(request: HttpRequest, subpoena_id: int, payload: ReasonIn) -> SubpoenaOut:
    user, s = _get(request, subpoena_id)
    ss.subpoena_withdraw(actor=user, subpoena=s, reason=payload.reason)
    return _fresh(s.pk)


# ------------------------------------------------------------------------------------------ referrals


class ReferralFilters(PageParams):
    state: ReferralState | None = None


@router.get(
    "/referrals",
    response=responses({200: Page[ReferralOut]}, COMMON),
    summary="Referrals in your scope",
    auth=need("subpoenas:read"),
)
def referrals_list(request: HttpRequest, filters: Query[ReferralFilters]) -> Any:
    user = actor(request, "subpoenas:read")
    qs = referrals_for_user(user).order_by("-referred_at", "pk")
    if filters.state:
        qs = qs.filter(state=filters.state)
    return page(qs, filters, ReferralOut, referral_out)


@router.get(
    "/referrals/{int:referral_id}",
    response=responses({200: ReferralOut}, COMMON),
    summary="One referral",
    auth=need("subpoenas:read"),
)
def referrals_detail(request: HttpRequest, referral_id: int) -> ReferralOut:
    return referral_out(referral_get_for_user(actor(request, "subpoenas:read"), referral_id))


@router.post(
    "/referrals/{int:referral_id}/decline",
    response=responses({200: ReferralOut}),
    summary="DOJ declines to enforce",
    auth=need("subpoenas:write"),
)
def referrals_decline(request: HttpRequest, referral_id: int, payload: ReasonIn) -> ReferralOut:
    user = actor(request, "subpoenas:write")
    r = referral_get_for_user(user, referral_id)
    ss.referral_decline(actor=user, referral=r, reason=payload.reason)
    return referral_out(EnforcementReferral.objects.get(pk=r.pk))
