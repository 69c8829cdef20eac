"""Reference data (no personal data), subjects (personal data, scoped and audited) and work items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from holdtrack.api.auth import actor, need
from holdtrack.api.errors import COMMON, responses
from holdtrack.api.pagination import Page, PageParams, page
from holdtrack.cases.access import work_items_for_user
from holdtrack.cases.models import WorkItem, WorkItemKind
from holdtrack.custody.access import subject_get_for_user
from holdtrack.custody.identity import person_subject_ids
from holdtrack.jurisdictions.models import Facility, LawEnforcementAgency

router = Router(tags=["reference"])


class AgencyOut(Schema):
    ori: str
    name: str
    agency_type: str
    jurisdiction: str
    state: str


class FacilityOut(Schema):
    code: str
    name: str
    operator_ori: str
    timezone: str


class AgencyFilters(PageParams):
    state: str | None = Field(None, max_length=2)
    q: str | None = Field(None, max_length=80, description="Part of the name or ORI")


@router.get(
    "/reference/agencies",
    response=responses({200: Page[AgencyOut]}, COMMON),
    summary="Law enforcement agencies",
    auth=need("reference:read"),
)
def agencies_list(request: HttpRequest, filters: Query[AgencyFilters]) -> Any:
    actor(request, "reference:read")
    qs = LawEnforcementAgency.objects.select_related("jurisdiction").order_by("ori")
    if filters.state:
        qs = qs.filter(jurisdiction__state_abbr=filters.state.upper())
    if filters.q:
        qs = qs.filter(name__icontains=filters.q) | qs.filter(ori__icontains=filters.q)
    return page(
        qs,
        filters,
        AgencyOut,
        lambda a: AgencyOut(
            ori=a.ori,
            name=a.name,
            agency_type=a.agency_type,
            jurisdiction=a.jurisdiction.name,
            state=a.jurisdiction.state_abbr,
        ),
    )


class FacilityFilters(PageParams):
    operator_ori: str | None = Field(None, max_length=9)


@router.get(
    "/reference/facilities",
    response=responses({200: Page[FacilityOut]}, COMMON),
    summary="Facilities",
    auth=need("reference:read"),
)
def facilities_list(request: HttpRequest, filters: Query[FacilityFilters]) -> Any:
    actor(request, "reference:read")
    qs = Facility.objects.select_related("operator").order_by("code")
    if filters.operator_ori:
        qs = qs.filter(operator__ori=filters.operator_ori.upper())
    return page(
        qs,
        filters,
        FacilityOut,
        lambda f: FacilityOut(code=f.code, name=f.name, operator_ori=f.operator.ori, timezone=f.timezone),
    )


class SubjectOut(Schema):
    id: int
    first_name: str
    middle_name: str
    last_name: str
    second_last_name: str
    date_of_birth: date | None
    sex: str
    birth_country: str
    citizenship_country: str
    preferred_language: str
    person_id: int | None = Field(
        None, description="The person this record belongs to (null while it is linked to no other record)"
    )
    person_records: list[int] = Field(
        ..., description="Every record of the person, this one included: a claim on any of them freezes all holds"
    )


@router.get(
    "/subjects/{int:subject_id}",
    response=responses({200: SubjectOut}, COMMON),
    summary="A subject's personal data (scoped; every read is logged)",
    tags=["subjects"],
    auth=need("subjects:read"),
)
def subjects_detail(request: HttpRequest, subject_id: int) -> SubjectOut:
    s = subject_get_for_user(actor(request, "subjects:read"), subject_id, via="api")
    return SubjectOut(
        **{f: getattr(s, f) for f in SubjectOut.model_fields if f not in ("person_records",)},
        person_records=person_subject_ids(s.pk),
    )


class WorkItemOut(Schema):
    id: int
    kind: str
    detail: str
    due_at: datetime
    resolved_at: datetime | None
    detainer_id: int | None
    subpoena_id: int | None
    court_case_id: int | None


class WorkFilters(PageParams):
    kind: WorkItemKind | None = None
    open: bool | None = None


@router.get(
    "/work-items",
    response=responses({200: Page[WorkItemOut]}, COMMON),
    summary="Your organization's work",
    tags=["work"],
    auth=need("work:read"),
)
def work_items_list(request: HttpRequest, filters: Query[WorkFilters]) -> Any:
    user = actor(request, "work:read")
    qs = work_items_for_user(user).order_by("due_at", "pk")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.open is not None:
        qs = qs.filter(resolved_at__isnull=filters.open)
    return page(qs, filters, WorkItemOut, lambda w: WorkItemOut.model_validate(w, from_attributes=True))


__all__ = ["WorkItem", "router"]
