"""The agency's steps on a detainer: prepare, warrants, approve, transmit, the neutral review, lift."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from holdtrack.accounts.models import User
from holdtrack.accounts.services import system_user
from holdtrack.audit.models import CaseType, Channel
from holdtrack.audit.services import audit_record, transition_record
from holdtrack.cases import clocks
from holdtrack.cases.judicial import judicial_problem
from holdtrack.cases.models import (
    ACTIVE_STATES,
    AGENCY_LIFT_REASONS,
    JUDICIAL_WARRANTS,
    NOTIFY_ONLY_FORMS,
    Box,
    ChargingDocument,
    Detainer,
    DetainerState,
    FormType,
    LiftReason,
    PCBasis,
    RequestType,
    ReviewResult,
    Warrant,
    WarrantType,
    WorkItemKind,
)
from holdtrack.cases.services.detainers.guards import has_open_claim, hold_warrants, policy_evaluation, with_warrants
from holdtrack.cases.services.detainers.lea import detainer_expire_if_due, raise_work
from holdtrack.core.errors import GuardRefused, InvalidTransition, ValidationFailed
from holdtrack.core.timeutil import fact_time
from holdtrack.custody.models import Booking, IdentityMatch, MatchStatus
from holdtrack.kernel.parties import authorize
from holdtrack.kernel.refusals import declare, raise_failed
from holdtrack.kernel.steps import locked, note, step, when

S = DetainerState
C = CaseType.DETAINER
# What the guards and the policy evaluation read beside the row: fetched with it by the services that evaluate.
FACTS = ("facility", "addressed_lea__jurisdiction", "booking")


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


def _match_not_confirmed() -> GuardRefused:
    # A probabilistic match never causes legal action: a named officer must have confirmed it.
    return GuardRefused(
        "The identity match for this booking must be confirmed by an officer first.",
        rule="R-MATCH-CONFIRMED v1",
        citation="brief.md principle 3",
    )


def _unconfirmed(match: IdentityMatch, at: datetime) -> GuardRefused | None:
    return _match_not_confirmed() if match.status != MatchStatus.CONFIRMED else None


def _out_of_custody(match: IdentityMatch, at: datetime) -> GuardRefused | None:
    released_at = match.booking.released_at
    if released_at is not None and released_at <= at:
        return GuardRefused(
            "The subject is no longer in this agency's custody.",
            rule="R-CRIMINAL-CUSTODY v1",
            citation="ICE Policy 10074.2: the subject must be in criminal custody",
        )
    return None


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
        if match.booking_id != booking.pk:
            raise _match_not_confirmed()
        match.booking = booking  # the locked row, which the checks read
        raise_failed("detainer_prepare", match, at)
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
        ev = policy_evaluation(d, at)
        # Detainers are issued whether or not the LEA cooperates (Policy 10074.2); local law is shown to
        # the officer now and enforced when the LEA decides.
        d.policy_at_prepare = ev.as_dict()
        d.save()

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
        d = with_warrants(locked(Detainer, detainer.pk))
        g = authorize(actor, "detainer_approve", d, channel=channel, document=source_document)
        if d.prepared_by_id == actor.pk:
            raise GuardRefused(
                "The supervisor who approves a detainer cannot be the officer who prepared it.", rule="R-FOUR-EYES v1"
            )
        needs_warrant = d.request_type == RequestType.HOLD or d.form_type == FormType.I247A
        # LEA staff recording from the document an approval the agency gave anyway record a fact; the defect is
        # caught by the LEA's validation at receipt (domain.md B3.1 D2) and by every hold guard.
        recorded_by_lea = g.recorded_by_counterpart
        if needs_warrant and not recorded_by_lea and not hold_warrants(d):
            raise GuardRefused(
                "No hold-type detainer without an administrative warrant (I-200 or I-205) attached.",
                rule="R-WARRANT-REQUIRED v1",
                citation="ICE Policy 10074.2 (in force 2017-04-02)",
            )
        if d.request_type == RequestType.HOLD and has_open_claim(d.subject_id):
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
            review = clocks.R_NEUTRAL_REVIEW
            data["clocks"] = [clocks.Clock("neutral_review", "", at, review.due(at), review.ref, "").as_dict()]
        step(d, "transmit", case_type=C, actor=actor, grant=g, at=at, channel=channel, data=data)
        return d


def _review_not_required(d: Detainer, at: datetime) -> InvalidTransition | None:
    return None if d.neutral_review_required else InvalidTransition("This detainer does not need neutral review.")


def _review_recorded(d: Detainer, at: datetime) -> InvalidTransition | None:
    return InvalidTransition("Neutral review is already recorded.") if d.neutral_review_result else None


def detainer_record_neutral_review(
    *, actor: User, detainer: Detainer, result: str, at: datetime | None = None, reason: str = ""
) -> Detainer:
    at = when(at)
    if result not in ReviewResult.values:
        raise ValidationFailed(f"Unknown review result {result!r}.")
    with transaction.atomic():
        d = locked(Detainer, detainer.pk)
        g = authorize(actor, "detainer_record_neutral_review", d)
        raise_failed("detainer_record_neutral_review", d, at)
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
            raise_work(
                d,
                WorkItemKind.RELEASE_REQUIRED,
                at,
                "Detainer lifted during the hold: release unless another lawful basis for custody exists.",
            )
        return d


# What each service takes and checks beside its party rule (kernel.refusals): the pages ask these.
declare("detainer_prepare", checks=(_unconfirmed, _out_of_custody))
declare("detainer_approve", steps=("approve",))
declare("detainer_transmit", steps=("transmit",))
declare("detainer_record_neutral_review", checks=(_review_not_required, _review_recorded))
declare("detainer_lift", steps=("lift",))
