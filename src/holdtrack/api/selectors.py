"""Scoped reads the UI's access module does not cover (bookings, matches, claims, subjects).

Built on the same scope rules as ``cases/access.py``: an LEA sees its own custody records, an agency office
its area of responsibility; a missing and a forbidden record look alike (``NotFound``). Reads of a
subject's personal data write an access event.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from holdtrack.audit.models import CaseType
from holdtrack.audit.services import audit_record
from holdtrack.cases.access import _agency_org, _as_pk, _lea_org, detainers_for_user, subpoenas_for_user
from holdtrack.core.errors import NotFound
from holdtrack.custody.models import Booking, CitizenshipClaim, IdentityMatch, Subject


def bookings_for_user(user: Any) -> QuerySet[Booking]:
    qs = Booking.objects.all()
    lea = _lea_org(user)
    if lea is not None:
        return qs.filter(custodian_id=lea.lea_id)
    agency = _agency_org(user)
    if agency is not None:
        # Bookings in jails of the office's area (the screening front of the chain).
        return qs.filter(custodian__jurisdiction__aor_id=agency.aor_id)
    return qs.none()


def booking_get_for_user(user: Any, ori: str, booking_number: str) -> Booking:
    b = (
        bookings_for_user(user)
        .select_related("custodian", "facility", "released_to")
        .filter(custodian__ori=ori.upper(), booking_number=booking_number)
        .first()
    )
    if b is None:
        raise NotFound("Booking not found.")
    return b


def matches_for_user(user: Any) -> QuerySet[IdentityMatch]:
    """Identity matches are the agency's work: its officers review the bookings of its area."""
    if _agency_org(user) is None:
        return IdentityMatch.objects.none()
    return IdentityMatch.objects.filter(booking__in=bookings_for_user(user).values("pk"))


def match_get_for_user(user: Any, pk: Any) -> IdentityMatch:
    m = matches_for_user(user).select_related("booking__custodian", "subject").filter(pk=_as_pk(pk)).first()
    if m is None:
        raise NotFound("Identity match not found.")
    audit_record(actor=user, action="identity_match.view", entity_type=CaseType.IDENTITY_MATCH, entity_id=m.pk)
    return m


def subjects_for_user(user: Any) -> QuerySet[Subject]:
    """Subjects the user meets through a booking, detainer or subpoena in scope (or a match to review)."""
    return Subject.objects.filter(
        Q(pk__in=bookings_for_user(user).values("subject_id"))
        | Q(pk__in=detainers_for_user(user).values("subject_id"))
        | Q(pk__in=subpoenas_for_user(user).values("subject_id"))
        | Q(pk__in=matches_for_user(user).values("subject_id"))
    )


def subject_get_for_user(user: Any, pk: Any) -> Subject:
    s = subjects_for_user(user).filter(pk=_as_pk(pk)).first()
    if s is None:
        raise NotFound("Subject not found.")
    audit_record(actor=user, action="subject.view", entity_type="subject", entity_id=s.pk, data={"via": "api"})
    return s


def claims_for_user(user: Any) -> QuerySet[CitizenshipClaim]:
    """Claims on the subjects in scope and on the other records of their persons: a party that sees the booked
    record sees the claim that froze the hold on the registry record."""
    scope = subjects_for_user(user)
    persons = scope.filter(person__isnull=False).values("person_id")
    return CitizenshipClaim.objects.filter(Q(subject__in=scope.values("pk")) | Q(subject__person_id__in=persons))


def claim_get_for_user(user: Any, pk: Any) -> CitizenshipClaim:
    c = claims_for_user(user).filter(pk=_as_pk(pk)).first()
    if c is None:
        raise NotFound("Citizenship claim not found.")
    audit_record(actor=user, action="citizenship_claim.view", entity_type=CaseType.CITIZENSHIP_CLAIM, entity_id=c.pk)
    return c
