"""Custody services: subjects, bookings and their release events, identity matches, citizenship claims.

Release eligibility and release are facts recorded here; custody announces them (``custody.events`` through
``kernel.dispatch``) and the detainer consequences (hold start, outcome) follow in the same transaction through
the handlers the cases app registers. Custody never imports cases.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import connection, transaction

from holdtrack.accounts.models import Role, User
from holdtrack.accounts.services import system_user
from holdtrack.audit.models import CaseType, Channel
from holdtrack.audit.services import audit_record, transition_record
from holdtrack.core.errors import GuardRefused, ValidationFailed
from holdtrack.core.rows import insert_row, read_one
from holdtrack.core.timeutil import birth_date, fact_time
from holdtrack.custody.areas import area_of
from holdtrack.custody.events import (
    BookingReleased,
    BookingReleasing,
    CitizenshipClaimOpened,
    CitizenshipClaimResolved,
    IdentityLinked,
    IdentityUnlinked,
    ReleaseEligibilityRecorded,
)
from holdtrack.custody.identity import link_records, lock_person, person_subject_ids, unlink_records
from holdtrack.custody.models import (
    Booking,
    ChargeLevel,
    CitizenshipClaim,
    ClaimBasis,
    ClaimStatus,
    IdentityLink,
    IdentityMatch,
    MatchBasis,
    ReleaseEligibilityReason,
    ReleaseType,
    Subject,
    SubjectIdentifier,
)
from holdtrack.jurisdictions.models import Facility, LawEnforcementAgency
from holdtrack.kernel.dispatch import announce
from holdtrack.kernel.parties import Authorization, authorize
from holdtrack.kernel.refusals import raise_failed
from holdtrack.kernel.steps import counterpart_marks, locked, step, when

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
    second_last_name: str = "",
    preferred_language: str = "en",
    identifiers: dict[str, str] | None = None,
) -> Subject:
    authorize(actor, "subject_create")
    birth_date(date_of_birth)
    # No savepoint inside a caller's transaction: a failure here fails the caller's write (the booking intake's).
    with transaction.atomic(savepoint=False):
        s = insert_row(
            Subject(
                first_name=first_name,
                middle_name=middle_name,
                last_name=last_name,
                second_last_name=second_last_name,
                date_of_birth=date_of_birth,
                sex=sex,
                birth_country=birth_country,
                citizenship_country=citizenship_country,
                preferred_language=preferred_language,
            )
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


def booking_number_lock(lea_pk: int, booking_number: str) -> None:
    """Serialises concurrent sends of the same booking (agency + booking number) until the transaction ends, so
    one re-sent while the first send is still in flight finds it instead of a second booked record. Other
    bookings of the agency do not wait: a lock on the agency row made all of its writers queue behind the
    slowest transaction (issue 12, the mixed load). Taken again in the same transaction, it is granted at once."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # The key's prefix keeps it apart from any other advisory lock.
            key = f"holdtrack.booking:{lea_pk}:{booking_number}"
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
        return
    # SQLite: writers already hold the database's write lock (transaction_mode IMMEDIATE); the row lock is kept
    # for any other backend.
    LawEnforcementAgency.objects.select_for_update().filter(pk=lea_pk).first()


def booking_by_number(lea_pk: int, booking_number: str) -> Booking | None:
    """The agency's booking of that number, or None (the statement compiled once: every posted booking asks)."""
    return read_one(
        ("custody.booking_by_number",),
        lambda lea, number: Booking.objects.filter(custodian_id=lea, booking_number=number),
        lea_pk,
        booking_number,
    )


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
    a_number: str = "",
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Booking:
    lea: LawEnforcementAgency = facility.operator
    fact_time(booked_at, "Booking time")
    if projected_release_at is not None and projected_release_at < booked_at:
        raise ValidationFailed("The projected release cannot precede the booking.")
    g = authorize(actor, "booking_create", facility, channel=channel, document=source_document)
    with transaction.atomic(savepoint=False):
        # Under the booking number's lock no one else records this number until we commit: a lookup, then a
        # plain insert (get_or_create's savepoint and its compiling cost a sixth of an API booking; issue 12).
        booking_number_lock(lea.pk, booking_number)
        existing = booking_by_number(lea.pk, booking_number)
        if existing is not None:
            return existing  # re-sent booking: idempotent by agency + booking number
        b = insert_row(
            Booking(
                custodian=lea,
                booking_number=booking_number,
                subject=subject,
                facility=facility,
                area_id=area_of(lea),
                booked_at=booked_at,
                charge_level=charge_level,
                charges=charges or [],
                serious_conviction=serious_conviction,
                projected_release_at=projected_release_at,
                stated_birth_country=stated_birth_country,
                us_passport_on_file=us_passport_on_file,
                citizenship_asserted=citizenship_asserted,
                fbi_number=fbi_number.strip(),
                a_number=a_number,
            )
        )
        transition_record(
            case_type=CaseType.BOOKING,
            case_id=b.pk,
            name="book",
            source="",
            target="IN_CUSTODY",
            actor=actor,
            at=booked_at,
            channel=channel,
            data={"facility_code": facility.code, "custodian_ori": lea.ori, **counterpart_marks(g)},
        )
        audit_record(
            actor=actor,
            action="booking.create",
            entity_type="booking",
            entity_id=b.pk,
            at=booked_at,
            data=counterpart_marks(g),
        )
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
    source_document: str = "",
) -> Booking:
    """Bond posted, PR ordered, charges dismissed, sentence served …: the moment the person would be released
    but for a detainer. This event starts any hold ceiling."""
    if reason not in ReleaseEligibilityReason.values:
        raise ValidationFailed(f"Unknown release-eligibility reason {reason!r}.")
    with transaction.atomic():
        lock_person(booking.subject_id)
        b = locked(Booking, booking.pk)
        g = authorize(actor, "booking_record_release_eligibility", b, channel=channel, document=source_document)
        raise_failed("booking_record_release_eligibility", b, at)  # what it checks: custody.rules
        fact_time(at, "Release eligibility", not_before=b.booked_at, not_before_what="the booking")
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
            data={"reason": reason, **counterpart_marks(g)},
        )
        audit_record(
            actor=actor,
            action="booking.release_eligible",
            entity_type="booking",
            entity_id=b.pk,
            at=at,
            data=counterpart_marks(g),
        )
        announce(ReleaseEligibilityRecorded(b, at))
        return b


def booking_release(
    *,
    actor: User,
    booking: Booking,
    at: datetime,
    release_type: str,
    released_to: LawEnforcementAgency | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
    _under: Authorization | None = None,
) -> Booking:
    """``_under``: the authorization of a detainer service that releases the booking as its consequence (the
    agency taking custody under a hold); the jail's own rule is then not asked."""
    if release_type not in ReleaseType.values:
        raise ValidationFailed(f"Unknown release type {release_type!r}.")
    # Any hold ceiling that passed before this release applies first, so the outcome reflects it.
    announce(BookingReleasing(booking, at))
    with transaction.atomic():
        b = locked(Booking, booking.pk)
        g = _under
        if g is None or g.actor_id != actor.pk:
            g = authorize(actor, "booking_release", b, channel=channel, document=source_document)
        raise_failed("booking_release", b, at)  # what it checks: custody.rules
        fact_time(at, "Release", not_before=b.booked_at, not_before_what="the booking")
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
            data={
                "release_type": release_type,
                "released_to_ori": released_to.ori if released_to else None,
                **counterpart_marks(g),
            },
        )
        audit_record(
            actor=actor,
            action="booking.release",
            entity_type="booking",
            entity_id=b.pk,
            at=at,
            data=counterpart_marks(g),
        )
        announce(BookingReleased(b, at, release_type))
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
    authorize(actor, "identity_match_propose", booking)
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
    *,
    actor: User,
    match: IdentityMatch,
    confirm: bool,
    reason: str,
    at: datetime | None = None,
    override_conflict: bool = False,
) -> IdentityMatch:
    """A named officer confirms or rejects; the model version and explanation stay with the decision.

    Confirming joins the booked record and the registry record into one person (ADR 0014). A proposal across
    conflicting FBI numbers is confirmed only by a supervisor who overrides the conflict with a reason."""
    at = when(at)
    if not reason.strip():
        raise ValidationFailed("A reason is required to confirm or reject a match.")
    with transaction.atomic():
        m = locked(IdentityMatch, match.pk, related=("booking__custodian__jurisdiction",))
        g = authorize(actor, "identity_match_review", m)
        if confirm and m.identifier_conflict:
            if actor.role != Role.AGENCY_SUPERVISOR or not override_conflict:
                raise GuardRefused(
                    "The booking's FBI number differs from the registry subject's: only a supervisor may confirm "
                    "this match, overriding the conflict with a reason.",
                    rule="R-IDENTIFIER-CONFLICT v1",
                    citation="brief.md principle 3",
                )
            m.override_by, m.override_reason = actor, reason
        m.reviewed_by, m.reviewed_at, m.review_reason = actor, at, reason
        step(
            m,
            "confirm" if confirm else "reject",
            case_type=CaseType.IDENTITY_MATCH,
            actor=actor,
            grant=g,
            at=at,
            reason=reason,
            data={
                "model_version": m.model_version,
                "score": m.score,
                "basis": m.basis,
                "identifier_conflict": m.identifier_conflict,
                "conflict_overridden": bool(confirm and m.identifier_conflict),
            },
        )
        if not confirm:
            return m
        link = link_records(match=m, actor=actor, at=at)
        if link is not None:
            audit_record(
                actor=actor,
                action="identity.link",
                entity_type="identity_match",
                entity_id=m.pk,
                at=at,
                data={
                    "link_id": link.pk,
                    "booked_subject_id": link.booked_subject_id,
                    "registry_subject_id": link.registry_subject_id,
                    "person_id": Subject.objects.values_list("person_id", flat=True).get(pk=m.subject_id),
                },
            )
            # A claim already open on the booked record now covers the registry record's detainers too.
            announce(IdentityLinked(m.subject_id, at, link.pk))
        # The booking says U.S. citizen (domain.md C2): the person gets a claim, which freezes holds. Raised by
        # the rule, so by the system account, as at booking time. A claim this booking already raised on any
        # record of the person stands.
        basis = _citizenship_indicated(m.booking)
        raised = CitizenshipClaim.objects.filter(
            subject_id__in=person_subject_ids(m.subject_id), raised_at__gte=m.booking.booked_at
        )
        if basis and not raised.exists():
            citizenship_claim_open(actor=system_user(), subject=m.subject, basis=basis, at=at, channel=Channel.SYSTEM)
        return m


def identity_match_revoke(
    *, actor: User, match: IdentityMatch, reason: str, at: datetime | None = None
) -> IdentityMatch:
    """A confirmed match turns out wrong: the records are one person no more. Detainers resting on the match are
    lifted (a hold ends and the LEA is told to release) and the claim guards run again on both records."""
    at = when(at)
    if not reason.strip():
        raise ValidationFailed("A reason is required to revoke a confirmed match.")
    with transaction.atomic():
        m = locked(IdentityMatch, match.pk)
        g = authorize(actor, "identity_match_revoke", m)
        booked_id, registry_id = m.booking.subject_id, m.subject_id
        lock_person(min(booked_id, registry_id))
        lock_person(max(booked_id, registry_id))
        m.reviewed_by, m.reviewed_at, m.review_reason = actor, at, reason
        step(
            m,
            "revoke",
            case_type=CaseType.IDENTITY_MATCH,
            actor=actor,
            grant=g,
            at=at,
            reason=reason,
            data={"model_version": m.model_version, "score": m.score, "basis": m.basis},
        )
        link = IdentityLink.objects.filter(match=m, undone_at__isnull=True).first()
        if link is not None:
            registry_side, booked_side = unlink_records(link=link, actor=actor, at=at, reason=reason)
            audit_record(
                actor=actor,
                action="identity.unlink",
                entity_type="identity_match",
                entity_id=m.pk,
                at=at,
                data={
                    "link_id": link.pk,
                    "registry_subject_ids": registry_side,
                    "booked_subject_ids": booked_side,
                },
            )
        announce(IdentityUnlinked(m.pk, sorted({booked_id, registry_id}), at, actor, g))
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
    authorize(actor, "citizenship_claim_open", subject, channel=channel)
    with transaction.atomic():
        # Lock order person (every record, by id) → case, shared with the hold guards. One open claim per person:
        # a claim already open on another record of the person already froze every hold.
        ids = lock_person(subject.pk)
        existing = (
            CitizenshipClaim.objects.select_for_update()
            .filter(subject_id__in=ids, status=ClaimStatus.OPEN)
            .order_by("pk")
            .first()
        )
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
        announce(CitizenshipClaimOpened(subject.pk, at, claim.pk))
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
    if actor.role not in (Role.AGENCY_SUPERVISOR, Role.SYSTEM):  # the role first, before the notes
        authorize(actor, "citizenship_claim_resolve", claim)
    if not notes.strip():
        raise ValidationFailed("Resolution notes are required.")
    with transaction.atomic():
        lock_person(claim.subject_id)
        c = locked(CitizenshipClaim, claim.pk)
        g = authorize(actor, "citizenship_claim_resolve", c)
        c.resolved_at, c.resolution_notes = at, notes
        step(
            c,
            "verify_citizen" if verified_citizen else "verify_noncitizen",
            case_type=CaseType.CITIZENSHIP_CLAIM,
            actor=actor,
            grant=g,
            at=at,
            reason=notes,
        )
        announce(CitizenshipClaimResolved(c.subject_id, at, actor, verified_citizen, c.pk, g))
        return c
