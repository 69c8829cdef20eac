"""Booking feed (issue 3): an LEA's jail system reports bookings and release events for its own agency.

Idempotent by agency ORI + booking number (+ event): a re-sent booking or event answers 200 with the stored
record; a conflicting re-send (another time for the same event) is a 409.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import partial
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import AuthorizationError

from holdtrack.accounts.models import User
from holdtrack.api.auth import actor, need
from holdtrack.api.errors import COMMON, field_error, responses
from holdtrack.api.pagination import Keys, Page, PageParams, Rows, page_of_rows, values_of
from holdtrack.api.types import AwareDatetime
from holdtrack.audit.models import Channel
from holdtrack.core.errors import InvalidTransition, ValidationFailed
from holdtrack.core.rows import read_one
from holdtrack.core.text import a_number
from holdtrack.custody import services as custody
from holdtrack.custody.access import booking_get_for_user, booking_keys_in, booking_scope, bookings_in
from holdtrack.custody.models import (
    Booking,
    ChargeLevel,
    ReleaseEligibilityReason,
    ReleaseType,
    Sex,
)
from holdtrack.intake.bookings import BookedPerson, BookingFacts, Screening, bookings_intake
from holdtrack.jurisdictions.models import Facility, LawEnforcementAgency

log = logging.getLogger(__name__)
router = Router(tags=["bookings"])


class ChargeIn(Schema):
    code: str = Field("", max_length=40)
    description: str = Field("", max_length=200)
    type: str = Field("", max_length=24, description="Charge type, e.g. 'drug', 'dui', 'violent'")


class BookingIn(Schema):
    agency_ori: str = Field(..., min_length=7, max_length=9, pattern=r"^[A-Za-z0-9]+$")
    booking_number: str = Field(..., min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
    booked_at: AwareDatetime = Field(..., description="ISO 8601 with a zone offset")
    facility_code: str = Field(..., min_length=1, max_length=12)
    first_name: str = Field(..., min_length=1, max_length=80)
    middle_name: str = Field("", max_length=80)
    last_name: str = Field(..., min_length=1, max_length=120)
    second_last_name: str = Field("", max_length=120, description="A second surname, where the jail records one")
    date_of_birth: date | None = None
    sex: Sex = Sex.UNKNOWN
    birth_country: str = Field("", max_length=80)
    charge_level: ChargeLevel = ChargeLevel.MISDEMEANOR
    charges: list[ChargeIn] = Field(default_factory=list, max_length=50)
    serious_conviction: bool = False
    projected_release_at: AwareDatetime | None = None
    fbi_number: str = Field("", max_length=20, description="FBI universal control number, if known")
    a_number: str = Field(
        "",
        max_length=12,
        pattern=r"^[Aa]?[0-9 -]*$",
        description="A-number, if known: 8 or 9 digits, e.g. A123-456-789",
    )
    us_passport_on_file: bool = False
    citizenship_asserted: bool = False


class ScreeningOut(Schema):
    status: str = Field(
        ...,
        description="'screened' (biometric only, model_version empty, until a model is trained), or 'pending': "
        "the booking is recorded and screening runs again later",
    )
    proposed_matches: int
    model_version: str = ""


class BookingOut(Schema):
    id: int
    agency_ori: str
    booking_number: str
    facility_code: str
    subject_id: int
    person_id: int | None = Field(
        None, description="The person the booked record belongs to once a match is confirmed (see /subjects/{id})"
    )
    booked_at: datetime
    charge_level: str
    charges: list[dict[str, Any]]
    release_eligible_at: datetime | None
    release_eligibility_reason: str
    released_at: datetime | None
    release_type: str
    released_to_ori: str | None
    fbi_number: str
    a_number: str = Field("", description="The A-number as stored: 9 digits, or empty")
    created: bool = Field(False, description="True when this request created the record")
    screening: ScreeningOut | None = None


class BatchOut(Schema):
    created: int
    existing: int
    results: list[BookingOut]


class ReleaseEligibilityIn(Schema):
    at: AwareDatetime
    reason: ReleaseEligibilityReason


class ReleaseIn(Schema):
    at: AwareDatetime
    release_type: ReleaseType


class TransferIn(Schema):
    at: AwareDatetime
    to_agency_ori: str = Field(..., min_length=7, max_length=9)


class BookingFilters(PageParams):
    in_custody: bool | None = None
    booked_after: AwareDatetime | None = None
    booked_before: AwareDatetime | None = None
    facility_code: str | None = Field(None, max_length=12)


# Where each field of BookingOut is read: the booking's own column, or a relation's (``__``).
_OUT_PATHS = {
    **{name: name for name in BookingOut.model_fields if name not in {"created", "screening"}},
    "agency_ori": "custodian__ori",
    "facility_code": "facility__code",
    "person_id": "subject__person_id",
    "released_to_ori": "released_to__ori",
}


def _out(values: dict[str, Any], created: bool, screening: ScreeningOut | None) -> BookingOut:
    # Built without validating: every value is the model field's own (as DetainerOut, issue 12).
    return BookingOut.model_construct(
        **{**values, "charges": list(values["charges"] or [])}, created=created, screening=screening
    )


def booking_out(b: Booking, *, created: bool = False, screening: ScreeningOut | None = None) -> BookingOut:
    return _out(values_of(b, _OUT_PATHS), created, screening)


def booking_out_row(row: dict[str, Any]) -> dict[str, Any]:
    """A list item's values (BookingOut's fields, in order) from a row of ``values(*_OUT_PATHS.values())``: no
    model instances, no schema objects (ADR 0048)."""
    out = {name: row[path] for name, path in _OUT_PATHS.items()}
    out["charges"] = list(out["charges"] or [])
    out["created"] = False
    out["screening"] = None
    return out


# ------------------------------------------------------------------------------------------- creation


def _screening_out(screening: Screening | None) -> ScreeningOut | None:
    if screening is None:
        return None
    return ScreeningOut(
        status=screening.status, proposed_matches=screening.proposed_matches, model_version=screening.model_version
    )


def _own_agency(user: User, payload: BookingIn, index: int | None) -> tuple[LawEnforcementAgency, Facility]:
    where = "" if index is None else f"item {index}: "
    org = user.organization
    own_id = org.lea_id if org is not None else None
    # The facility with its operator and the operator's jurisdiction, which the booking's area and parties read
    # (one statement compiled once, instead of three lookups compiled each time; issue 12).
    facility = read_one(
        ("api.facility_by_code",),
        lambda code: Facility.objects.select_related("operator__jurisdiction").filter(code=code),
        payload.facility_code.upper(),
    )
    own: LawEnforcementAgency | None
    if own_id is not None and facility is not None and facility.operator_id == own_id:
        own = facility.operator
    else:
        own = org.lea if org is not None and own_id else None
    if own is None or own.ori != payload.agency_ori.upper():
        raise AuthorizationError(message=f"{where}this client may only report bookings of its own agency.")
    if facility is None:
        raise field_error(
            ("" if index is None else f"{index}.") + "facility_code",
            f"{where}no facility with code {payload.facility_code!r}.",
        )
    if facility.operator_id != own.pk:
        raise AuthorizationError(message=f"{where}facility {facility.code} is not operated by {own.ori}.")
    return own, facility


def _intake_item(user: User, payload: BookingIn, index: int | None) -> tuple[BookedPerson, BookingFacts]:
    _, facility = _own_agency(user, payload, index)
    anum = a_number(payload.a_number)
    if anum is None:
        raise field_error(
            ("" if index is None else f"{index}.") + "a_number",
            f"{'' if index is None else f'item {index}: '}not an A-number (8 or 9 digits, e.g. A123-456-789).",
        )
    person = BookedPerson(
        first_name=payload.first_name,
        middle_name=payload.middle_name,
        last_name=payload.last_name,
        second_last_name=payload.second_last_name,
        date_of_birth=payload.date_of_birth,
        sex=payload.sex,
        birth_country=payload.birth_country,
    )
    facts = BookingFacts(
        facility=facility,
        booking_number=payload.booking_number,
        booked_at=payload.booked_at,
        charge_level=payload.charge_level,
        charges=[c.model_dump(exclude_defaults=True) for c in payload.charges],
        serious_conviction=payload.serious_conviction,
        projected_release_at=payload.projected_release_at,
        stated_birth_country=payload.birth_country,
        us_passport_on_file=payload.us_passport_on_file,
        citizenship_asserted=payload.citizenship_asserted,
        fbi_number=payload.fbi_number or "",
        a_number=anum,
    )
    return person, facts


@router.post(
    "/bookings",
    response=responses({200: BatchOut | BookingOut, 201: BookingOut}, (*COMMON, 409)),
    summary="Report one booking, or a batch (a JSON list)",
    openapi_extra={"description": "Idempotent by agency ORI + booking number: a re-sent booking answers 200."},
    auth=need("bookings:write"),
)
def bookings_create(request: HttpRequest, payload: BookingIn | list[BookingIn]) -> Any:
    user = actor(request, "bookings:write")
    batch = isinstance(payload, list)
    items = payload if isinstance(payload, list) else [payload]
    if batch and not 1 <= len(items) <= 1000:
        raise ValidationFailed("A batch holds 1 to 1000 bookings.")
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        key = (item.agency_ori.upper(), item.booking_number)
        if key in seen:
            raise field_error(
                f"{i}.booking_number", f"item {i}: booking {item.booking_number} repeats an earlier item."
            )
        seen.add(key)
    # The booking intake records a batch whole or not at all (a retry then starts clean) and screens the new
    # bookings once they are committed.
    taken = bookings_intake(
        actor=user,
        items=[_intake_item(user, item, i if batch else None) for i, item in enumerate(items)],
        channel=Channel.PORTAL,
    )
    out = [booking_out(t.booking, created=t.created, screening=_screening_out(t.screening)) for t in taken]
    if batch:
        created = sum(t.created for t in taken)
        return Status(200, BatchOut(created=created, existing=len(out) - created, results=out))
    return Status((201 if out[0].created else 200), out[0])


# --------------------------------------------------------------------------------------------- reads


@router.get(
    "/bookings",
    response=responses({200: Page[BookingOut]}, COMMON),
    summary="Bookings in your scope",
    auth=need("bookings:read"),
)
def bookings_list(request: HttpRequest, filters: Query[BookingFilters]) -> Any:
    user = actor(request, "bookings:read")
    rule, scope_id = booking_scope(user)
    rows = Rows(("custody.booking", rule), partial(bookings_in, rule), (scope_id,))
    in_custody, facility = filters.in_custody, (filters.facility_code or "").upper()

    # Keys by the area copied on each booking (one index range), rows through the access rule (ADR 0044). The
    # filters given are named in the key and their values passed to the statement, compiled once per shape.
    def build(scope: int, *code: str) -> QuerySet[Booking]:
        qs = booking_keys_in(rule, scope)
        if in_custody is not None:
            qs = qs.filter(released_at__isnull=in_custody)
        if code:
            qs = qs.filter(facility__code=code[0])
        return qs.order_by("-booked_at", "pk")

    keys = Keys(
        Booking,
        ("custody.booking", rule, in_custody, bool(facility)),
        build,
        (scope_id, facility) if facility else (scope_id,),
    )
    if not (filters.booked_after or filters.booked_before):
        return page_of_rows(keys, filters, _OUT_PATHS.values(), booking_out_row, rows)
    qs = keys.queryset()  # a datetime cannot stand in for a value: this shape is compiled every time
    if filters.booked_after:
        qs = qs.filter(booked_at__gte=filters.booked_after)
    if filters.booked_before:
        qs = qs.filter(booked_at__lt=filters.booked_before)
    return page_of_rows(qs, filters, _OUT_PATHS.values(), booking_out_row, rows)


@router.get(
    "/bookings/{agency}/{booking_number}",
    response=responses({200: BookingOut}, COMMON),
    summary="One booking",
    auth=need("bookings:read"),
)
def bookings_detail(request: HttpRequest, agency: str, booking_number: str) -> BookingOut:
    user = actor(request, "bookings:read")
    return booking_out(booking_get_for_user(user, agency, booking_number))


# -------------------------------------------------------------------------------------------- events


@router.post(
    "/bookings/{agency}/{booking_number}/release-eligibility",
    response=responses({200: BookingOut}),
    summary="Record release eligibility (bond posted, charges dismissed …); starts any hold ceiling",
    auth=need("bookings:write"),
)
def bookings_release_eligibility(
    request: HttpRequest, agency: str, booking_number: str, payload: ReleaseEligibilityIn
) -> BookingOut:
    user = actor(request, "bookings:write")
    b = booking_get_for_user(user, agency, booking_number)
    if b.release_eligible_at is not None:
        if b.release_eligible_at == payload.at and b.release_eligibility_reason == payload.reason:
            return booking_out(b)  # re-sent event
        raise InvalidTransition(f"Release eligibility was already recorded at {b.release_eligible_at.isoformat()}.")
    b = custody.booking_record_release_eligibility(actor=user, booking=b, at=payload.at, reason=payload.reason)
    return booking_out(booking_get_for_user(user, agency, booking_number), created=True)


def _released(b: Booking, at: datetime, release_type: str, to_ori: str | None) -> bool:
    """True when the same release was already recorded (a re-sent event)."""
    if b.released_at is None:
        return False
    same_to = (b.released_to.ori if b.released_to else None) == to_ori
    if b.released_at == at and b.release_type == release_type and same_to:
        return True
    raise InvalidTransition(f"Already released at {b.released_at.isoformat()}.")


@router.post(
    "/bookings/{agency}/{booking_number}/release",
    response=responses({200: BookingOut}),
    summary="Record the release from custody",
    auth=need("bookings:write"),
)
def bookings_release(request: HttpRequest, agency: str, booking_number: str, payload: ReleaseIn) -> BookingOut:
    user = actor(request, "bookings:write")
    b = booking_get_for_user(user, agency, booking_number)
    if payload.release_type in (ReleaseType.TRANSFER_TO_AGENCY, ReleaseType.TRANSFER_TO_ICE):
        raise field_error(
            "release_type",
            "Transfers have their own endpoints: /transfer (another LEA) or the detainer's transfer-custody.",
        )
    if _released(b, payload.at, payload.release_type, None):
        return booking_out(b)
    custody.booking_release(actor=user, booking=b, at=payload.at, release_type=payload.release_type)
    return booking_out(booking_get_for_user(user, agency, booking_number), created=True)


@router.post(
    "/bookings/{agency}/{booking_number}/transfer",
    response=responses({200: BookingOut}),
    summary="Record a transfer of custody to another law enforcement agency",
    auth=need("bookings:write"),
)
def bookings_transfer(request: HttpRequest, agency: str, booking_number: str, payload: TransferIn) -> BookingOut:
    user = actor(request, "bookings:write")
    b = booking_get_for_user(user, agency, booking_number)
    to = LawEnforcementAgency.objects.filter(ori=payload.to_agency_ori.upper()).first()
    if to is None:
        raise field_error("to_agency_ori", f"No agency with ORI {payload.to_agency_ori!r}.")
    if _released(b, payload.at, ReleaseType.TRANSFER_TO_AGENCY, to.ori):
        return booking_out(b)
    custody.booking_release(
        actor=user, booking=b, at=payload.at, release_type=ReleaseType.TRANSFER_TO_AGENCY, released_to=to
    )
    return booking_out(booking_get_for_user(user, agency, booking_number), created=True)
