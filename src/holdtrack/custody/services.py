"""Custody services: subjects, bookings and their release events, identity matches, citizenship claims.

Release eligibility and release are facts recorded here; the detainer consequences (hold start, outcome)
follow in the same transaction through ``cases.services.detainers``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES, Role, User
from holdtrack.accounts.services import system_user
from holdtrack.audit.models import CaseType, Channel
from holdtrack.audit.services import audit_record, transition_record
from holdtrack.cases.services import detainers as detainer_services
from holdtrack.cases.services._base import locked, require, require_lea_party, step, when
from holdtrack.core.errors import GuardRefused, InvalidTransition, ValidationFailed
from holdtrack.custody.models import (
    Booking,
    ChargeLevel,
    CitizenshipClaim,
    ClaimBasis,
    ClaimStatus,
    IdentityMatch,
    MatchBasis,
    ReleaseEligibilityReason,
    ReleaseType,
    Subject,
    SubjectIdentifier,
)
from holdtrack.jurisdictions.models import Facility, LawEnforcementAgency

US_NAMES = {"united states", "usa", "us", "u.s.", "united states of america"}


def subject_create(
    *,
    actor: User,
    first_name: str,
    last_name: str,
    date_of_birth: date | None = None,
    sex: str = "U",
    birth_country: str = "",
    citizenship_country: str = "",
    middle_name: str = "",
    preferred_language: str = "en",
    identifiers: dict[str, str] | None = None,
) -> Subject:
    with transaction.atomic():
        s = Subject.objects.create(
            first_name=first_name,
            middle_name=middle_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            sex=sex,
            birth_country=birth_country,
            citizenship_country=citizenship_country,
            preferred_language=preferred_language,
        )
        for kind, value in (identifiers or {}).items():
            SubjectIdentifier.objects.create(subject=s, type=kind, value=value)
        audit_record(actor=actor, action="subject.create", entity_type="subject", entity_id=s.pk)
        return s


def _citizenship_indicated(b: Booking) -> str | None:
    if b.citizenship_asserted:
        return ClaimBasis.ASSERTED
    if b.us_passport_on_file:
        return ClaimBasis.US_PASSPORT
    if b.stated_birth_country.strip().lower() in US_NAMES:
        return ClaimBasis.US_BIRTHPLACE
    return None


def booking_create(
    *,
    actor: User,
    subject: Subject,
    facility: Facility,
    booking_number: str,
    booked_at: datetime,
    charge_level: str = ChargeLevel.MISDEMEANOR,
    charges: list[dict[str, Any]] | None = None,
    serious_conviction: bool = False,
    projected_release_at: datetime | None = None,
    stated_birth_country: str = "",
    us_passport_on_file: bool = False,
    citizenship_asserted: bool = False,
    fbi_number: str = "",
    channel: str = Channel.PORTAL,
) -> Booking:
    lea: LawEnforcementAgency = facility.operator
    require_lea_party(actor, lea.pk, "record a booking", channel=channel)
    with transaction.atomic():
        b, created = Booking.objects.get_or_create(
            custodian=lea,
            booking_number=booking_number,
            defaults=dict(
                subject=subject,
                facility=facility,
                booked_at=booked_at,
                charge_level=charge_level,
                charges=charges or [],
                serious_conviction=serious_conviction,
                projected_release_at=projected_release_at,
                stated_birth_country=stated_birth_country,
                us_passport_on_file=us_passport_on_file,
                citizenship_asserted=citizenship_asserted,
                fbi_number=fbi_number.strip(),
            ),
        )
        if not created:
            return b  # re-sent booking: idempotent by agency + booking number
        transition_record(
            case_type=CaseType.BOOKING,
            case_id=b.pk,
            name="book",
            source="",
            target="IN_CUSTODY",
            actor=actor,
            at=booked_at,
            channel=channel,
            data={"facility_code": facility.code, "custodian_ori": lea.ori},
        )
        audit_record(actor=actor, action="booking.create", entity_type="booking", entity_id=b.pk, at=booked_at)
        basis = _citizenship_indicated(b)
        if basis:
            citizenship_claim_open(
                actor=system_user(), subject=subject, basis=basis, at=booked_at, channel=Channel.SYSTEM
            )
        return b


def booking_record_release_eligibility(
    *,
    actor: User,
    booking: Booking,
    at: datetime,
    reason: str,
    channel: str = Channel.PORTAL,
) -> Booking:
    """Bond posted, PR ordered, charges dismissed, sentence served …: the moment the person would be released
    but for a detainer. This event starts any hold ceiling."""
    if reason not in ReleaseEligibilityReason.values:
        raise ValidationFailed(f"Unknown release-eligibility reason {reason!r}.")
    with transaction.atomic():
        locked(Subject, booking.subject_id)
        b = locked(Booking, booking.pk)
        require_lea_party(actor, b.custodian_id, "record release eligibility", channel=channel)
        if b.released_at is not None:
            raise InvalidTransition("The subject has already been released from this booking.")
        if b.release_eligible_at is not None:
            raise InvalidTransition(f"Release eligibility was already recorded at {b.release_eligible_at.isoformat()}.")
        if at < b.booked_at:
            raise ValidationFailed("Release eligibility cannot precede the booking.")
        b.release_eligible_at, b.release_eligibility_reason = at, reason
        b.save(update_fields=["release_eligible_at", "release_eligibility_reason"])
        transition_record(
            case_type=CaseType.BOOKING,
            case_id=b.pk,
            name="release_eligible",
            source="IN_CUSTODY",
            target="IN_CUSTODY",
            actor=actor,
            at=at,
            channel=channel,
            data={"reason": reason},
        )
        audit_record(actor=actor, action="booking.release_eligible", entity_type="booking", entity_id=b.pk, at=at)
        detainer_services.on_release_eligibility(b, at)
        return b


def booking_release(
    *,
    actor: User,
    booking: Booking,
    at: datetime,
    release_type: str,
    released_to: LawEnforcementAgency | None = None,
    channel: str = Channel.PORTAL,
    _skip_party_check: bool = False,
) -> Booking:
    if release_type not in ReleaseType.values:
        raise ValidationFailed(f"Unknown release type {release_type!r}.")
    # Apply any hold ceiling that passed before this release, so the outcome reflects it.
    for d in booking.detainers.filter(state="HOLD_IN_EFFECT"):
        detainer_services.detainer_expire_if_due(d, now=at)
    with transaction.atomic():
        b = locked(Booking, booking.pk)
        if not _skip_party_check:
            require_lea_party(actor, b.custodian_id, "record a release", channel=channel)
        if b.released_at is not None:
            raise InvalidTransition(f"Already released at {b.released_at.isoformat()}.")
        if at < b.booked_at:
            raise ValidationFailed("A release cannot precede the booking.")
        if release_type == ReleaseType.TRANSFER_TO_AGENCY and released_to is None:
            raise ValidationFailed("A transfer to another agency names that agency.")
        b.released_at, b.release_type, b.released_to = at, release_type, released_to
        b.save(update_fields=["released_at", "release_type", "released_to"])
        transition_record(
            case_type=CaseType.BOOKING,
            case_id=b.pk,
            name="release",
            source="IN_CUSTODY",
            target="RELEASED",
            actor=actor,
            at=at,
            channel=channel,
            data={"release_type": release_type, "released_to_ori": released_to.ori if released_to else None},
        )
        audit_record(actor=actor, action="booking.release", entity_type="booking", entity_id=b.pk, at=at)
        detainer_services.on_release(b, at, release_type)
        return b


# ------------------------------------------------------------------------------------------- matching


def identity_match_propose(
    *,
    actor: User,
    booking: Booking,
    subject: Subject,
    basis: str,
    at: datetime | None = None,
    score: float | None = None,
    model_version: str = "",
    explanation: dict[str, Any] | None = None,
) -> IdentityMatch:
    at = when(at)
    if basis not in MatchBasis.values:
        raise ValidationFailed(f"Unknown match basis {basis!r}.")
    with transaction.atomic():
        m, created = IdentityMatch.objects.get_or_create(
            booking=booking,
            subject=subject,
            defaults=dict(
                basis=basis, score=score, model_version=model_version, explanation=explanation or {}, proposed_at=at
            ),
        )
        if created:
            transition_record(
                case_type=CaseType.IDENTITY_MATCH,
                case_id=m.pk,
                name="propose",
                source="",
                target=m.status,
                actor=actor,
                at=at,
                data={"basis": basis, "score": score, "model_version": model_version},
            )
        return m


def identity_match_review(
    *, actor: User, match: IdentityMatch, confirm: bool, reason: str, at: datetime | None = None
) -> IdentityMatch:
    """A named officer confirms or rejects; the model version and explanation stay with the decision."""
    at = when(at)
    require(actor, AGENCY_ROLES - {Role.AGENCY_COUNSEL}, "review an identity match")
    if actor.role == Role.SYSTEM:
        raise GuardRefused("A match is confirmed by a named person, never by the system.", rule="R-MATCH-CONFIRMED v1")
    if not reason.strip():
        raise ValidationFailed("A reason is required to confirm or reject a match.")
    with transaction.atomic():
        m = locked(IdentityMatch, match.pk)
        m.reviewed_by, m.reviewed_at, m.review_reason = actor, at, reason
        step(
            m,
            "confirm" if confirm else "reject",
            case_type=CaseType.IDENTITY_MATCH,
            actor=actor,
            at=at,
            reason=reason,
            data={"model_version": m.model_version, "score": m.score, "basis": m.basis},
        )
        if confirm:
            # The booking says U.S. citizen (domain.md C2): the confirmed registry subject gets a claim, which
            # freezes holds. Raised by the rule, so by the system account, as at booking time.
            # A claim this booking already raised for the subject (booked person = matched subject) stands.
            basis = _citizenship_indicated(m.booking)
            raised = CitizenshipClaim.objects.filter(subject_id=m.subject_id, raised_at__gte=m.booking.booked_at)
            if basis and not raised.exists():
                citizenship_claim_open(
                    actor=system_user(), subject=m.subject, basis=basis, at=at, channel=Channel.SYSTEM
                )
        return m


# ---------------------------------------------------------------------------------------- citizenship


def citizenship_claim_open(
    *,
    actor: User,
    subject: Subject,
    basis: str,
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
) -> CitizenshipClaim:
    """Any party may raise a claim; booking data indicating U.S. citizenship raises one automatically.
    Every hold on the subject is frozen at once (domain.md B3.1 D7)."""
    at = when(at)
    if basis not in ClaimBasis.values:
        raise ValidationFailed(f"Unknown claim basis {basis!r}.")
    require(actor, AGENCY_ROLES | LEA_ROLES, "raise a citizenship claim")
    with transaction.atomic():
        locked(Subject, subject.pk)  # lock order subject → case, shared with the hold guards
        existing = CitizenshipClaim.objects.select_for_update().filter(subject=subject, status=ClaimStatus.OPEN).first()
        if existing is not None:
            return existing
        claim = CitizenshipClaim.objects.create(subject=subject, basis=basis, raised_at=at, raised_by=actor)
        transition_record(
            case_type=CaseType.CITIZENSHIP_CLAIM,
            case_id=claim.pk,
            name="open",
            source="",
            target=claim.status,
            actor=actor,
            at=at,
            channel=channel,
            data={"basis": basis, "subject_id": subject.pk},
        )
        audit_record(
            actor=actor, action="citizenship_claim.open", entity_type="citizenship_claim", entity_id=claim.pk, at=at
        )
        detainer_services.on_citizenship_claim(subject, at, claim.pk)
        return claim


def citizenship_claim_resolve(
    *,
    actor: User,
    claim: CitizenshipClaim,
    verified_citizen: bool,
    notes: str,
    at: datetime | None = None,
) -> CitizenshipClaim:
    at = when(at)
    require(actor, {Role.AGENCY_SUPERVISOR}, "resolve a citizenship claim")
    if not notes.strip():
        raise ValidationFailed("Resolution notes are required.")
    with transaction.atomic():
        locked(Subject, claim.subject_id)
        c = locked(CitizenshipClaim, claim.pk)
        c.resolved_at, c.resolution_notes = at, notes
        step(
            c,
            "verify_citizen" if verified_citizen else "verify_noncitizen",
            case_type=CaseType.CITIZENSHIP_CLAIM,
            actor=actor,
            at=at,
            reason=notes,
        )
        detainer_services.on_citizenship_resolved(c.subject, at, actor, verified_citizen, c.pk)
        return c
