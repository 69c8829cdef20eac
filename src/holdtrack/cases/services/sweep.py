"""The periodic sweep: advances whatever the clocks say is due. Idempotent: a second run at the same
``now`` finds nothing to do, because every step changes the state it selected on."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from holdtrack.accounts.services import organization_for_lea, system_user
from holdtrack.audit.models import CaseType, Channel
from holdtrack.cases.clocks import R_NEUTRAL_REVIEW
from holdtrack.cases.models import (
    LIFT_REASON_GROUP,
    CourtCase,
    CourtState,
    Detainer,
    DetainerState,
    LiftReason,
    OutcomeGroup,
    Subpoena,
    SubpoenaState,
    WorkItem,
    WorkItemKind,
)
from holdtrack.cases.overdetention import hold_minutes_used, over_detention_flags
from holdtrack.cases.services.detainers import TERMINAL, detainer_expire_if_due
from holdtrack.cases.services.subpoenas import (
    close_finished,
    court_noncompliance_if_due,
    subpoena_lapse_if_due,
)
from holdtrack.core.timeutil import clock
from holdtrack.core.timeutil import now as _now
from holdtrack.custody.areas import booking_areas_repair
from holdtrack.kernel.steps import locked, step

S = DetainerState

# Outcome group by terminal state where no ICE lift reason decides it.
STATE_GROUP = {
    S.CUSTODY_TRANSFERRED: OutcomeGroup.CUSTODY_TRANSFERRED,
    S.DECLINED: OutcomeGroup.DECLINED_BY_LEA,
    S.RELEASED_WINDOW_EXPIRED: OutcomeGroup.HOLD_EXPIRED_RELEASED,
    S.RELEASED_BEFORE_PICKUP: OutcomeGroup.RELEASED_BEFORE_PICKUP,
    S.RELEASED_NOTICE_GIVEN: OutcomeGroup.RELEASED_BEFORE_PICKUP,
    S.TRANSFERRED_TO_AGENCY: OutcomeGroup.TRANSFERRED_WITH_CUSTODY,
}


@dataclass
class SweepResult:
    holds_expired: int = 0
    detainers_closed: int = 0
    reviews_overdue: int = 0
    subpoenas_lapsed: int = 0
    subpoena_alerts: int = 0
    court_noncompliance: int = 0
    cases_closed: int = 0
    booking_areas_repaired: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def outcome_for(d: Detainer) -> str:
    if d.state == S.LIFTED:
        return LIFT_REASON_GROUP.get(d.lift_reason, OutcomeGroup.LIFTED_UNSPECIFIED)
    return STATE_GROUP[d.state]


def detainer_close(d: Detainer, at: datetime) -> bool:
    """D14: record the outcome, hold minutes and over-detention flags, then close."""
    with transaction.atomic():
        d = locked(Detainer, d.pk)
        if d.state not in TERMINAL:
            return False
        d.outcome_group = outcome_for(d)
        d.outcome_at = d.outcome_at or at
        if d.state == S.CUSTODY_TRANSFERRED:
            d.lift_reason = LiftReason.BOOKED_INTO_DETENTION
        d.hold_minutes_used = hold_minutes_used(d)
        d.over_detention_flags = over_detention_flags(d)
        step(
            d,
            "close",
            case_type=CaseType.DETAINER,
            actor=system_user(),
            at=at,
            channel=Channel.SYSTEM,
            data={
                "outcome_group": d.outcome_group,
                "lift_reason": d.lift_reason,
                "hold_minutes_used": d.hold_minutes_used,
                "over_detention_flags": d.over_detention_flags,
                "hold_window": {
                    "starts_at": d.hold_started_at.isoformat() if d.hold_started_at else None,
                    "expires_at": d.hold_expires_at.isoformat() if d.hold_expires_at else None,
                    "rule": d.hold_rule,
                },
            },
        )
        if d.over_detention_flags:
            WorkItem.objects.get_or_create(
                dedupe_key=f"{WorkItemKind.OVER_DETENTION}:detainer:{d.pk}",
                defaults={
                    "kind": WorkItemKind.OVER_DETENTION,
                    "detainer": d,
                    "due_at": at,
                    "organization": organization_for_lea(d.addressed_lea),
                    "detail": "Over-detention: " + ", ".join(str(f["code"]) for f in d.over_detention_flags),
                },
            )
        return True


def _ready_to_close(d: Detainer) -> bool:
    # Wait for the release when a hold ran, or when local law limits the time from bond to release (V8), so that
    # custody past the ceiling or the release limit is measured.
    if d.hold_started_at is not None or (d.policy_at_decision or {}).get("release_within_hours"):
        return d.booking.released_at is not None
    return True


def sweep(now: datetime | None = None) -> SweepResult:
    """An explicit ``now`` counts as the clock for everything the sweep records (``sweep --now``, simulator)."""
    with clock(now):
        return _sweep(now or _now())


def _sweep(now: datetime) -> SweepResult:
    r = SweepResult()
    for d in Detainer.objects.filter(state=S.HOLD_IN_EFFECT, hold_expires_at__lte=now).only("pk"):
        r.holds_expired += int(detainer_expire_if_due(d, now=now))
    overdue = Detainer.objects.filter(
        neutral_review_required=True, neutral_review_result="", transmitted_at__lte=R_NEUTRAL_REVIEW.before(now)
    ).exclude(state__in=[S.CLOSED, *TERMINAL])
    # Those already flagged are left out in SQL: an unreviewed detainer stays overdue for the rest of its life,
    # and an hourly sweep would otherwise look its work item up again each time.
    overdue = overdue.exclude(work_items__kind=WorkItemKind.NEUTRAL_REVIEW_OVERDUE)
    for d in overdue.select_related("issuing_office"):
        _, created = WorkItem.objects.get_or_create(
            dedupe_key=f"{WorkItemKind.NEUTRAL_REVIEW_OVERDUE}:detainer:{d.pk}",
            defaults={
                "kind": WorkItemKind.NEUTRAL_REVIEW_OVERDUE,
                "detainer": d,
                "organization": d.issuing_office,
                "due_at": R_NEUTRAL_REVIEW.due(d.transmitted_at or now),
                "detail": f"Neutral probable-cause review not recorded within {R_NEUTRAL_REVIEW.length_text} of "
                "transmission.",
            },
        )
        r.reviews_overdue += int(created)
    # A detainer whose hold ran stays terminal until the release; leave those out in SQL, so an hourly sweep does
    # not walk every one of them again (``_ready_to_close`` still decides).
    terminal = Detainer.objects.filter(state__in=TERMINAL).filter(
        Q(hold_started_at__isnull=True) | Q(booking__released_at__isnull=False)
    )
    for d in terminal.select_related("booking"):
        if _ready_to_close(d):
            r.detainers_closed += int(detainer_close(d, now))
    open_subpoenas = Subpoena.objects.filter(
        state__in=[SubpoenaState.SERVED, SubpoenaState.RESPONSE_DUE], return_due_at__isnull=False
    )
    for s in open_subpoenas.filter(return_due_at__lte=now):
        r.subpoenas_lapsed += int(subpoena_lapse_if_due(s, now=now))
    # T-5 / T-2 / T-0 alerts to the recipient's counsel (domain.md B3.2 S7).
    for s in open_subpoenas.filter(return_due_at__gt=now, return_due_at__lte=now + timedelta(days=5)).select_related(
        "recipient_lea"
    ):
        remaining = (s.return_due_at - now) if s.return_due_at else timedelta(0)
        mark = 0 if remaining <= timedelta(days=1) else (2 if remaining <= timedelta(days=2) else 5)
        _, created = WorkItem.objects.get_or_create(
            dedupe_key=f"{WorkItemKind.SUBPOENA_RETURN_DUE}:subpoena:{s.pk}:T-{mark}",
            defaults={
                "kind": WorkItemKind.SUBPOENA_RETURN_DUE,
                "subpoena": s,
                "due_at": s.return_due_at or now,
                "organization": organization_for_lea(s.recipient_lea),
                "detail": f"Subpoena return date in {mark} days or less (T-{mark}).",
            },
        )
        r.subpoena_alerts += int(created)
    for c in CourtCase.objects.filter(state=CourtState.ENFORCED, comply_by__lte=now).select_related("referral"):
        if court_noncompliance_if_due(c, now=now):
            r.court_noncompliance += 1
            # Counsel who referred the matter decides whether to move for contempt.
            WorkItem.objects.get_or_create(
                dedupe_key=f"{WorkItemKind.COMPLY_BY_PASSED}:court_case:{c.pk}",
                defaults={
                    "kind": WorkItemKind.COMPLY_BY_PASSED,
                    "court_case": c,
                    "due_at": c.comply_by or now,
                    "organization": c.referral.doj_office,
                    "detail": f"Comply-by date passed in {c.court} {c.case_number}: consider a contempt motion.",
                },
            )
    r.cases_closed = close_finished(now)
    r.booking_areas_repaired = booking_areas_repair()
    return r
