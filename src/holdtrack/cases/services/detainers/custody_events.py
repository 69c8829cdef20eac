"""What custody events do to a detainer: release eligibility, release, citizenship claims, identity links
and custody transfer.

Custody announces its facts (``custody.events``) through ``kernel.dispatch``; ``register`` (called by
``CasesConfig.ready``) makes the handlers below hear them, in custody's transaction, so custody never imports
cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from holdtrack.accounts.models import User
from holdtrack.accounts.services import system_user
from holdtrack.audit.models import CaseType, Channel
from holdtrack.cases.models import (
    ACTIVE_STATES,
    Detainer,
    DetainerState,
    LeaDecision,
    LiftReason,
    WorkItem,
    WorkItemKind,
)
from holdtrack.cases.services.detainers.agency import TERMINAL
from holdtrack.cases.services.detainers.guards import has_open_claim
from holdtrack.cases.services.detainers.lea import detainer_expire_if_due, raise_work, start_hold
from holdtrack.core.errors import InvalidTransition
from holdtrack.custody import events
from holdtrack.custody.identity import open_claim_for_person, person_subject_ids
from holdtrack.custody.models import Booking, ReleaseType
from holdtrack.custody.services import booking_release
from holdtrack.kernel.dispatch import on_fact
from holdtrack.kernel.parties import Authorization, authorize
from holdtrack.kernel.refusals import raise_failed
from holdtrack.kernel.steps import locked, locked_rows, step, when

S = DetainerState
C = CaseType.DETAINER
# What the guards and the policy evaluation read beside the row: fetched with it by the services that evaluate.
FACTS = ("facility", "addressed_lea__jurisdiction", "booking")


# --------------------------------------------------------------------------- custody events on a detainer


def on_release_eligibility(booking: Booking, at: datetime) -> None:
    """Heard from ``booking_record_release_eligibility`` (``ReleaseEligibilityRecorded``), in its transaction."""
    eligible = Detainer.objects.filter(booking=booking, state=S.ACTIVE_HOLD_ELIGIBLE).select_related(*FACTS)
    for d in locked_rows(eligible.prefetch_related("warrants")):
        start_hold(d, booking.release_eligible_at or at, at)


def on_release(booking: Booking, at: datetime, release_type: str) -> None:
    """Heard from ``booking_release`` (``BookingReleased``), in its transaction. Maps the release to each open
    detainer."""
    sysu = system_user()
    for d in locked_rows(
        Detainer.objects.filter(booking=booking).exclude(state__in=[S.CLOSED, *TERMINAL, S.PREPARED, S.APPROVED])
    ):
        data: dict[str, Any] = {"release_type": release_type, "released_at": at.isoformat()}
        if release_type == ReleaseType.TRANSFER_TO_ICE and d.state in (S.HOLD_IN_EFFECT, *ACTIVE_STATES):
            d.lift_reason = LiftReason.BOOKED_INTO_DETENTION
            method = "transfer_custody"
        elif release_type == ReleaseType.TRANSFER_TO_AGENCY and d.state != S.HOLD_IN_EFFECT:
            method = "transfer_to_agency"
            data["released_to_ori"] = booking.released_to.ori if booking.released_to else None
        elif d.state == S.ACTIVE_NOTIFY_ONLY and d.notifications.exists():
            method = "release_with_notice"
            lead = d.notifications.order_by("sent_at").first().lead_time_hours  # type: ignore[union-attr]
            d.lift_reason = (
                LiftReason.INSUFFICIENT_NOTICE if lead is not None and lead < 2 else LiftReason.EARLY_RELEASE
            )
        elif d.state == S.TRANSMITTED:
            continue  # the LEA never logged receipt; the outcome is settled when it does
        else:
            method = "release_before_pickup"
            if d.state in (S.ACTIVE_HOLD_ELIGIBLE, S.HOLD_IN_EFFECT):
                d.lift_reason = (
                    LiftReason.INSUFFICIENT_NOTICE if not d.notifications.exists() else LiftReason.EARLY_RELEASE
                )
            else:
                d.lift_reason = LiftReason.NO_LONGER_IN_CUSTODY
        if d.state == S.HOLD_IN_EFFECT:
            d.hold_ended_at = at
        step(d, method, case_type=C, actor=sysu, at=at, channel=Channel.SYSTEM, data=data)
    WorkItem.objects.filter(
        detainer__booking=booking,
        resolved_at__isnull=True,
        kind__in=[WorkItemKind.RELEASE_REQUIRED, WorkItemKind.RELEASE_REQUIRED_CLAIM],
    ).update(resolved_at=at)


def _person_detainers(subject_id: int) -> QuerySet[Detainer]:
    """Detainers on any record of the person: lodged on the registry record, or on a booking of a record."""
    ids = person_subject_ids(subject_id)
    return Detainer.objects.filter(Q(subject_id__in=ids) | Q(booking__subject_id__in=ids))


def on_citizenship_claim(subject_id: int, at: datetime, claim_id: int) -> None:
    """Freeze every live detainer of the person. Called with the person locked."""
    sysu = system_user()
    # A hold whose ceiling passed before the claim ended at the ceiling; it is not frozen after the fact.
    for held in _person_detainers(subject_id).filter(state=S.HOLD_IN_EFFECT, hold_expires_at__lte=at):
        detainer_expire_if_due(held, now=at)
    live = _person_detainers(subject_id).filter(state__in=[*ACTIVE_STATES, S.HOLD_IN_EFFECT])
    for d in Detainer.objects.select_for_update().filter(pk__in=live.values("pk")).order_by("pk"):
        was_holding = d.state == S.HOLD_IN_EFFECT
        if was_holding:
            d.hold_ended_at = at
        step(
            d,
            "freeze_for_citizenship",
            case_type=C,
            actor=sysu,
            at=at,
            channel=Channel.SYSTEM,
            data={"claim_id": claim_id, "hold_ended_at": at.isoformat() if was_holding else None},
        )
        if was_holding and d.booking.released_at is None:
            raise_work(
                d,
                WorkItemKind.RELEASE_REQUIRED_CLAIM,
                at,
                "Citizenship claim opened during a hold: the hold has ended; release unless another basis exists.",
            )


def _resume_frozen(
    subject_id: int, at: datetime, actor: User, data: dict[str, Any], grant: Authorization | None = None
) -> None:
    """Detainers frozen for a claim resume once no record of the person has an open claim."""
    if has_open_claim(subject_id):
        return
    frozen = _person_detainers(subject_id).filter(state=S.CITIZENSHIP_REVIEW)
    for d in Detainer.objects.select_for_update().filter(pk__in=frozen.values("pk")).order_by("pk"):
        method = "resume_hold_eligible" if d.lea_decision == LeaDecision.HONOR_HOLD else "resume_notify_only"
        step(d, method, case_type=C, actor=actor, grant=grant, at=at, channel=Channel.SYSTEM, data=data)
        # The claim-specific release item is settled; start_hold raises a plain one if no hold can resume.
        WorkItem.objects.filter(detainer=d, kind=WorkItemKind.RELEASE_REQUIRED_CLAIM, resolved_at__isnull=True).update(
            resolved_at=at
        )
        if (
            method == "resume_hold_eligible"
            and d.booking.release_eligible_at is not None
            and d.booking.released_at is None
        ):
            start_hold(d, d.booking.release_eligible_at, at)


def on_citizenship_resolved(
    subject_id: int,
    at: datetime,
    actor: User,
    verified_citizen: bool,
    claim_id: int,
    grant: Authorization | None = None,
) -> None:
    """Called with the person locked. A verified citizen's detainers are lifted; otherwise frozen ones resume
    unless another record of the person still has an open claim. ``grant`` is the resolver's authorization:
    these steps follow from the resolution, whoever issued the detainers."""
    if not verified_citizen:
        _resume_frozen(subject_id, at, actor, {"claim_id": claim_id}, grant)
        return
    live = _person_detainers(subject_id).exclude(state__in=[S.CLOSED, *TERMINAL])
    for d in Detainer.objects.select_for_update().filter(pk__in=live.values("pk")).order_by("pk"):
        d.lift_reason = LiftReason.USC_CLAIM
        step(
            d,
            "lift",
            case_type=C,
            actor=actor,
            grant=grant,
            at=at,
            channel=Channel.SYSTEM,
            data={"lift_reason": LiftReason.USC_CLAIM, "claim_id": claim_id},
        )


def on_identity_linked(subject_id: int, at: datetime, link_id: int) -> None:
    """Two records became one person: a claim open on either now freezes the live detainers of both."""
    claim = open_claim_for_person(subject_id)
    if claim is not None:
        on_citizenship_claim(subject_id, at, claim.pk)


def on_identity_unlinked(
    match_id: int, sides: list[int], at: datetime, actor: User, grant: Authorization | None = None
) -> None:
    """A confirmed match was revoked. Detainers that rest on it lose their basis and are lifted (a hold ends and
    the LEA is told to release); then each side's claim guards run again on the person it now is."""
    resting = Detainer.objects.filter(identity_match_id=match_id).exclude(state__in=[S.CLOSED, *TERMINAL])
    for d in Detainer.objects.select_for_update().filter(pk__in=resting.values("pk")).order_by("pk"):
        was_holding = d.state == S.HOLD_IN_EFFECT
        d.lift_reason = LiftReason.LIFTED
        if was_holding:
            d.hold_ended_at = at
        step(
            d,
            "lift",
            case_type=C,
            actor=actor,
            grant=grant,
            at=at,
            reason="The identity match this detainer rests on was revoked.",
            channel=Channel.SYSTEM,
            data={"lift_reason": LiftReason.LIFTED, "identity_match_revoked": match_id},
        )
        if was_holding and d.booking.released_at is None:
            raise_work(
                d,
                WorkItemKind.RELEASE_REQUIRED,
                at,
                "The identity match was revoked during the hold: the hold has ended; release unless another "
                "lawful basis for custody exists.",
            )
    for side in sides:
        claim = open_claim_for_person(side)
        if claim is not None:
            on_citizenship_claim(side, at, claim.pk)
        else:
            _resume_frozen(side, at, actor, {"identity_match_revoked": match_id}, grant)


def detainer_transfer_custody(
    *,
    actor: User,
    detainer: Detainer,
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Detainer:
    """The agency takes physical custody. Refused once the hold ceiling has passed (the hold has ended)."""
    at = when(at)
    detainer_expire_if_due(detainer, now=at)
    with transaction.atomic():
        d = locked(Detainer, detainer.pk)
        g = authorize(actor, "detainer_transfer_custody", d, channel=channel, document=source_document)
        if d.state not in (S.HOLD_IN_EFFECT, *ACTIVE_STATES):
            raise InvalidTransition(
                f"The detainer is '{d.get_state_display()}'"
                + (f"; the hold ended at its ceiling {d.hold_expires_at.isoformat()}" if d.hold_expires_at else "")
                + ". Custody cannot be transferred under it."
            )
        raise_failed("detainer_transfer_custody", d, at)  # what it checks: guards
        booking_release(
            actor=actor,
            booking=d.booking,
            at=at,
            release_type=ReleaseType.TRANSFER_TO_ICE,
            channel=channel,
            _under=g,
        )
        d.refresh_from_db()
        return d


# ------------------------------------------------------------------------------ custody's facts, heard here


def _releasing(fact: events.BookingReleasing) -> None:
    for d in fact.booking.detainers.filter(state=S.HOLD_IN_EFFECT):
        detainer_expire_if_due(d, now=fact.at)


def _release_eligible(fact: events.ReleaseEligibilityRecorded) -> None:
    on_release_eligibility(fact.booking, fact.at)


def _released(fact: events.BookingReleased) -> None:
    on_release(fact.booking, fact.at, fact.release_type)


def _claim_opened(fact: events.CitizenshipClaimOpened) -> None:
    on_citizenship_claim(fact.subject_id, fact.at, fact.claim_id)


def _claim_resolved(f: events.CitizenshipClaimResolved) -> None:
    on_citizenship_resolved(f.subject_id, f.at, f.actor, f.verified_citizen, f.claim_id, f.grant)


def _linked(fact: events.IdentityLinked) -> None:
    on_identity_linked(fact.subject_id, fact.at, fact.link_id)


def _unlinked(f: events.IdentityUnlinked) -> None:
    on_identity_unlinked(f.match_id, f.sides, f.at, f.actor, f.grant)


def register() -> None:
    """Hear custody's facts (``kernel.dispatch.on_fact``); called by ``CasesConfig.ready``."""
    on_fact(events.BookingReleasing, _releasing)
    on_fact(events.ReleaseEligibilityRecorded, _release_eligible)
    on_fact(events.BookingReleased, _released)
    on_fact(events.CitizenshipClaimOpened, _claim_opened)
    on_fact(events.CitizenshipClaimResolved, _claim_resolved)
    on_fact(events.IdentityLinked, _linked)
    on_fact(events.IdentityUnlinked, _unlinked)
