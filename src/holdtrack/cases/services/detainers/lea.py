"""The LEA's steps on a detainer: receive, validate, serve the subject, decide, hold, expire, notify."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from holdtrack.accounts.models import User
from holdtrack.accounts.services import organization_for_lea, system_user
from holdtrack.audit.models import CaseType, Channel
from holdtrack.cases import clocks
from holdtrack.cases.models import (
    ACTIVE_STATES,
    LIFT_REASON_GROUP,
    Box,
    Detainer,
    DetainerState,
    FormType,
    LeaDecision,
    LiftReason,
    Notification,
    NotificationKind,
    RequestType,
    ReviewResult,
    ServiceMethod,
    WorkItem,
    WorkItemKind,
)
from holdtrack.cases.services.detainers.guards import (
    hold_guard_failures,
    hold_warrants,
    policy_evaluation,
    raise_first,
    with_warrants,
)
from holdtrack.core.errors import GuardRefused, InvalidTransition, ValidationFailed
from holdtrack.custody.identity import lock_person
from holdtrack.kernel.parties import authorize
from holdtrack.kernel.refusals import declare, raise_failed
from holdtrack.kernel.steps import locked, note, step, when

S = DetainerState
C = CaseType.DETAINER
# What the guards and the policy evaluation read beside the row: fetched with it by the services that evaluate.
FACTS = ("facility", "addressed_lea__jurisdiction", "booking")


# --------------------------------------------------------------------------------------------- LEA side


def _validation_failures(d: Detainer, at: datetime) -> list[str]:
    problems = []
    if (d.request_type == RequestType.HOLD or d.form_type == FormType.I247A) and not hold_warrants(d):
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
        d = with_warrants(locked(Detainer, detainer.pk, related=FACTS))
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
        ev = policy_evaluation(d, at)
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
        ev = policy_evaluation(d, at)
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


# While the detainer is with the LEA and not ended: the states in which its subject is served.
SERVED_IN = (S.RECEIVED, S.VALIDATION_FAILED, S.UNDER_POLICY_REVIEW, *ACTIVE_STATES, S.CITIZENSHIP_REVIEW)


def _not_served_in_state(d: Detainer, at: datetime) -> InvalidTransition | None:
    if d.state in SERVED_IN:
        return None
    return InvalidTransition(f"A detainer that is '{d.get_state_display()}' is not served.")


def _already_served(d: Detainer, at: datetime) -> InvalidTransition | None:
    if d.served_at is None:
        return None
    return InvalidTransition(f"Already served on the subject at {d.served_at.isoformat()}.")


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
        raise_failed("detainer_serve_subject", d, at)
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
        d = with_warrants(locked(Detainer, detainer.pk, related=FACTS))
        g = authorize(actor, "detainer_decide", d, channel=channel, document=source_document)
        if d.state != S.UNDER_POLICY_REVIEW:
            raise InvalidTransition(f"The detainer is '{d.get_state_display()}', not under policy review.")
        ev = policy_evaluation(d, at)
        data: dict[str, Any] = {
            "decision": decision,
            "hold_allowed": ev.hold_allowed,
            "policy_rules": ev.rule_ids,
            "policy_explanation": ev.explain(),
        }
        if decision == LeaDecision.HONOR_HOLD:
            raise_first(hold_guard_failures(d, at, ev))
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
            start_hold(d, d.booking.release_eligible_at, at)
        return d


def start_hold(d: Detainer, eligible_at: datetime, at: datetime) -> bool:
    """D8: release eligibility reached on a hold-eligible detainer. Guards are checked again at this moment;
    the window runs from release eligibility whatever time the event is recorded."""
    ev = policy_evaluation(d, at)
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
        raise_work(
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
            "warrant_ids": [w.pk for w in hold_warrants(d)],
            "policy_rules": ev.rule_ids,
            "hold_allowed": ev.hold_allowed,
        },
    )
    return True


def raise_work(d: Detainer, kind: str, due: datetime, detail: str) -> WorkItem:
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
            raise_work(
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
        ev = policy_evaluation(d, at)
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


# What each service takes and checks beside its party rule (kernel.refusals): the pages ask these.
declare("detainer_receive", steps=("receive",))
declare("detainer_serve_subject", checks=(_not_served_in_state, _already_served))
declare("detainer_decide", steps=("decide_hold", "decide_notify", "decline"))
