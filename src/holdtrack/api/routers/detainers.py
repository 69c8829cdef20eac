"""Detainers: scoped reads and one POST per lifecycle step, each calling the same service as the UI."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from holdtrack.api.auth import actor, need
from holdtrack.api.errors import COMMON, responses
from holdtrack.api.pagination import Keys, Page, PageParams, Rows, page_of_rows, values_of
from holdtrack.api.recorded import RecordedIn, via
from holdtrack.api.types import AwareDatetime
from holdtrack.cases.access import detainer_get_for_user, detainer_keys_scope, detainer_values_for_user, detainers_in
from holdtrack.cases.models import (
    AGENCY_LIFT_REASONS,
    Box,
    ChargingDocument,
    Detainer,
    DetainerState,
    FormType,
    LeaDecision,
    NotificationKind,
    OutcomeGroup,
    PCBasis,
    RequestType,
    ReviewResult,
    ServiceMethod,
    Warrant,
    WarrantType,
)
from holdtrack.cases.services import detainers as ds
from holdtrack.core.errors import NotFound
from holdtrack.core.rows import value_rows
from holdtrack.custody.access import match_get_for_user

router = Router(tags=["detainers"])

# Only the reasons the agency itself gives when lifting (the LEA declines through /decide).
LiftReasonIn = Enum("LiftReasonIn", {str(r).upper(): str(r) for r in sorted(AGENCY_LIFT_REASONS)}, type=str)  # type: ignore[misc]


class WarrantOut(Schema):
    id: int
    warrant_type: str
    is_judicial: bool
    number: str
    signed_by_name: str
    signed_by_title: str
    court: str
    signed_at: datetime
    attached_at: datetime
    judicial_confirmed_at: datetime | None = Field(
        None, description="When the receiving LEA's counsel confirmed a court issued it; policies rely on it after"
    )


class ConfirmJudicialIn(Schema):
    note: str = Field("", max_length=2000)


class DetainerOut(Schema):
    id: int
    state: str
    form_type: str
    request_type: str
    box: str
    pc_bases: list[str]
    charging_document: str
    operative_upon_conviction: bool
    subject_id: int
    booking_id: int
    booking_number: str
    identity_match_id: int | None
    issuing_office_id: int
    addressed_lea_ori: str
    facility_code: str
    prepared_at: datetime
    approved_at: datetime | None
    transmitted_at: datetime | None
    received_at: datetime | None
    served_at: datetime | None
    lea_decision: str
    decided_at: datetime | None
    neutral_review_required: bool
    neutral_review_result: str
    hold_started_at: datetime | None
    hold_expires_at: datetime | None
    hold_rule: str
    hold_ended_at: datetime | None
    lift_reason: str
    outcome_group: str
    outcome_at: datetime | None
    warrants: list[WarrantOut] = []


# The relations ``detainer_out`` reads: the booking number, the addressed LEA's ORI and the facility code.
OUT_RELATED = ("booking", "addressed_lea", "facility")
# Where each field of DetainerOut is read: the detainer's own column, or a relation's (``__``).
_OUT_PATHS = {
    **{name: name for name in DetainerOut.model_fields if name != "warrants"},
    "booking_number": "booking__booking_number",
    "addressed_lea_ori": "addressed_lea__ori",
    "facility_code": "facility__code",
}
_OUT_VALUES = tuple(_OUT_PATHS.values())


def _named(row: dict[str, Any]) -> dict[str, Any]:
    """DetainerOut's values, by field name, from a row of ``values(*_OUT_VALUES)``."""
    return {name: row[path] for name, path in _OUT_PATHS.items()}


def _out(values: dict[str, Any], warrants: list[WarrantOut]) -> DetainerOut:
    # Built without validating: every value is the model field's own (int, str, bool, datetime), and
    # validating each item through django-ninja's attribute getter cost half of a page of 50 (issue 12).
    return DetainerOut.model_construct(**{**values, "pc_bases": list(values["pc_bases"] or [])}, warrants=warrants)


def _warrants_out(detainer_id: int) -> list[WarrantOut]:
    return [
        WarrantOut.model_construct(**w)  # the model fields' own values, as ``_out``
        for w in value_rows(
            ("api.detainer_warrants",),
            lambda key: Warrant.objects.filter(detainer_id=key).order_by("pk").values(*WarrantOut.model_fields),
            detainer_id,
        )
    ]


def detainer_out(d: Detainer, *, warrants: bool = False) -> DetainerOut:
    return _out(values_of(d, _OUT_PATHS), _warrants_out(d.pk) if warrants else [])


def detainer_out_row(row: dict[str, Any]) -> dict[str, Any]:
    """A list item's values (DetainerOut's fields, in order) from a row of ``values(*_OUT_PATHS.values())``: the
    columns the response shows, and neither model instances (a page of 50 built 208 of them, with every JSON
    and date column decoded) nor schema objects (ADR 0048)."""
    out = _named(row)
    out["pc_bases"] = list(out["pc_bases"] or [])
    out["warrants"] = []
    return out


# A page's keys come through the access rule (``detainers_for_user``): its rows are read by key alone.
ALL_DETAINERS = Rows(("cases.detainer",), Detainer.objects.all)


def _fresh(request: HttpRequest, pk: int) -> DetainerOut:
    d = Detainer.objects.select_related(*OUT_RELATED).get(pk=pk)
    return detainer_out(d, warrants=True)


class DetainerFilters(PageParams):
    state: DetainerState | None = None
    outcome_group: OutcomeGroup | None = None
    addressed_ori: str | None = Field(None, max_length=9)
    prepared_after: AwareDatetime | None = None
    prepared_before: AwareDatetime | None = None


@router.get(
    "/detainers",
    response=responses({200: Page[DetainerOut]}, COMMON),
    summary="Detainers in your scope",
    auth=need("detainers:read"),
)
def detainers_list(request: HttpRequest, filters: Query[DetainerFilters]) -> Any:
    user = actor(request, "detainers:read")
    branch, scope_id = detainer_keys_scope(user)
    # The filters given, by name in the key and by value in the statement (compiled once per shape).
    given = [(lookup, value) for lookup, value in _key_filters(filters) if value]

    def build(scope: int, *values: str) -> QuerySet[Detainer]:
        qs = detainers_in(branch, scope)
        for (lookup, _), value in zip(given, values, strict=True):
            qs = qs.filter(**{lookup: value})
        return qs.order_by("-prepared_at", "pk")

    keys = Keys(
        Detainer,
        ("cases.detainer", branch, *(lookup for lookup, _ in given)),
        build,
        (scope_id, *(v for _, v in given)),
    )
    if not (filters.prepared_after or filters.prepared_before):
        return page_of_rows(keys, filters, _OUT_VALUES, detainer_out_row, ALL_DETAINERS)
    qs = keys.queryset()  # a datetime cannot stand in for a value: this shape is compiled every time
    if filters.prepared_after:
        qs = qs.filter(prepared_at__gte=filters.prepared_after)
    if filters.prepared_before:
        qs = qs.filter(prepared_at__lt=filters.prepared_before)
    return page_of_rows(qs, filters, _OUT_VALUES, detainer_out_row, ALL_DETAINERS)


def _key_filters(filters: DetainerFilters) -> list[tuple[str, str]]:
    return [
        ("state", str(filters.state or "")),
        ("outcome_group", str(filters.outcome_group or "")),
        ("addressed_lea__ori", (filters.addressed_ori or "").upper()),
    ]


@router.get(
    "/detainers/{int:detainer_id}",
    response=responses({200: DetainerOut}, COMMON),
    summary="One detainer",
    auth=need("detainers:read"),
)
def detainers_detail(request: HttpRequest, detainer_id: int) -> DetainerOut:
    user = actor(request, "detainers:read")
    row = detainer_values_for_user(user, detainer_id, _OUT_VALUES)
    return _out(_named(row), _warrants_out(row["id"]))


# ------------------------------------------------------------------------------------------- actions


class PrepareIn(Schema):
    identity_match_id: int = Field(..., description="A confirmed identity match; its booking is the one detained")
    form_type: FormType = FormType.I247A
    request_type: RequestType | None = None
    box: Box = Box.PC_REMOVABLE
    pc_bases: list[PCBasis] = Field(default_factory=list, max_length=4)
    charging_document: ChargingDocument = ChargingDocument.NONE
    operative_upon_conviction: bool = False


class WarrantIn(RecordedIn):
    warrant_type: WarrantType
    signed_by_name: str = Field(..., min_length=1, max_length=120)
    signed_by_title: str = Field(..., min_length=1, max_length=120)
    signed_at: AwareDatetime
    number: str = Field("", max_length=40)
    court: str = Field("", max_length=120)


class ServeIn(RecordedIn):
    method: ServiceMethod = ServiceMethod.IN_PERSON
    language: str = Field("en", min_length=2, max_length=8)


class DecideIn(RecordedIn):
    decision: LeaDecision
    reason: str = Field("", max_length=2000)


class LiftIn(RecordedIn):
    reason: LiftReasonIn
    note: str = Field("", max_length=2000)


class NeutralReviewIn(Schema):
    result: ReviewResult
    reason: str = Field("", max_length=2000)


class NotificationIn(RecordedIn):
    kind: NotificationKind = NotificationKind.ADVANCE_RELEASE
    expected_release_at: AwareDatetime | None = None


def _get(request: HttpRequest, detainer_id: int) -> tuple[Any, Detainer]:
    user = actor(request, "detainers:write")
    return user, detainer_get_for_user(user, detainer_id)


@router.post(
    "/detainers",
    response=responses({201: DetainerOut}),
    summary="Prepare a detainer from a confirmed match",
    auth=need("detainers:write"),
)
def detainers_prepare(request: HttpRequest, payload: PrepareIn) -> Any:
    user = actor(request, "detainers:write")
    match = match_get_for_user(user, payload.identity_match_id)
    d = ds.detainer_prepare(
        actor=user,
        booking=match.booking,
        identity_match=match,
        form_type=payload.form_type,
        request_type=payload.request_type,
        box=payload.box,
        pc_bases=[str(p) for p in payload.pc_bases],
        charging_document=payload.charging_document,
        operative_upon_conviction=payload.operative_upon_conviction,
    )
    return Status(201, _fresh(request, d.pk))


@router.post(
    "/detainers/{int:detainer_id}/warrants",
    response=responses({200: DetainerOut}),
    summary="Attach a warrant",
    auth=need("detainers:write"),
)
def detainers_warrant(request: HttpRequest, detainer_id: int, payload: WarrantIn) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.warrant_attach(
        actor=user,
        detainer=d,
        warrant_type=payload.warrant_type,
        signed_by_name=payload.signed_by_name,
        signed_by_title=payload.signed_by_title,
        signed_at=payload.signed_at,
        number=payload.number,
        court=payload.court,
        **via(user, "warrant_attach", payload),
    )
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/warrants/{int:warrant_id}/confirm-judicial",
    response=responses({200: DetainerOut}),
    summary="The LEA's counsel confirms a judicial warrant (a court issued it, a judge signed it)",
    auth=need("detainers:write"),
)
def detainers_warrant_confirm(
    request: HttpRequest, detainer_id: int, warrant_id: int, payload: ConfirmJudicialIn
) -> DetainerOut:
    user, d = _get(request, detainer_id)
    warrant = d.warrants.filter(pk=warrant_id).first()
    if warrant is None:
        raise NotFound("Warrant not found on this detainer.")
    ds.warrant_confirm_judicial(actor=user, warrant=warrant, note_text=payload.note)
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/approve",
    response=responses({200: DetainerOut}),
    summary="Supervisor approval",
    auth=need("detainers:write"),
)
def detainers_approve(request: HttpRequest, detainer_id: int, payload: RecordedIn | None = None) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.detainer_approve(actor=user, detainer=d, **via(user, "detainer_approve", payload))
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/transmit",
    response=responses({200: DetainerOut}),
    summary="Send to the LEA",
    auth=need("detainers:write"),
)
def detainers_transmit(request: HttpRequest, detainer_id: int, payload: RecordedIn | None = None) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.detainer_transmit(actor=user, detainer=d, **via(user, "detainer_transmit", payload))
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/receive",
    response=responses({200: DetainerOut}),
    summary="LEA logs receipt",
    auth=need("detainers:write"),
)
def detainers_receive(request: HttpRequest, detainer_id: int, payload: RecordedIn | None = None) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.detainer_receive(actor=user, detainer=d, **via(user, "detainer_receive", payload))
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/revalidate",
    response=responses({200: DetainerOut}),
    summary="Re-run validation",
    auth=need("detainers:write"),
)
def detainers_revalidate(request: HttpRequest, detainer_id: int) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.detainer_revalidate(actor=user, detainer=d)
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/serve-subject",
    response=responses({200: DetainerOut}),
    summary="Record service of the detainer on the subject",
    auth=need("detainers:write"),
)
def detainers_serve_subject(request: HttpRequest, detainer_id: int, payload: ServeIn) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.detainer_serve_subject(
        actor=user,
        detainer=d,
        method=payload.method,
        language=payload.language,
        **via(user, "detainer_serve_subject", payload),
    )
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/decide",
    response=responses({200: DetainerOut}),
    summary="The LEA's decision",
    auth=need("detainers:write"),
)
def detainers_decide(request: HttpRequest, detainer_id: int, payload: DecideIn) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.detainer_decide(
        actor=user,
        detainer=d,
        decision=payload.decision,
        reason=payload.reason,
        **via(user, "detainer_decide", payload),
    )
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/lift",
    response=responses({200: DetainerOut}),
    summary="Lift (cancel)",
    auth=need("detainers:write"),
)
def detainers_lift(request: HttpRequest, detainer_id: int, payload: LiftIn) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.detainer_lift(
        actor=user,
        detainer=d,
        reason=payload.reason.value,
        note_text=payload.note,
        **via(user, "detainer_lift", payload),
    )
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/neutral-review",
    response=responses({200: DetainerOut}),
    summary="Record the neutral probable-cause review",
    auth=need("detainers:write"),
)
def detainers_neutral_review(request: HttpRequest, detainer_id: int, payload: NeutralReviewIn) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.detainer_record_neutral_review(actor=user, detainer=d, result=payload.result, reason=payload.reason)
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/transfer-custody",
    response=responses({200: DetainerOut}),
    summary="The agency takes physical custody",
    auth=need("detainers:write"),
)
def detainers_transfer_custody(
    request: HttpRequest, detainer_id: int, payload: RecordedIn | None = None
) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.detainer_transfer_custody(actor=user, detainer=d, **via(user, "detainer_transfer_custody", payload))
    return _fresh(request, d.pk)


@router.post(
    "/detainers/{int:detainer_id}/notifications",
    response=responses({200: DetainerOut}),
    summary="The LEA notifies the agency of a release or transfer",
    auth=need("detainers:write"),
)
def detainers_notify(request: HttpRequest, detainer_id: int, payload: NotificationIn) -> DetainerOut:
    user, d = _get(request, detainer_id)
    ds.notification_send(
        actor=user,
        detainer=d,
        kind=payload.kind,
        expected_release_at=payload.expected_release_at,
        **via(user, "notification_send", payload),
    )
    return _fresh(request, d.pk)
