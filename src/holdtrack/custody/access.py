"""Access functions for custody records: bookings, identity matches, subjects and citizenship claims.

The one place these reads are scoped (``cases/access.py`` is its counterpart for cases); the API, the desks and
screening read custody records only through here. Scope by role and organization (``accounts.scope``):

- an LEA role sees the bookings of its own agency (it is the custodian);
- an agency role sees the bookings in the jails of its office's area of responsibility, and the identity
  matches on them: reviewing a match is the agency's work, so no other role sees matches;
- a subject is seen by whoever meets it through a booking or match in scope, or through a record of a higher
  app that registered a source (``register_subject_source``: cases adds the detainers and subpoenas in scope);
- a claim is seen with its subject, and also from the other records of the same person (a confirmed match links
  the booked and the registry record as one person), so a party that sees the booked record sees the claim
  that froze the hold on the registry record;
- analysts, auditors, administrators, the system account and anonymous visitors see none of it.

``*_get_for_user`` raises :class:`~holdtrack.core.errors.NotFound` alike for a missing and a forbidden record,
so ids cannot be probed. Reads that show a subject's personal data (a match, a subject, a claim) write an
access event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

from holdtrack.accounts.scope import AnyUser, agency_org, as_pk, lea_org
from holdtrack.audit.models import CaseType
from holdtrack.audit.services import audit_record
from holdtrack.core.errors import NotFound
from holdtrack.core.rows import one_or_none
from holdtrack.custody.models import Booking, CitizenshipClaim, IdentityMatch, Subject

# ------------------------------------------------------------------------------------------------ bookings


def booking_scope(user: AnyUser) -> tuple[str, int]:
    """The rule of ``bookings_for_user`` and its id, apart, so that a statement can be compiled once per rule
    (``bookings_in``, ``core.rows``): an LEA's by its agency, an agency office's by its area."""
    lea = lea_org(user)
    if lea is not None and lea.lea_id is not None:
        return "lea", lea.lea_id
    agency = agency_org(user)
    if agency is not None and agency.aor_id is not None:
        return "area", agency.aor_id
    return "none", 0


def bookings_in(rule: str, scope_id: int) -> QuerySet[Booking]:
    if rule == "lea":
        return Booking.objects.filter(custodian_id=scope_id)
    if rule == "area":
        # Bookings in jails of the office's area (the screening front of the chain).
        return Booking.objects.filter(custodian__jurisdiction__aor_id=scope_id)
    return Booking.objects.none()


def bookings_for_user(user: AnyUser) -> QuerySet[Booking]:
    return bookings_in(*booking_scope(user))


def booking_keys_in(rule: str, scope_id: int) -> QuerySet[Booking]:
    """The bookings a list pages through, for the keys of a page only: an agency office's by the area copied on
    each booking (``custody.areas``), so that its newest bookings are one index range whatever the size of the
    table (ADR 0044); an LEA's by its agency. A page's rows are then read through ``bookings_in``, whose rule
    drops a booking whose copy is stale: the copy can hide a booking from a page, never show one."""
    if rule == "lea":
        return Booking.objects.filter(custodian_id=scope_id)
    if rule == "area":
        return Booking.objects.filter(area_id=scope_id)
    return Booking.objects.none()


def booking_keys_for_user(user: AnyUser) -> QuerySet[Booking]:
    return booking_keys_in(*booking_scope(user))


def booking_get_for_user(user: AnyUser, ori: str, booking_number: str) -> Booking:
    """One booking by its agency's ORI and booking number (the feed's own key)."""
    b = one_or_none(
        bookings_for_user(user)
        .select_related("custodian", "facility", "released_to")
        .filter(custodian__ori=ori.upper(), booking_number=booking_number)
    )
    if b is None:
        raise NotFound("Booking not found.")
    return b


# ---------------------------------------------------------------------------------------- identity matches


def matches_for_user(user: AnyUser) -> QuerySet[IdentityMatch]:
    """Identity matches of any status on the bookings of an agency user's area; nothing for anyone else (the
    review queue, ``screening.selectors.review_queue``, narrows this to the proposed ones)."""
    agency = agency_org(user)
    if agency is None:
        return IdentityMatch.objects.none()
    return IdentityMatch.objects.filter(booking__custodian__jurisdiction__aor_id=agency.aor_id)


def match_get_for_user(user: AnyUser, pk: int | str) -> IdentityMatch:
    """One match, with an access event (it shows a subject's name and date of birth)."""
    m = one_or_none(
        matches_for_user(user)
        .select_related("booking__facility", "booking__custodian", "subject", "reviewed_by")
        .filter(pk=as_pk(pk))
    )
    if m is None:
        raise NotFound("Identity match not found.")
    audit_record(actor=user, action="identity_match.view", entity_type=CaseType.IDENTITY_MATCH, entity_id=m.pk)
    return m


# ------------------------------------------------------------------------------------------------ subjects

# The subject ids a user meets through one app's records, as a ``values("subject_id")`` queryset.
SubjectSource = Callable[[AnyUser], QuerySet[Any]]

# Apps above custody (cases) add their own ways of meeting a subject here at start-up: custody cannot import
# them (layers), and a subject must stay visible to whoever sees a case about it.
_SUBJECT_SOURCES: dict[str, SubjectSource] = {}


def register_subject_source(name: str, source: SubjectSource) -> None:
    """Let users see the subjects of ``source(user)`` (a queryset of subject ids); ``name`` keeps a second
    registration of the same source (a reloaded module) from adding it twice."""
    _SUBJECT_SOURCES[name] = source


def subject_sources() -> list[str]:
    return sorted(_SUBJECT_SOURCES)


def subjects_for_user(user: AnyUser) -> QuerySet[Subject]:
    """Subjects the user meets through a booking in scope, a match to review, or a registered source (the
    detainers and subpoenas in scope). Scoped per record, not per person: the claims widen to the person."""
    seen = Q(pk__in=bookings_for_user(user).values("subject_id")) | Q(
        pk__in=matches_for_user(user).values("subject_id")
    )
    for name in subject_sources():
        seen |= Q(pk__in=_SUBJECT_SOURCES[name](user))
    return Subject.objects.filter(seen)


def subject_get_for_user(user: AnyUser, pk: int | str, *, via: str) -> Subject:
    """One subject, with an access event that names the interface it was read through (``via``)."""
    s = one_or_none(subjects_for_user(user).filter(pk=as_pk(pk)))
    if s is None:
        raise NotFound("Subject not found.")
    audit_record(actor=user, action="subject.view", entity_type="subject", entity_id=s.pk, data={"via": via})
    return s


# -------------------------------------------------------------------------------------- citizenship claims


def claims_for_user(user: AnyUser) -> QuerySet[CitizenshipClaim]:
    """Claims on the subjects in scope and on the other records of their persons: a party that sees the booked
    record sees the claim that froze the hold on the registry record."""
    scope = subjects_for_user(user)
    persons = scope.filter(person__isnull=False).values("person_id")
    return CitizenshipClaim.objects.filter(Q(subject__in=scope.values("pk")) | Q(subject__person_id__in=persons))


def claim_get_for_user(user: AnyUser, pk: int | str) -> CitizenshipClaim:
    """One claim, with an access event."""
    c = one_or_none(claims_for_user(user).filter(pk=as_pk(pk)))
    if c is None:
        raise NotFound("Citizenship claim not found.")
    audit_record(actor=user, action="citizenship_claim.view", entity_type=CaseType.CITIZENSHIP_CLAIM, entity_id=c.pk)
    return c
