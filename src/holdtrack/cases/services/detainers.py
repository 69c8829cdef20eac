"""Detainer services: the agency's steps (prepare, warrant, approve, transmit) joined to the LEA's (receive,
validate, serve, decide, hold, release) on one record with one set of clocks.

Every function takes the row lock, checks its guards, applies the transition, and writes the transition
log and the audit event in one transaction. Safeguards live here, not in views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q, QuerySet

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES, Organization, User
from holdtrack.accounts.services import organization_for_lea, system_user
from holdtrack.audit.models import CaseType, Channel
from holdtrack.cases import clocks
from holdtrack.cases.judicial import judicial_problem
from holdtrack.cases.models import (
    ACTIVE_STATES,
    AGENCY_LIFT_REASONS,
    HOLD_SUPPORTING_WARRANTS,
    JUDICIAL_WARRANTS,
    LIFT_REASON_GROUP,
    NOTIFY_ONLY_FORMS,
    Box,
    ChargingDocument,
    Detainer,
    DetainerState,
    FormType,
    LeaDecision,
    LiftReason,
    Notification,
    NotificationKind,
    PCBasis,
    RequestType,
    ReviewResult,
    ServiceMethod,
    Warrant,
    WarrantType,
    WorkItem,
    WorkItemKind,
)
from holdtrack.core.errors import GuardRefused, InvalidTransition, ValidationFailed
from holdtrack.core.timeutil import fact_time
from holdtrack.custody.identity import lock_person, open_claim_for_person, person_has_open_claim, person_subject_ids
from holdtrack.custody.models import Booking, IdentityMatch, MatchStatus
from holdtrack.jurisdictions.policy import Evaluation, evaluate
from holdtrack.kernel.parties import Authorization, authorize
from holdtrack.kernel.steps import locked, locked_rows, note, step, when

S = DetainerState
C = CaseType.DETAINER
# What the guards and the policy evaluation read beside the row: fetched with it by the services that evaluate.
FACTS = ("facility", "addressed_lea__jurisdiction", "booking")


# ----------------------------------------------------------------------------------------------- guards


def _has_open_claim(subject_id: int) -> bool:
    # A claim on any record of the person counts (ADR 0014): the booked record and the registry record of one
    # confirmed person share every safeguard.
    return person_has_open_claim(subject_id)


def _hold_warrants(d: Detainer) -> list[Warrant]:
    return [w for w in d.warrants.all() if w.warrant_type in HOLD_SUPPORTING_WARRANTS]


def _has_judicial_warrant(d: Detainer) -> bool:
    # Only once the receiving LEA's counsel confirmed it: until then a policy reads the warrant as administrative
    # (the protective reading), so the agency cannot self-certify what only a court issues. Read from the
    # warrants ``_with_warrants`` fetched, when it did (a detainer has one or two).
    return d.pk is not None and any(w.is_judicial and w.judicial_confirmed_at is not None for w in d.warrants.all())


def _with_warrants(d: Detainer) -> Detainer:
    """The locked detainer's warrants, read once for every guard of the service (they change only under the same
    lock, in ``warrant_attach`` and ``warrant_confirm_judicial``)."""
    # What prefetch_related_objects stores, without its machinery (several times the query on this path).
    warrants = d.warrants.all()
    warrants._fetch_all()
    d._prefetched_objects_cache = {**getattr(d, "_prefetched_objects_cache", {}), "warrants": warrants}  # type: ignore[attr-defined]
    return d


def _evaluate(d: Detainer, at: datetime) -> Evaluation:
    # Law in force on the facility's calendar day, not the UTC day.
    tz_day = at.astimezone(ZoneInfo(d.facility.timezone)).date()
    return evaluate(
        d.addressed_lea,
        on=tz_day,
        judicial_warrant=_has_judicial_warrant(d),
        serious_conviction=d.booking.serious_conviction,
    )


def hold_guard_failures(d: Detainer, at: datetime, ev: Evaluation | None = None) -> list[GuardRefused]:
    """Every reason a hold may not be in effect on this detainer at ``at`` (domain.md B3.1 D6/D8, C2).
    Empty means the hold is lawful under the rules we encode."""
    problems: list[GuardRefused] = []
    if d.request_type != RequestType.HOLD:
        problems.append(GuardRefused(f"A {d.get_form_type_display()} is not a hold request.", rule="FORM-TYPE"))
    if not _hold_warrants(d):
        problems.append(
            GuardRefused(
                "No hold without an administrative warrant (I-200 or I-205) attached.",
                rule="R-WARRANT-REQUIRED v1",
                citation="ICE Policy 10074.2 (in force 2017-04-02)",
            )
        )
    if d.box == Box.PC_REMOVABLE and not d.pc_bases:
        problems.append(
            GuardRefused(
                "No probable-cause basis is recorded.",
                rule="R-PC-BASIS v1",
                citation="Form I-247A section 1; Policy 10074.2",
            )
        )
    if d.served_at is None or d.served_at > at:
        problems.append(
            GuardRefused(
                "The detainer has not been served on the subject; it takes effect only on service.",
                rule="R-SERVICE v1",
                citation="Form I-247A (02/17), service on the subject",
            )
        )
    if _has_open_claim(d.subject_id):
        problems.append(
            GuardRefused(
                "A citizenship claim is open: no hold until it is resolved.",
                rule="R-CITIZENSHIP-FREEZE v1",
                citation="GAO-21-487; Galarza v. Szalczyk, 745 F.3d 634 (3d Cir. 2014)",
            )
        )
    if d.neutral_review_required and d.neutral_review_result != ReviewResult.PC_FOUND:
        problems.append(
            GuardRefused(
                "Neutral probable-cause review has not found probable cause.",
                rule=clocks.R_NEUTRAL_REVIEW.ref,
                citation=clocks.R_NEUTRAL_REVIEW.citation,
            )
        )
    ev = ev or _evaluate(d, at)
    if not ev.hold_allowed:
        refusal = ev.refusal
        problems.append(
            GuardRefused(
                "Local law does not allow this hold.",
                rule=refusal.rule_id if refusal else ev.hold_rule,
                citation=refusal.citation if refusal else "",
            )
        )
    return problems


def _raise_first(problems: list[GuardRefused]) -> None:
    if problems:
        raise problems[0]


# ------------------------------------------------------------------------------------------ agency side


def _request_type_for(form_type: str, requested: str | None) -> str:
    if form_type in NOTIFY_ONLY_FORMS:
        if requested not in (None, RequestType.NOTIFY):
            raise ValidationFailed(
                f"Form {form_type} is a notification request only; it cannot ask for a hold.",
                rule="FORM-TYPE",
                citation="domain.md A1.6",
            )
        return RequestType.NOTIFY
    if form_type == FormType.I247X:
        return requested or RequestType.TRANSFER
    return requested or RequestType.HOLD


def detainer_prepare(
    *,
    actor: User,
    booking: Booking,
    identity_match: IdentityMatch,
    form_type: str = FormType.I247A,
    request_type: str | None = None,
    box: str = Box.PC_REMOVABLE,
    pc_bases: list[str] | None = None,
    charging_document: str = ChargingDocument.NONE,
    operative_upon_conviction: bool = False,
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
) -> Detainer:
    at = when(at)
    authorize(actor, "detainer_prepare", booking, channel=channel)
    office = actor.organization
    if office is None:  # unreachable: the rule asks for a field office
        raise GuardRefused("A detainer is prepared by an officer of an agency field office.")
    pc_bases = list(pc_bases or [])
    unknown = set(pc_bases) - set(PCBasis.values)
    if unknown:
        raise ValidationFailed(f"Unknown probable-cause basis: {', '.join(sorted(unknown))}.")
    if box == Box.PC_REMOVABLE and not pc_bases:
        raise GuardRefused(
            "Box 1 needs at least one probable-cause basis.",
            rule="R-PC-BASIS v1",
            citation="Form I-247A section 1; Policy 10074.2",
        )
    if box == Box.DHS_TRANSFERRED and pc_bases:
        raise GuardRefused(
            "Box 1 and Box 2 cannot both be used on one detainer.", rule="R-ONE-BOX v1", citation="Form I-247A (02/17)"
        )
    request = _request_type_for(form_type, request_type)
    with transaction.atomic():
        booking = locked(Booking, booking.pk, related=("custodian__jurisdiction", "facility"))
        match = locked(IdentityMatch, identity_match.pk)
        # A probabilistic match never causes legal action: a named officer must have confirmed it.
        if match.status != MatchStatus.CONFIRMED or match.booking_id != booking.pk:
            raise GuardRefused(
                "The identity match for this booking must be confirmed by an officer first.",
                rule="R-MATCH-CONFIRMED v1",
                citation="brief.md principle 3",
            )
        if booking.released_at is not None and booking.released_at <= at:
            raise GuardRefused(
                "The subject is no longer in this agency's custody.",
                rule="R-CRIMINAL-CUSTODY v1",
                citation="ICE Policy 10074.2: the subject must be in criminal custody",
            )
        d = Detainer(
            subject_id=match.subject_id,
            booking=booking,
            identity_match=match,
            issuing_office=office,
            addressed_lea=booking.custodian,
            facility=booking.facility,
            form_type=form_type,
            request_type=request,
            box=box,
            pc_bases=pc_bases,
            charging_document=charging_document,
            operative_upon_conviction=operative_upon_conviction,
            prepared_by=actor,
            prepared_at=at,
            neutral_review_required=office.neutral_review_required and request == RequestType.HOLD,
        )
        ev = _evaluate(d, at)
        # Detainers are issued whether or not the LEA cooperates (Policy 10074.2); local law is shown to
        # the officer now and enforced when the LEA decides.
        d.policy_at_prepare = ev.as_dict()
        d.save()
        from holdtrack.audit.services import audit_record, transition_record

        transition_record(
            case_type=C,
            case_id=d.pk,
            name="prepare",
            source="",
            target=d.state,
            actor=actor,
            at=at,
            channel=channel,
            data={
                "form_type": form_type,
                "request_type": request,
                "box": box,
                "pc_bases": pc_bases,
                "booking_id": booking.pk,
                "identity_match_id": match.pk,
                "subject_id": match.subject_id,  # joins the detainer to citizenship claims in exports
                "match_basis": match.basis,
                "addressed_lea_ori": booking.custodian.ori,
                "facility_code": booking.facility.code,
                "policy_rules": ev.rule_ids,
                "hold_allowed_by_local_law": ev.hold_allowed,
            },
        )
        audit_record(
            actor=actor,
            action="detainer.prepare",
            entity_type=C,
            entity_id=d.pk,
            at=at,
            data={"subject_id": d.subject_id},
        )
        return d


def warrant_attach(
    *,
    actor: User,
    detainer: Detainer,
    warrant_type: str,
    signed_by_name: str,
    signed_by_title: str,
    signed_at: datetime,
    number: str = "",
    court: str = "",
    is_judicial: bool | None = None,
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Warrant:
    at = when(at)
    fact_time(signed_at, "The warrant's signature")
    if warrant_type not in WarrantType.values:
        raise ValidationFailed(f"Unknown warrant type {warrant_type!r}.")
    judicial = warrant_type in JUDICIAL_WARRANTS
    # Never confuse the two: an immigration officer's or immigration judge's warrant is administrative.
    if is_judicial is not None and is_judicial != judicial:
        raise GuardRefused(
            "An administrative warrant (I-200, I-205, I-203) is signed by an immigration officer and can never be "
            "recorded as judicial."
            if is_judicial
            else "A warrant signed by a judge cannot be recorded as administrative.",
            rule="R-WARRANT-KIND v1",
            citation="domain.md A1.3; NILC, Warrants and subpoenas 101",
        )
    problem = judicial_problem(signed_by_title, court) if judicial else None
    if problem:
        raise GuardRefused(problem, rule="R-WARRANT-KIND v1", citation="domain.md glossary: judicial warrant")
    with transaction.atomic():
        d = locked(Detainer, detainer.pk)
        g = authorize(actor, "warrant_attach", d, channel=channel, document=source_document)
        allowed_states = {S.PREPARED, S.APPROVED, S.VALIDATION_FAILED} | (
            {S.TRANSMITTED, S.RECEIVED, S.UNDER_POLICY_REVIEW, *ACTIVE_STATES} if judicial else set()
        )
        if d.state not in allowed_states:
            raise InvalidTransition(f"A warrant cannot be attached while the detainer is '{d.get_state_display()}'.")
        w = Warrant.objects.create(
            detainer=d,
            warrant_type=warrant_type,
            is_judicial=judicial,
            number=number,
            signed_by_name=signed_by_name,
            signed_by_title=signed_by_title,
            court=court,
            signed_at=signed_at,
            attached_at=at,
        )
        note(
            d,
            "attach_warrant",
            case_type=C,
            actor=actor,
            grant=g,
            at=at,
            channel=channel,
            data={"warrant_id": w.pk, "warrant_type": warrant_type, "is_judicial": judicial},
        )
        return w


def warrant_confirm_judicial(
    *, actor: User, warrant: Warrant, at: datetime | None = None, note_text: str = "", channel: str = Channel.PORTAL
) -> Warrant:
    """The receiving LEA's counsel confirms that a warrant recorded as judicial is a court's warrant signed by a
    judge; only then do judicial-warrant-only policies treat it as judicial."""
    at = when(at)
    with transaction.atomic():
        w = locked(Warrant, warrant.pk)
        d = locked(Detainer, w.detainer_id)
        g = authorize(actor, "warrant_confirm_judicial", d, channel=channel)
        if not w.is_judicial:
            raise GuardRefused("An administrative warrant cannot be confirmed as judicial.", rule="R-WARRANT-KIND v1")
        if w.judicial_confirmed_at is not None:
            raise InvalidTransition(
                f"Warrant {w.pk} was confirmed as judicial at {w.judicial_confirmed_at.isoformat()}."
            )
        if d.state in (S.CLOSED, *TERMINAL):
            raise InvalidTransition(f"The detainer is '{d.get_state_display()}'.")
        w.judicial_confirmed_by, w.judicial_confirmed_at = actor, at
        w.save(update_fields=["judicial_confirmed_by", "judicial_confirmed_at"])
        note(
            d,
            "confirm_judicial_warrant",
            case_type=C,
            actor=actor,
            grant=g,
            at=at,
            reason=note_text,
            channel=channel,
            data={"warrant_id": w.pk, "court": w.court, "signed_by_title": w.signed_by_title},
        )
        return w


def detainer_approve(
    *,
    actor: User,
    detainer: Detainer,
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Detainer:
    at = when(at)
    with transaction.atomic():
        d = _with_warrants(locked(Detainer, detainer.pk))
        g = authorize(actor, "detainer_approve", d, channel=channel, document=source_document)
        if d.prepared_by_id == actor.pk:
            raise GuardRefused(
                "The supervisor who approves a detainer cannot be the officer who prepared it.", rule="R-FOUR-EYES v1"
            )
        needs_warrant = d.request_type == RequestType.HOLD or d.form_type == FormType.I247A
        # LEA staff recording from the document an approval the agency gave anyway record a fact; the defect is
        # caught by the LEA's validation at receipt (domain.md B3.1 D2) and by every hold guard.
        recorded_by_lea = g.recorded_by_counterpart
        if needs_warrant and not recorded_by_lea and not _hold_warrants(d):
            raise GuardRefused(
                "No hold-type detainer without an administrative warrant (I-200 or I-205) attached.",
                rule="R-WARRANT-REQUIRED v1",
                citation="ICE Policy 10074.2 (in force 2017-04-02)",
            )
        if d.request_type == RequestType.HOLD and _has_open_claim(d.subject_id):
            raise GuardRefused(
                "A citizenship claim is open for this subject: a hold request cannot be approved.",
                rule="R-CITIZENSHIP-FREEZE v1",
                citation="GAO-21-487",
            )
        d.approved_by = actor
        d.approved_at = at
        step(
            d,
            "approve",
            case_type=C,
            actor=actor,
            grant=g,
            at=at,
            channel=channel,
            data={"warrant_ids": [w.pk for w in d.warrants.all()]},
        )
        return d


def detainer_transmit(
    *,
    actor: User,
    detainer: Detainer,
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Detainer:
    at = when(at)
    with transaction.atomic():
        d = locked(Detainer, detainer.pk, related=("facility", "addressed_lea"))
        g = authorize(actor, "detainer_transmit", d, channel=channel, document=source_document)
        d.transmitted_at = at
        data: dict[str, Any] = {"addressed_lea_ori": d.addressed_lea.ori, "facility_code": d.facility.code}
        if d.neutral_review_required:
            data["clocks"] = [
                clocks.Clock(
                    "neutral_review", "", at, at + clocks.timedelta(hours=48), clocks.R_NEUTRAL_REVIEW.ref, ""
                ).as_dict()
            ]
        step(d, "transmit", case_type=C, actor=actor, grant=g, at=at, channel=channel, data=data)
        return d


def detainer_record_neutral_review(
    *, actor: User, detainer: Detainer, result: str, at: datetime | None = None, reason: str = ""
) -> Detainer:
    at = when(at)
    if result not in ReviewResult.values:
        raise ValidationFailed(f"Unknown review result {result!r}.")
    with transaction.atomic():
        d = locked(Detainer, detainer.pk)
        g = authorize(actor, "detainer_record_neutral_review", d)
        if not d.neutral_review_required:
            raise InvalidTransition("This detainer does not need neutral review.")
        if d.neutral_review_result:
            raise InvalidTransition("Neutral review is already recorded.")
        d.neutral_review_result = result
        d.neutral_review_at = at
        d.save(update_fields=["neutral_review_result", "neutral_review_at"])
        note(d, "neutral_review", case_type=C, actor=actor, grant=g, at=at, reason=reason, data={"result": result})
    if result == ReviewResult.PC_NOT_FOUND and d.state not in (S.CLOSED, S.LIFTED, *TERMINAL):
        detainer_lift(
            actor=system_user(),
            detainer=d,
            reason=LiftReason.CASE_CLOSED,
            at=at,
            note_text="Neutral review found no probable cause.",
        )
        d.refresh_from_db(fields=["state", "lift_reason", "outcome_group", "hold_ended_at"])
    return d


TERMINAL = (
    S.DECLINED,
    S.CUSTODY_TRANSFERRED,
    S.RELEASED_WINDOW_EXPIRED,
    S.RELEASED_BEFORE_PICKUP,
    S.RELEASED_NOTICE_GIVEN,
    S.TRANSFERRED_TO_AGENCY,
    S.LIFTED,
)


def detainer_lift(
    *,
    actor: User,
    detainer: Detainer,
    reason: str,
    at: datetime | None = None,
    note_text: str = "",
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Detainer:
    at = when(at)
    if reason not in AGENCY_LIFT_REASONS:
        raise ValidationFailed(f"'{reason}' is not a reason the agency gives when it lifts a detainer.")
    detainer_expire_if_due(detainer, now=at)
    with transaction.atomic():
        d = locked(Detainer, detainer.pk)
        g = authorize(actor, "detainer_lift", d, channel=channel, document=source_document)
        was_holding = d.state == S.HOLD_IN_EFFECT
        d.lift_reason = reason
        if was_holding:
            d.hold_ended_at = at
        step(
            d,
            "lift",
            case_type=C,
            actor=actor,
            grant=g,
            at=at,
            reason=note_text,
            channel=channel,
            data={"lift_reason": reason, "hold_ended_at": at.isoformat() if was_holding else None},
        )
        if was_holding and d.booking.released_at is None:
            _raise_work(
                d,
                WorkItemKind.RELEASE_REQUIRED,
                at,
                "Detainer lifted during the hold: release unless another lawful basis for custody exists.",
            )
        return d


# --------------------------------------------------------------------------------------------- LEA side


def _validation_failures(d: Detainer, at: datetime) -> list[str]:
    problems = []
    if (d.request_type == RequestType.HOLD or d.form_type == FormType.I247A) and not _hold_warrants(d):
        problems.append("no I-200 or I-205 attached (ICE Policy 10074.2)")
    if d.box == Box.PC_REMOVABLE and not d.pc_bases:
        problems.append("no probable-cause basis ticked (Form I-247A section 1)")
    if d.booking.released_at is not None and d.booking.released_at <= at:
        problems.append("subject not in custody")
    if d.neutral_review_required and d.neutral_review_result == ReviewResult.PC_NOT_FOUND:
        problems.append("neutral review found no probable cause")
    return problems


def detainer_receive(
    *,
    actor: User,
    detainer: Detainer,
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Detainer:
    """The LEA logs receipt; validation runs at once as the system (domain.md B3.1 D1–D3)."""
    at = when(at)
    with transaction.atomic():
        d = _with_warrants(locked(Detainer, detainer.pk, related=FACTS))
        g = authorize(actor, "detainer_receive", d, channel=channel, document=source_document)
        d.received_at = at
        step(d, "receive", case_type=C, actor=actor, grant=g, at=at, channel=channel)
        _validate(d, at)
        return d


def _validate(d: Detainer, at: datetime) -> None:
    problems = _validation_failures(d, at)
    sysu = system_user()
    if problems:
        step(
            d,
            "fail_validation",
            case_type=C,
            actor=sysu,
            at=at,
            channel=Channel.SYSTEM,
            data={"problems": problems},
            reason="; ".join(problems),
        )
        if d.booking.released_at is not None and d.booking.released_at <= at:
            # Received after the subject left custody: nothing is left to decide (A1.8 "No longer in … Custody").
            d.lift_reason = LiftReason.NO_LONGER_IN_CUSTODY
            step(
                d,
                "release_before_pickup",
                case_type=C,
                actor=sysu,
                at=at,
                channel=Channel.SYSTEM,
                data={"released_at": d.booking.released_at.isoformat()},
            )
    else:
        ev = _evaluate(d, at)
        step(
            d,
            "pass_validation",
            case_type=C,
            actor=sysu,
            at=at,
            channel=Channel.SYSTEM,
            data={"policy_rules": ev.rule_ids, "hold_allowed_by_local_law": ev.hold_allowed},
        )


def detainer_revalidate(*, actor: User, detainer: Detainer, at: datetime | None = None) -> Detainer:
    """After the agency supplies what was missing, the LEA re-runs validation."""
    at = when(at)
    with transaction.atomic():
        d = locked(Detainer, detainer.pk, related=FACTS)
        g = authorize(actor, "detainer_revalidate", d)
        if d.state != S.VALIDATION_FAILED:
            raise InvalidTransition("Only a detainer that failed validation is re-validated.")
        problems = _validation_failures(d, at)
        if problems:
            raise GuardRefused("Still failing validation: " + "; ".join(problems))
        ev = _evaluate(d, at)
        step(
            d,
            "pass_validation",
            case_type=C,
            actor=actor,
            grant=g,
            at=at,
            data={"policy_rules": ev.rule_ids, "hold_allowed_by_local_law": ev.hold_allowed},
        )
        return d


def detainer_serve_subject(
    *,
    actor: User,
    detainer: Detainer,
    method: str = ServiceMethod.IN_PERSON,
    language: str = "en",
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Detainer:
    at = when(at)
    with transaction.atomic():
        d = locked(Detainer, detainer.pk)
        g = authorize(actor, "detainer_serve_subject", d, channel=channel, document=source_document)
        if d.state not in (
            S.RECEIVED,
            S.VALIDATION_FAILED,
            S.UNDER_POLICY_REVIEW,
            *ACTIVE_STATES,
            S.CITIZENSHIP_REVIEW,
        ):
            raise InvalidTransition(f"A detainer that is '{d.get_state_display()}' is not served.")
        if d.served_at is not None:
            raise InvalidTransition(f"Already served on the subject at {d.served_at.isoformat()}.")
        d.served_at, d.service_method, d.service_language = at, method, language
        d.save(update_fields=["served_at", "service_method", "service_language"])
        note(
            d,
            "serve_subject",
            case_type=C,
            actor=actor,
            grant=g,
            at=at,
            channel=channel,
            data={"method": method, "language": language},
        )
        return d


def detainer_decide(
    *,
    actor: User,
    detainer: Detainer,
    decision: str,
    at: datetime | None = None,
    reason: str = "",
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Detainer:
    """The LEA applies local law. A policy that forbids holds makes HONOR_HOLD impossible, not just warned."""
    at = when(at)
    if decision not in LeaDecision.values:
        raise ValidationFailed(f"Unknown decision {decision!r}.")
    with transaction.atomic():
        # Person first (all its records, in id order), then case: the same lock order as citizenship_claim_open,
        # so a claim raised at the same moment on any record is either seen by the hold guard or freezes the hold
        # right after.
        lock_person(detainer.subject_id)
        d = _with_warrants(locked(Detainer, detainer.pk, related=FACTS))
        g = authorize(actor, "detainer_decide", d, channel=channel, document=source_document)
        if d.state != S.UNDER_POLICY_REVIEW:
            raise InvalidTransition(f"The detainer is '{d.get_state_display()}', not under policy review.")
        ev = _evaluate(d, at)
        data: dict[str, Any] = {
            "decision": decision,
            "hold_allowed": ev.hold_allowed,
            "policy_rules": ev.rule_ids,
            "policy_explanation": ev.explain(),
        }
        if decision == LeaDecision.HONOR_HOLD:
            _raise_first(hold_guard_failures(d, at, ev))
            method = "decide_hold"
        elif decision == LeaDecision.NOTIFY_ONLY:
            if not ev.notify_allowed:
                hit = ev.notify_source or ev.hits[-1]
                raise GuardRefused(
                    "Local law does not allow release notification for this subject.",
                    rule=hit.rule_id,
                    citation=hit.citation,
                )
            method = "decide_notify"
        else:
            d.lift_reason = LiftReason.DECLINED_BY_LEA
            d.outcome_group = LIFT_REASON_GROUP[LiftReason.DECLINED_BY_LEA]
            d.outcome_at = at
            method = "decline"
        d.lea_decision, d.decided_at, d.policy_at_decision = decision, at, ev.as_dict()
        step(d, method, case_type=C, actor=actor, grant=g, at=at, reason=reason, channel=channel, data=data)
        if method == "decide_hold" and d.booking.release_eligible_at is not None:
            _start_hold(d, d.booking.release_eligible_at, at)
        return d


def _start_hold(d: Detainer, eligible_at: datetime, at: datetime) -> bool:
    """D8: release eligibility reached on a hold-eligible detainer. Guards are checked again at this moment;
    the window runs from release eligibility whatever time the event is recorded."""
    ev = _evaluate(d, at)
    problems = hold_guard_failures(d, eligible_at, ev)
    window = clocks.hold_window(
        eligible_at, max_hours=ev.hold_max_hours, ceiling_rule=ev.hold_ceiling_rule, tz_name=d.facility.timezone
    )
    if window.due_at <= at:
        problems.append(
            GuardRefused(f"The hold ceiling passed at {window.due_at.isoformat()}; no hold starts.", rule=window.rule)
        )
    sysu = system_user()
    if problems:
        note(
            d,
            "hold_refused",
            case_type=C,
            actor=sysu,
            at=at,
            channel=Channel.SYSTEM,
            data={"problems": [str(p) for p in problems]},
        )
        _raise_work(
            d,
            WorkItemKind.RELEASE_REQUIRED,
            eligible_at,
            "Release eligibility reached but the hold is not allowed: " + problems[0].message,
        )
        return False
    d.hold_started_at, d.hold_expires_at, d.hold_rule = window.starts_at, window.due_at, window.rule
    d.hold_ended_at = None  # a hold resumed after a citizenship claim is running again
    d.policy_at_decision = ev.as_dict()
    step(
        d,
        "start_hold",
        case_type=C,
        actor=sysu,
        at=max(eligible_at, at, d.decided_at or eligible_at),
        channel=Channel.SYSTEM,
        data={
            "hold_window": {
                "starts_at": window.starts_at.isoformat(),
                "expires_at": window.due_at.isoformat(),
                "rule": window.rule,
            },
            "clocks": [window.as_dict()],
            "warrant_ids": [w.pk for w in _hold_warrants(d)],
            "policy_rules": ev.rule_ids,
            "hold_allowed": ev.hold_allowed,
        },
    )
    return True


def _raise_work(d: Detainer, kind: str, due: datetime, detail: str) -> WorkItem:
    org = organization_for_lea(d.addressed_lea)
    item, _ = WorkItem.objects.get_or_create(
        dedupe_key=f"{kind}:detainer:{d.pk}",
        defaults={"kind": kind, "detainer": d, "organization": org, "due_at": due, "detail": detail[:300]},
    )
    return item


def detainer_expire_if_due(detainer: Detainer, *, now: datetime) -> bool:
    """The hold ends at its ceiling whatever anyone clicks: any action at or after the ceiling first applies
    the expiry (in its own transaction, so it stands even if the action is then refused)."""
    with transaction.atomic():
        d = locked(Detainer, detainer.pk)
        if d.state != S.HOLD_IN_EFFECT or d.hold_expires_at is None or d.hold_expires_at > now:
            return False
        d.hold_ended_at = d.hold_expires_at
        step(
            d,
            "expire_hold",
            case_type=C,
            actor=system_user(),
            at=d.hold_expires_at,
            channel=Channel.SYSTEM,
            data={
                "hold_window": {
                    "starts_at": d.hold_started_at.isoformat() if d.hold_started_at else None,
                    "expires_at": d.hold_expires_at.isoformat(),
                    "rule": d.hold_rule,
                }
            },
        )
        if d.booking.released_at is None:
            _raise_work(
                d,
                WorkItemKind.RELEASE_REQUIRED,
                d.hold_expires_at,
                "Hold ceiling reached: release now unless another lawful basis for custody exists.",
            )
        return True


def notification_send(
    *,
    actor: User,
    detainer: Detainer,
    kind: str = NotificationKind.ADVANCE_RELEASE,
    expected_release_at: datetime | None = None,
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Notification:
    at = when(at)
    detainer_expire_if_due(detainer, now=at)  # a hold past its ceiling has ended, swept or not
    with transaction.atomic():
        d = locked(Detainer, detainer.pk, related=FACTS)
        g = authorize(actor, "notification_send", d, channel=channel, document=source_document)
        if d.state not in (*ACTIVE_STATES, S.HOLD_IN_EFFECT):
            raise InvalidTransition(f"No notification is sent on a detainer that is '{d.get_state_display()}'.")
        ev = _evaluate(d, at)
        if not ev.notify_allowed:
            hit = ev.notify_source or ev.hits[-1]
            raise GuardRefused(
                "Local law does not allow release notification for this subject.",
                rule=hit.rule_id,
                citation=hit.citation,
            )
        expected = expected_release_at or d.booking.projected_release_at
        lead = (expected - at).total_seconds() / 3600 if expected else None
        n = Notification.objects.create(
            detainer=d,
            kind=kind,
            sent_at=at,
            sent_by=actor,
            expected_release_at=expected,
            lead_time_hours=lead,
            policy_basis=", ".join(ev.rule_ids),
        )
        note(
            d,
            "notify",
            case_type=C,
            actor=actor,
            grant=g,
            at=at,
            channel=channel,
            data={"notification_id": n.pk, "kind": kind, "lead_time_hours": lead},
        )
        return n


# --------------------------------------------------------------------------- custody events on a detainer


def on_release_eligibility(booking: Booking, at: datetime) -> None:
    """Called by ``booking_record_release_eligibility`` inside its transaction."""
    eligible = Detainer.objects.filter(booking=booking, state=S.ACTIVE_HOLD_ELIGIBLE).select_related(*FACTS)
    for d in locked_rows(eligible.prefetch_related("warrants")):
        _start_hold(d, booking.release_eligible_at or at, at)


def on_release(booking: Booking, at: datetime, release_type: str) -> None:
    """Called by ``booking_release`` inside its transaction. Maps the release to each open detainer."""
    from holdtrack.custody.models import ReleaseType

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
            _raise_work(
                d,
                WorkItemKind.RELEASE_REQUIRED_CLAIM,
                at,
                "Citizenship claim opened during a hold: the hold has ended; release unless another basis exists.",
            )


def _resume_frozen(
    subject_id: int, at: datetime, actor: User, data: dict[str, Any], grant: Authorization | None = None
) -> None:
    """Detainers frozen for a claim resume once no record of the person has an open claim."""
    if _has_open_claim(subject_id):
        return
    frozen = _person_detainers(subject_id).filter(state=S.CITIZENSHIP_REVIEW)
    for d in Detainer.objects.select_for_update().filter(pk__in=frozen.values("pk")).order_by("pk"):
        method = "resume_hold_eligible" if d.lea_decision == LeaDecision.HONOR_HOLD else "resume_notify_only"
        step(d, method, case_type=C, actor=actor, grant=grant, at=at, channel=Channel.SYSTEM, data=data)
        # The claim-specific release item is settled; _start_hold raises a plain one if no hold can resume.
        WorkItem.objects.filter(detainer=d, kind=WorkItemKind.RELEASE_REQUIRED_CLAIM, resolved_at__isnull=True).update(
            resolved_at=at
        )
        if (
            method == "resume_hold_eligible"
            and d.booking.release_eligible_at is not None
            and d.booking.released_at is None
        ):
            _start_hold(d, d.booking.release_eligible_at, at)


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
            _raise_work(
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
    from holdtrack.custody.models import ReleaseType
    from holdtrack.custody.services import booking_release

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
        if d.state in ACTIVE_STATES and (d.booking.release_eligible_at is None or d.booking.release_eligible_at > at):
            raise GuardRefused("The subject is not yet eligible for release; custody is transferred at release.")
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


__all__ = [
    "AGENCY_ROLES",
    "LEA_ROLES",
    "Organization",
    "detainer_approve",
    "detainer_decide",
    "detainer_expire_if_due",
    "detainer_lift",
    "detainer_prepare",
    "detainer_receive",
    "detainer_record_neutral_review",
    "detainer_revalidate",
    "detainer_serve_subject",
    "detainer_transfer_custody",
    "detainer_transmit",
    "hold_guard_failures",
    "notification_send",
    "warrant_attach",
    "warrant_confirm_judicial",
]
