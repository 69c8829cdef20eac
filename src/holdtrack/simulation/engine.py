"""The discrete-event engine: applies a plan through the services, in time order.

Every story starts as one booking event; each handler calls a service at the event's simulated time and
schedules the story's next events on a heap ordered by (time, sequence number). The sweep runs at every clock
the engine sets (a hold's ceiling, a subpoena's return date, a court's comply-by date), so holds end at their
ceiling and subpoenas lapse at their return date exactly as in production, and every ``SWEEP_EVERY_HOURS``
simulated hours for the rest (closing finished cases, alerts, overdue reviews). Events at or after the horizon
are never applied: those cases simply stay open.

Only services write case data (``custody.services``, ``cases.services.detainers``, ``cases.services.subpoenas``,
``cases.services.sweep.sweep``); a service that refuses an action (a guard) is counted in the run statistics,
and the story continues as the refusal implies. Calls carry ``channel=SIMULATOR`` where the service takes a
channel. Each simulated day is one database transaction: that keeps SQLite fast and a failed day leaves no
partial day behind.

Determinism: the plan is fixed by the seed; dynamic choices (subpoena campaigns, late steps) use
``random.Random`` instances seeded from the seed and a story or campaign number, and events are applied in a
total order, so the same seed on the same reference data gives the same history (on SQLite and PostgreSQL).

Scenarios worth knowing:
- A detainer prepared without its I-200/I-205 is caught by the supervisor's approval guard (R-WARRANT-REQUIRED);
  the officer attaches the warrant and resubmits. The LEA-side "missing warrant" validation failure cannot be
  reached through the services (approval already requires the warrant), so validation failures are exercised
  through subjects released between transmission and receipt.
- Release eligibility is never earlier than six hours after the LEA's decision, nor earlier than a day after a
  citizenship claim is resolved: the simulator does not create holds on windows that already ran.
- Court compliance has a median of 10 days against a 14-day comply-by, so most respondents comply in time and
  a tail runs late into NONCOMPLIANCE (domain.md D7 gives a 14-day median; that would make half of them late).
- A superseding lift is recorded with its lift reason only: ``detainer_prepare`` cannot link a new detainer to
  the one it supersedes.
"""

from __future__ import annotations

import bisect
import heapq
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction

from holdtrack.accounts.services import organization_doj
from holdtrack.audit.models import Channel
from holdtrack.cases.models import (
    CourtCase,
    Detainer,
    DetainerState,
    EnforcementReferral,
    LeaDecision,
    NotificationKind,
    OrderType,
    ResponseType,
    Subpoena,
    SubpoenaState,
    WarrantType,
)
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.cases.services.sweep import sweep
from holdtrack.core.errors import DomainError
from holdtrack.core.timeutil import clock
from holdtrack.custody import services as cs
from holdtrack.custody.identity import open_claim_for_person
from holdtrack.custody.models import Booking, IdentityMatch, Subject
from holdtrack.intake.bookings import BookingFacts, booking_intake
from holdtrack.jurisdictions.models import (
    Agreement287g,
    HoldRule,
    Policy,
    SubpoenaRule,
)
from holdtrack.jurisdictions.policy import Evaluation, evaluate
from holdtrack.simulation import params as P
from holdtrack.simulation.people import booked_person, staff_name
from holdtrack.simulation.planner import DETAINER, LeaInfo, Plan, Story, booking_number
from holdtrack.simulation.staff import Staff

SIM = Channel.SIMULATOR
S = DetainerState
OPEN_DETAINER = {
    S.PREPARED,
    S.APPROVED,
    S.TRANSMITTED,
    S.RECEIVED,
    S.VALIDATION_FAILED,
    S.UNDER_POLICY_REVIEW,
    S.ACTIVE_NOTIFY_ONLY,
    S.ACTIVE_HOLD_ELIGIBLE,
    S.CITIZENSHIP_REVIEW,
    S.HOLD_IN_EFFECT,
}
NONCOMPLIANT = {SubpoenaState.PARTIAL, SubpoenaState.OBJECTED, SubpoenaState.DECLINED, SubpoenaState.NO_RESPONSE}

ProgressCallback = Callable[[int, int], None]

ORDER_TERMS: dict[str, str] = {
    OrderType.ORDER_ENFORCING_SUBPOENA: "The subpoena is within the agency's authority, sufficiently definite and "
    "reasonably relevant; respondent shall produce the records requested.",
    OrderType.ORDER_DENYING_ENFORCEMENT: "Enforcement denied: the request is not reasonably relevant to a lawful "
    "inquiry as drafted.",
    OrderType.DISMISSAL: "Dismissed as moot on the petitioner's notice.",
}


@dataclass
class RunStats:
    events: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    sweep: Counter[str] = field(default_factory=Counter)
    not_applied: int = 0  # events at or after the horizon
    campaigns: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "events_applied": sum(self.events.values()),
            "events_by_kind": dict(sorted(self.events.items())),
            "events_after_horizon": self.not_applied,
            "refusals": dict(sorted(self.refusals.items())),
            "sweep": dict(sorted(self.sweep.items())),
            "campaigns": self.campaigns,
        }


@dataclass
class Run:
    """A detainer story while it is applied."""

    s: Story
    lea: LeaInfo
    rng: random.Random
    subject: Subject | None = None
    booking: Booking | None = None
    match: IdentityMatch | None = None
    detainer: Detainer | None = None
    judicial_attached: bool = False
    awaiting_claim: bool = False
    claim_resolve_at: datetime | None = None
    decided_at: datetime | None = None
    eligible_at: datetime | None = None
    notice_lead: float | None = None
    released: bool = False
    subpoenaed: bool = False
    stopped: bool = False  # the detainer was lifted with a verified citizenship claim before the LEA decided


@dataclass
class SubRun:
    """One subpoena of a campaign while it is applied."""

    lea: LeaInfo
    story: Run
    rng: random.Random
    subpoena: Subpoena | None = None
    referral: EnforcementReferral | None = None
    case: CourtCase | None = None
    response: str = ""
    responded_at: datetime | None = None
    judge: str = ""


class Engine(Staff):
    def __init__(self, plan: Plan, leas: list[LeaInfo], *, horizon: datetime) -> None:
        super().__init__()
        self.plan = plan
        self.seed = plan.seed
        self.horizon = min(horizon, plan.end)
        self.leas = {lea.ori: lea for lea in leas}
        self.leas_by_state: dict[str, list[LeaInfo]] = defaultdict(list)
        for lea in leas:
            self.leas_by_state[lea.state].append(lea)
        self.heap: list[tuple[datetime, int, str, Any]] = []
        self.seq = 0
        self.stats = RunStats()
        self._evals: dict[tuple[int, int, bool, bool], Evaluation] = {}
        self._change_dates: list[date] | None = None
        self.campaign_rng = random.Random(self.seed * 7919 + 17)
        self.candidates: dict[int, list[Run]] = defaultdict(list)
        self.campaign_pending: set[int] = set()
        self.last_campaign: dict[int, datetime] = {}
        self.case_numbers: dict[tuple[str, int], int] = {}

    # ------------------------------------------------------------------------------------------ machinery

    def push(self, at: datetime, kind: str, ref: Any = None) -> None:
        if at >= self.horizon and kind != "sweep":
            self.stats.not_applied += 1
            return
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, kind, ref))

    def run(self, progress: ProgressCallback | None = None) -> RunStats:
        for story in self.plan.stories:
            lea = self.leas[story.lea_ori]
            self.push(story.booked_at, "book", Run(story, lea, random.Random(f"{self.seed}:{story.n}:dynamic")))
        at = self.plan.start
        while at < self.horizon:
            self.push(at, "sweep")
            at += timedelta(hours=P.SWEEP_EVERY_HOURS)
        self.push(self.horizon, "sweep")  # a last sweep at the horizon itself

        total = self.plan.days
        boundary = self.plan.start + timedelta(days=1)
        done = 0
        while self.heap:
            with transaction.atomic():
                while self.heap and self.heap[0][0] < boundary:
                    at, _, kind, ref = heapq.heappop(self.heap)
                    self.dispatch(at, kind, ref)
            boundary += timedelta(days=1)
            done = min(done + 1, total)
            if progress is not None:
                progress(done, total)
        return self.stats

    def dispatch(self, at: datetime, kind: str, ref: Any) -> None:
        handler = getattr(self, f"on_{kind}")
        try:
            with clock(at):  # simulated time counts as now for every fact the services check
                handler(at, ref)
        except DomainError as exc:
            # A guard refused: the story stops there, as it would for a real user.
            self.stats.refusals[f"{kind}: {exc.rule or type(exc).__name__}"] += 1
            return
        self.stats.events[kind] += 1

    # --------------------------------------------------------------------------------------- lookups

    def _epoch(self, on: date) -> int:
        """Index of the span between dates where local law or a 287(g) agreement changes: ``evaluate`` depends
        on the date only through those, so one evaluation per span serves every day in it."""
        if self._change_dates is None:
            dates: set[date] = set(Policy.objects.values_list("effective_from", flat=True))
            for end in Policy.objects.values_list("effective_to", flat=True):
                if end is not None:
                    dates.add(end + timedelta(days=1))
            for signed in Agreement287g.objects.values_list("signed_on", flat=True):
                if signed is not None:
                    dates.add(signed)
            self._change_dates = sorted(dates)
        return bisect.bisect_right(self._change_dates, on)

    def evaluation(self, lea: LeaInfo, at: datetime, *, judicial: bool = False, serious: bool = False) -> Evaluation:
        key = (lea.pk, self._epoch(at.date()), judicial, serious)
        if key not in self._evals:
            self._evals[key] = evaluate(
                self.lea_obj(lea.pk), on=at.date(), judicial_warrant=judicial, serious_conviction=serious
            )
        return self._evals[key]

    def limited(self, lea: LeaInfo, at: datetime) -> bool:
        """A jurisdiction with a limited-cooperation policy: local law restricts holds."""
        return self.evaluation(lea, at).hold_rule != HoldRule.HONOR

    def detainer_state(self, r: Run) -> str:
        assert r.detainer is not None
        r.detainer.refresh_from_db(fields=["state", "hold_expires_at"])
        return r.detainer.state

    def refused(self, kind: str, exc: DomainError) -> None:
        self.stats.refusals[f"{kind}: {exc.rule or type(exc).__name__}"] += 1

    # ---------------------------------------------------------------------------------- booking & match

    def on_book(self, at: datetime, r: Run) -> None:
        s, person = r.s, r.s.person
        clerk = self.clerk(r.lea)
        # Through the booking intake, as a jail's feed would: the booked record, then screening.
        taken = booking_intake(
            actor=clerk,
            person=booked_person(person, f"SIM{self.seed}-{s.n:07d}"),
            facts=BookingFacts(
                facility=self.facility(r.lea.facility_pk),
                booking_number=booking_number(self.seed, s.n),
                booked_at=at,
                charge_level=s.charge_level,
                charges=[{"description": c} for c in s.charges],
                serious_conviction=s.serious_conviction,
                projected_release_at=s.eligible_at,
                citizenship_asserted=s.claim == "BOOKING",
            ),
            channel=SIM,
        )
        r.booking, r.subject = taken.booking, taken.booking.subject
        self.push(at + s.delay("propose"), "propose", r)

    def on_propose(self, at: datetime, r: Run) -> None:
        assert r.booking is not None and r.subject is not None
        biometric = r.s.kind == DETAINER
        r.match = cs.identity_match_propose(
            actor=self.sysuser,
            booking=r.booking,
            subject=r.subject,
            basis="BIOMETRIC" if biometric else "BIOGRAPHIC",
            at=at,
            score=round(0.97 + r.rng.random() * 0.03, 4) if biometric else round(0.55 + r.rng.random() * 0.3, 4),
            model_version="ident-sim-1",
            explanation={"source": "simulated IDENT response", "fingerprints": biometric},
        )
        review = (
            r.s.prepare_at if not biometric else max(at + timedelta(minutes=1), r.s.prepare_at - r.s.delay("review"))
        )
        self.push(max(review, at + timedelta(minutes=1)), "review", r)

    def on_review(self, at: datetime, r: Run) -> None:
        assert r.match is not None
        confirm = r.s.kind == DETAINER
        cs.identity_match_review(
            actor=self.officer(r.lea),
            match=r.match,
            confirm=confirm,
            reason="Fingerprint match confirmed against the registry record."
            if confirm
            else "No fingerprint match; the biographic similarity alone does not identify the subject.",
            at=at,
        )
        if confirm:
            self.push(max(r.s.prepare_at, at + timedelta(minutes=1)), "prepare", r)
        else:
            self.push(max(r.s.eligible_at, at + timedelta(minutes=1)), "release_unmatched", r)

    def on_release_unmatched(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        cs.booking_release(actor=self.clerk(r.lea), booking=r.booking, at=at, release_type="TIME_SERVED", channel=SIM)
        r.released = True

    # ------------------------------------------------------------------------------------- agency side

    def on_prepare(self, at: datetime, r: Run) -> None:
        assert r.booking is not None and r.match is not None
        s, officer = r.s, self.officer(r.lea)
        r.detainer = ds.detainer_prepare(
            actor=officer,
            booking=r.booking,
            identity_match=r.match,
            form_type=s.form_type,
            pc_bases=list(s.pc_bases),
            charging_document=s.charging_document,
            at=at,
            channel=SIM,
        )
        if s.warrant_type and not s.missing_warrant:
            self.attach_warrant(at, r)
        if s.judicial_warrant and self.evaluation(r.lea, at).hold_rule in (
            HoldRule.JUDICIAL_WARRANT,
            HoldRule.JUDICIAL_WARRANT_AND_SERIOUS,
        ):
            first, last = staff_name(r.rng)
            ds.warrant_attach(
                actor=officer,
                detainer=r.detainer,
                warrant_type=WarrantType.JUDICIAL_ARREST,
                signed_by_name=f"{first} {last}",
                signed_by_title="United States Magistrate Judge",
                court=f"U.S. District Court, {r.lea.district}",
                signed_at=at - timedelta(hours=2),
                at=at,
                channel=SIM,
            )
            r.judicial_attached = True
        if r.detainer.neutral_review_required:
            self.push(at + s.delay("approve") / 2, "neutral_review", r)
        if s.claim == "BOOKING":
            r.claim_resolve_at = at + timedelta(days=s.claim_resolve_days)
            self.push(r.claim_resolve_at, "claim_resolve", r)
        self.push(at + s.delay("approve"), "approve", r)

    def attach_warrant(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None
        sup = self.supervisor(r.lea)
        ds.warrant_attach(
            actor=self.officer(r.lea),
            detainer=r.detainer,
            warrant_type=r.s.warrant_type,
            signed_by_name=f"{sup.first_name} {sup.last_name}",
            signed_by_title="Supervisory Detention and Deportation Officer",
            signed_at=at,
            number=f"{r.s.warrant_type}-SIM{self.seed}-{r.s.n:07d}",
            at=at,
            channel=SIM,
        )

    def on_attach_warrant(self, at: datetime, r: Run) -> None:
        self.attach_warrant(at, r)
        self.push(at + timedelta(minutes=r.rng.uniform(15, 120)), "approve", r)

    def on_neutral_review(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None
        ds.detainer_record_neutral_review(
            actor=self.agency_counsel(r.lea),
            detainer=r.detainer,
            result="PC_FOUND",
            at=at,
            reason="Biometric match and database records reviewed.",
        )

    def on_approve(self, at: datetime, r: Run) -> None:
        if r.stopped:
            return
        assert r.detainer is not None
        try:
            ds.detainer_approve(actor=self.supervisor(r.lea), detainer=r.detainer, at=at, channel=SIM)
        except DomainError as exc:
            self.refused("approve", exc)
            if exc.rule.startswith("R-WARRANT-REQUIRED"):
                # The four-eyes review caught the missing warrant: the officer attaches it and resubmits.
                self.push(at + timedelta(hours=r.rng.uniform(1, 6)), "attach_warrant", r)
            elif exc.rule.startswith("R-CITIZENSHIP-FREEZE"):
                r.awaiting_claim = True  # the claim's resolution decides what happens next
            return
        self.push(at + r.s.delay("transmit"), "transmit", r)

    def on_transmit(self, at: datetime, r: Run) -> None:
        if r.stopped:
            return
        assert r.detainer is not None
        ds.detainer_transmit(actor=self.officer(r.lea), detainer=r.detainer, at=at, channel=SIM)
        if r.s.released_before_receipt:
            release = at + timedelta(minutes=r.rng.uniform(10, 120))
            self.push(release, "release_before_receipt", r)
            self.push(release + timedelta(hours=r.rng.uniform(1, 6)), "receive", r)
        else:
            self.push(at + r.s.delay("receive"), "receive", r)

    def on_release_before_receipt(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        cs.booking_release(actor=self.clerk(r.lea), booking=r.booking, at=at, release_type="PR", channel=SIM)
        r.released = True

    # ---------------------------------------------------------------------------------------- LEA side

    def on_receive(self, at: datetime, r: Run) -> None:
        if r.stopped:
            return
        assert r.detainer is not None
        # The service returns the row it locked and stepped: its state is the state after receipt and validation.
        r.detainer = ds.detainer_receive(actor=self.clerk(r.lea), detainer=r.detainer, at=at, channel=SIM)
        state = r.detainer.state
        if state == S.VALIDATION_FAILED:
            # Still open after failing validation: the agency cancels the detainer.
            self.push(at + timedelta(hours=r.rng.uniform(2, 48)), "lift_invalid", r)
        elif state in (S.RECEIVED, S.UNDER_POLICY_REVIEW):
            self.push(at + r.s.delay("serve"), "serve", r)
        # Otherwise receipt settled the outcome (the subject had already left custody).

    def on_lift_invalid(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None
        ds.detainer_lift(
            actor=self.officer(r.lea),
            detainer=r.detainer,
            reason="Case Closed",
            at=at,
            note_text="The subject was no longer in the LEA's custody when the detainer was received.",
            channel=SIM,
        )

    def on_serve(self, at: datetime, r: Run) -> None:
        if r.stopped:
            return
        assert r.detainer is not None
        ds.detainer_serve_subject(
            actor=self.clerk(r.lea),
            detainer=r.detainer,
            method=r.s.service_method,
            language=r.s.person.language,
            at=at,
            channel=SIM,
        )
        self.push(at + r.s.delay("decide"), "decide", r)

    def choose_decision(self, r: Run, ev: Evaluation) -> str:
        u = r.s.decision_u
        if r.s.form_type == "I247A" and ev.hold_allowed:
            if u < P.HONOR_WHEN_ALLOWED:
                return LeaDecision.HONOR_HOLD
            if u < P.HONOR_WHEN_ALLOWED + P.NOTIFY_INSTEAD_WHEN_ALLOWED and ev.notify_allowed:
                return LeaDecision.NOTIFY_ONLY
            return LeaDecision.DECLINE
        return LeaDecision.NOTIFY_ONLY if ev.notify_allowed else LeaDecision.DECLINE

    def on_decide(self, at: datetime, r: Run) -> None:
        if r.stopped:
            return
        assert r.detainer is not None
        s = r.s
        ev = self.evaluation(r.lea, at, judicial=r.judicial_attached, serious=s.serious_conviction)
        decision = self.choose_decision(r, ev)
        counsel = self.lea_counsel(r.lea)
        if r.judicial_attached:
            # The LEA's counsel confirms the court's warrant through the same service as a real user.
            for w in r.detainer.warrants.filter(is_judicial=True, judicial_confirmed_at__isnull=True):
                ds.warrant_confirm_judicial(actor=counsel, warrant=w, at=at, channel=SIM)
        # Declined without telling the agency (params.DECLINE_RECORDED_P): no decision is recorded, and the
        # subject's release ends the detainer as released before pickup.
        unrecorded = decision == LeaDecision.DECLINE and r.rng.random() >= P.DECLINE_RECORDED_P
        if unrecorded:
            self.stats.events["decline_unrecorded"] += 1
        else:
            try:
                ds.detainer_decide(actor=counsel, detainer=r.detainer, decision=decision, at=at, channel=SIM)
            except DomainError as exc:
                # A guard refused the hold (for instance an open citizenship claim): apply the next answer.
                self.refused("decide", exc)
                decision = LeaDecision.NOTIFY_ONLY if ev.notify_allowed else LeaDecision.DECLINE
                ds.detainer_decide(actor=counsel, detainer=r.detainer, decision=decision, at=at, channel=SIM)
        r.decided_at = at
        eligible = max(s.eligible_at, at + timedelta(hours=P.MIN_DECISION_TO_ELIGIBLE_HOURS))
        if r.claim_resolve_at is not None:
            eligible = max(eligible, r.claim_resolve_at + timedelta(days=1))
        earliest_notice = at + timedelta(minutes=5)
        if s.claim == "LATER":
            # Raised while the detainer is active; eligibility waits for the resolution (no hold on a claim).
            opened = at + timedelta(hours=s.claim_open_hours)
            r.claim_resolve_at = opened + timedelta(days=s.claim_resolve_days)
            self.push(opened, "claim_open", r)
            self.push(r.claim_resolve_at, "claim_resolve", r)
            eligible = max(eligible, r.claim_resolve_at + timedelta(days=1))
            earliest_notice = r.claim_resolve_at + timedelta(hours=1)
        if decision == LeaDecision.DECLINE:
            if not unrecorded:  # an unrecorded decline becomes a candidate at the release (after_release)
                self.note_candidate(at, r)
        else:
            fate_at = max(at + timedelta(minutes=30), at + (eligible - at) * s.fate_u)
            if s.fate in ("lift", "supersede"):
                self.push(fate_at, "lift", r)
            elif s.fate in ("transfer_agency", "early_release"):
                self.push(fate_at, s.fate, r)
            if s.fate not in ("transfer_agency", "early_release") and ev.notify_allowed:
                p = P.HOLD_NOTICE_P if decision == LeaDecision.HONOR_HOLD else P.NOTIFY_ONLY_NOTICE_P
                notice_at = max(eligible - timedelta(hours=s.lead_hours), earliest_notice)
                if s.notice_u < p and notice_at < eligible:
                    self.push(notice_at, "notify", r)
        r.eligible_at = eligible
        self.push(eligible, "eligible", r)

    def on_notify(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None and r.eligible_at is not None
        if r.released or self.detainer_state(r) not in (S.ACTIVE_HOLD_ELIGIBLE, S.ACTIVE_NOTIFY_ONLY):
            return
        n = ds.notification_send(
            actor=self.clerk(r.lea),
            detainer=r.detainer,
            kind=NotificationKind.ADVANCE_RELEASE,
            expected_release_at=r.eligible_at,
            at=at,
            channel=SIM,
        )
        r.notice_lead = n.lead_time_hours

    def on_eligible(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        if r.released:
            return
        cs.booking_record_release_eligibility(
            actor=self.clerk(r.lea), booking=r.booking, at=at, reason=r.s.eligibility_reason, channel=SIM
        )
        if r.detainer is None:
            self.push(at + timedelta(minutes=r.s.release_delay_minutes), "release", r)
            return
        state = self.detainer_state(r)
        if state == S.HOLD_IN_EFFECT:
            expires = r.detainer.hold_expires_at
            assert expires is not None
            self.push(expires, "sweep_due")  # first at the ceiling: the hold ends there, whoever acts next
            arrival = r.s.arrival_hours
            if arrival is not None and at + timedelta(hours=arrival) < expires:
                self.push(at + timedelta(hours=arrival), "pickup", r)
            else:
                # No-show: the sweep ends the hold at the ceiling; the jail releases then, sometimes late.
                self.push(expires + timedelta(hours=r.s.late_hours), "release", r)
            return
        if state == S.ACTIVE_NOTIFY_ONLY:
            lead = r.notice_lead
            p = 0.0 if lead is None else (P.PICKUP_AT_RELEASE["ample"] if lead >= 2 else P.PICKUP_AT_RELEASE["short"])
            if r.s.pickup_u < p:
                # Notified in time, the agency is present when the subject is released: no extra custody.
                ds.detainer_transfer_custody(actor=self.officer(r.lea), detainer=r.detainer, at=at, channel=SIM)
                r.released = True
                return
        self.push(at + timedelta(minutes=r.s.release_delay_minutes), "release", r)

    def on_pickup(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None
        if r.released:
            return
        try:
            ds.detainer_transfer_custody(actor=self.officer(r.lea), detainer=r.detainer, at=at, channel=SIM)
        except DomainError as exc:
            self.refused("pickup", exc)
            self.push(at, "release", r)
            return
        r.released = True

    def on_release(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        if r.released:
            return
        release_type = P.RELEASE_TYPE_FOR[r.s.eligibility_reason]
        cs.booking_release(actor=self.clerk(r.lea), booking=r.booking, at=at, release_type=release_type, channel=SIM)
        r.released = True
        self.after_release(at, r)

    def after_release(self, at: datetime, r: Run) -> None:
        released = (S.RELEASED_BEFORE_PICKUP, S.RELEASED_NOTICE_GIVEN)
        if r.detainer is not None and self.limited(r.lea, at) and self.detainer_state(r) in released:
            self.note_candidate(at, r)

    # ----------------------------------------------------------------------------------------- fates

    def on_lift(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None
        if r.released or self.detainer_state(r) not in OPEN_DETAINER:
            return
        ds.detainer_lift(
            actor=self.officer(r.lea),
            detainer=r.detainer,
            reason=r.s.fate_detail,
            at=at,
            note_text=f"Lifted by the issuing office: {r.s.fate_detail}.",
            channel=SIM,
        )

    def on_transfer_agency(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        if r.released:
            return
        same_state = [lea for lea in self.leas_by_state[r.lea.state] if lea.pk != r.lea.pk]
        pool = same_state or [lea for lea in self.leas.values() if lea.pk != r.lea.pk]
        target = pool[int(r.s.transfer_u * len(pool)) % len(pool)]
        cs.booking_release(
            actor=self.clerk(r.lea),
            booking=r.booking,
            at=at,
            release_type="TRANSFER_TO_AGENCY",
            released_to=self.lea_obj(target.pk),
            channel=SIM,
        )
        r.released = True

    def on_early_release(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        if r.released:
            return
        cs.booking_release(actor=self.clerk(r.lea), booking=r.booking, at=at, release_type=r.s.fate_detail, channel=SIM)
        r.released = True
        self.after_release(at, r)

    # ------------------------------------------------------------------------------------- citizenship

    def on_claim_open(self, at: datetime, r: Run) -> None:
        assert r.subject is not None
        cs.citizenship_claim_open(
            actor=self.lea_counsel(r.lea), subject=r.subject, basis="ASSERTED", at=at, channel=SIM
        )

    def on_claim_resolve(self, at: datetime, r: Run) -> None:
        assert r.subject is not None
        claim = open_claim_for_person(r.subject.pk)
        if claim is None:
            return
        verified = r.s.claim_verified
        cs.citizenship_claim_resolve(
            actor=self.supervisor(r.lea),
            claim=claim,
            verified_citizen=verified,
            notes="Birth record verified with the state vital-records office: U.S. citizen."
            if verified
            else "Records checked (birth registration abroad, no derivation or acquisition): not a U.S. citizen.",
            at=at,
        )
        if verified and r.decided_at is None:
            # The detainer was lifted with the claim before the LEA decided; the criminal case runs its course.
            r.stopped = True
            self.push(max(r.s.eligible_at, at + timedelta(hours=P.MIN_DECISION_TO_ELIGIBLE_HOURS)), "eligible", r)
        elif r.awaiting_claim:
            self.push(at + timedelta(minutes=30), "approve", r)
        r.awaiting_claim = False

    # ------------------------------------------------------------------------------------- subpoenas

    def note_candidate(self, at: datetime, r: Run) -> None:
        """A declined or released-before-pickup detainer at a limited-cooperation LEA may start a campaign."""
        lea = r.lea
        if not self.limited(lea, at):
            return
        self.candidates[lea.pk].append(r)
        last = self.last_campaign.get(lea.pk)
        if lea.pk in self.campaign_pending or (last and at - last < timedelta(days=P.CAMPAIGN_COOLDOWN_DAYS)):
            return
        if self.campaign_rng.random() < P.CAMPAIGN_P:
            self.campaign_pending.add(lea.pk)
            self.push(at + timedelta(days=self.campaign_rng.uniform(*P.CAMPAIGN_DELAY_DAYS)), "campaign", lea)

    def on_campaign(self, at: datetime, lea: LeaInfo) -> None:
        self.campaign_pending.discard(lea.pk)
        self.last_campaign[lea.pk] = at
        pool = [c for c in reversed(self.candidates[lea.pk]) if not c.subpoenaed]
        chosen = pool[: self.campaign_rng.randint(*P.CAMPAIGN_SIZE)]
        self.stats.campaigns += 1
        for i, story in enumerate(chosen):
            story.subpoenaed = True
            sub = SubRun(lea, story, random.Random(f"{self.seed}:subpoena:{story.s.n}"))
            self.push(at + timedelta(minutes=10 * i + sub.rng.uniform(1, 9)), "sub_draft", sub)

    def recipient_class(self, lea: LeaInfo, at: datetime) -> tuple[str, Evaluation]:
        ev = self.evaluation(lea, at)
        if ev.subpoena_handling in (SubpoenaRule.DECLINE_DOCUMENT_REPORT, SubpoenaRule.JUDICIAL_ONLY):
            return "forbidden", ev
        return ("limited" if ev.hold_rule != HoldRule.HONOR else "cooperative"), ev

    def on_sub_draft(self, at: datetime, sub: SubRun) -> None:
        rng, story = sub.rng, sub.story
        assert story.subject is not None
        items = sorted(rng.sample(P.SUBPOENA_ITEMS, rng.randint(*P.ITEMS_PER_SUBPOENA)))
        u, days = rng.random(), 14
        for share, lo, hi in P.RETURN_DAYS:
            if u < share:
                days = rng.randint(lo, hi)
                break
            u -= share
        sub.subpoena = ss.subpoena_draft(
            actor=self.officer(sub.lea),
            recipient_lea=self.lea_obj(sub.lea.pk),
            subject=story.subject,
            items=items,
            return_days=days,
            related_detainer=story.detainer,
            at=at,
        )
        self.push(at + timedelta(hours=rng.uniform(1, 48)), "sub_issue", sub)

    def on_sub_issue(self, at: datetime, sub: SubRun) -> None:
        assert sub.subpoena is not None
        ss.subpoena_issue(actor=self.supervisor(sub.lea), subpoena=sub.subpoena, at=at)
        self.push(at + timedelta(hours=sub.rng.uniform(1, 72)), "sub_serve", sub)

    def on_sub_serve(self, at: datetime, sub: SubRun) -> None:
        assert sub.subpoena is not None
        rng = sub.rng
        s = ss.subpoena_serve(
            actor=self.officer(sub.lea),
            subpoena=sub.subpoena,
            method=rng.choice(("PERSONAL", "MAIL", "EMAIL")),  # Subpoena.service_method is 12 characters
            at=at,
            channel=SIM,
        )
        due = s.return_due_at
        assert due is not None
        self.push(due, "sweep_due")
        window = due - at
        klass, ev = self.recipient_class(sub.lea, at)
        table = P.RESPONSES[klass]
        response = rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]
        if klass == "forbidden" and ev.subpoena_handling == SubpoenaRule.DECLINE_DOCUMENT_REPORT and response:
            response = ResponseType.DECLINATION  # the law says decline, document and report
        sub.response = response
        if rng.random() < 0.8:
            self.push(at + window * rng.uniform(0.02, 0.3), "sub_ack", sub)
        last_step = due
        if response:
            sub.responded_at = at + window * rng.uniform(0.35, 0.95)
            self.push(sub.responded_at, "sub_respond", sub)
        noncompliant = response in (
            "",
            ResponseType.PARTIAL_PRODUCTION,
            ResponseType.OBJECTION_LETTER,
            ResponseType.DECLINATION,
        )
        if noncompliant and rng.random() < P.REFER_P:
            self.push(last_step + timedelta(days=rng.uniform(*P.REFER_AFTER_DAYS)), "sub_refer", sub)

    def on_sub_ack(self, at: datetime, sub: SubRun) -> None:
        assert sub.subpoena is not None
        ss.subpoena_acknowledge(actor=self.lea_counsel(sub.lea), subpoena=sub.subpoena, at=at, channel=SIM)

    def on_sub_respond(self, at: datetime, sub: SubRun) -> None:
        assert sub.subpoena is not None
        items = list(sub.subpoena.items)
        produced: list[str] = []
        grounds = legal_basis = ""
        if sub.response == ResponseType.FULL_PRODUCTION:
            produced, legal_basis = items, "Produced after legal review; no local law bars disclosure of these items."
        elif sub.response == ResponseType.PARTIAL_PRODUCTION:
            produced = sorted(sub.rng.sample(items, max(1, len(items) // 2)))
            legal_basis = "Items that local policy allows to be shared."
            grounds = "Remaining items are restricted by local policy; they will be produced under a court order."
        elif sub.response == ResponseType.DECLINATION:
            grounds = (
                "State law bars sharing this information in response to a request not backed by a judicial "
                "subpoena or warrant; the request is declined, documented and reported."
            )
        else:
            grounds = (
                "An administrative subpoena is not a court order. Local law allows disclosure of this information "
                "only under a judicial warrant or court order; the agency will comply with an order of a federal court."
            )
        ss.subpoena_respond(
            actor=self.lea_counsel(sub.lea),
            subpoena=sub.subpoena,
            response_type=sub.response,
            produced_items=produced,
            grounds=grounds,
            legal_basis=legal_basis,
            at=at,
            channel=SIM,
        )

    def on_sub_refer(self, at: datetime, sub: SubRun) -> None:
        assert sub.subpoena is not None
        sub.subpoena.refresh_from_db(fields=["state", "served_at"])
        if sub.subpoena.state not in NONCOMPLIANT:
            return
        district = sub.lea.district
        sub.referral = ss.subpoena_refer(
            actor=self.supervisor(sub.lea),
            subpoena=sub.subpoena,
            doj_office=organization_doj(district),
            memo="Recipient has not complied with the administrative subpoena; enforcement under "
            "8 U.S.C. 1225(d)(4)(B) requested.",
            at=at,
        )
        served = sub.subpoena.served_at or at
        mu, sigma = P.lognormal_days(P.PETITION_MEDIAN_DAYS, P.PETITION_SIGMA)
        petition = max(
            served + timedelta(days=sub.rng.lognormvariate(mu, sigma)), at + timedelta(days=sub.rng.uniform(2, 10))
        )
        self.push(petition, "sub_petition", sub)

    def next_case_number(self, court: str, at: datetime) -> str:
        yy = at.year % 100
        key = (court, yy)
        n = self.case_numbers.get(key, 100 + (self.seed % 97) * 100)
        while True:
            n += 1
            number = f"{yy:02d}-mc-{n:05d}"
            if not CourtCase.objects.filter(court=court, case_number=number).exists():
                self.case_numbers[key] = n
                return number

    def on_sub_petition(self, at: datetime, sub: SubRun) -> None:
        assert sub.referral is not None
        district = sub.lea.district
        sub.case = ss.court_petition_file(
            actor=self.doj_attorney(district),
            referral=sub.referral,
            court=district,
            case_number=self.next_case_number(district, at),
            at=at,
        )
        first, last = staff_name(sub.rng)
        sub.judge = f"{first} {last}, United States Magistrate Judge"
        briefing = at + timedelta(days=sub.rng.uniform(*P.BRIEFING_AFTER_DAYS))
        mu, sigma = P.lognormal_days(P.DECISION_MEDIAN_DAYS, P.DECISION_SIGMA)
        decision = max(at + timedelta(days=sub.rng.lognormvariate(mu, sigma)), briefing + timedelta(days=7))
        self.push(briefing, "sub_briefing", sub)
        self.push(decision, "sub_decision", sub)

    def on_sub_briefing(self, at: datetime, sub: SubRun) -> None:
        assert sub.case is not None
        ss.court_order_record(
            actor=self.doj_attorney(sub.lea.district),
            case=sub.case,
            order_type=OrderType.BRIEFING_SCHEDULE,
            issued_at=at,
            issued_by=sub.judge,
            terms="Respondent's response due in 21 days; petitioner's reply 14 days after the response.",
        )

    def on_sub_decision(self, at: datetime, sub: SubRun) -> None:
        assert sub.case is not None
        rng = sub.rng
        order = rng.choices([k for k, _ in P.DECISIONS], weights=[w for _, w in P.DECISIONS])[0]
        enforce = order == OrderType.ORDER_ENFORCING_SUBPOENA
        ss.court_order_record(
            actor=self.doj_attorney(sub.lea.district),
            case=sub.case,
            order_type=order,
            issued_at=at,
            issued_by=sub.judge,
            comply_within_days=P.COMPLY_WITHIN_DAYS if enforce else None,
            terms=ORDER_TERMS[order],
        )
        if not enforce:
            return
        sub.case.refresh_from_db(fields=["comply_by", "state"])
        comply_by = sub.case.comply_by
        assert comply_by is not None
        self.push(comply_by, "sweep_due")
        mu, sigma = P.lognormal_days(P.COMPLIANCE_MEDIAN_DAYS, P.COMPLIANCE_SIGMA)
        complied = at + timedelta(days=rng.lognormvariate(mu, sigma))
        if complied > comply_by and rng.random() < P.CONTEMPT_MOTION_P:
            motion = comply_by + timedelta(days=rng.uniform(*P.CONTEMPT_AFTER_DAYS))
            self.push(motion, "sub_contempt", sub)
            complied = max(complied, motion + timedelta(days=rng.uniform(3, 20)))
        self.push(complied, "sub_comply", sub)

    def on_sub_contempt(self, at: datetime, sub: SubRun) -> None:
        assert sub.case is not None
        sub.case.refresh_from_db(fields=["state"])
        if sub.case.state != "NONCOMPLIANCE":
            return
        ss.court_case_advance(
            actor=self.doj_attorney(sub.lea.district),
            case=sub.case,
            action="move_for_contempt",
            at=at,
            reason="Respondent has not produced the records by the comply-by date set in the order.",
        )

    def on_sub_comply(self, at: datetime, sub: SubRun) -> None:
        assert sub.case is not None
        ss.court_compliance_record(actor=self.lea_counsel(sub.lea), case=sub.case, at=at)

    # ---------------------------------------------------------------------------------------- clocks

    def on_sweep_due(self, at: datetime, _: Any) -> None:
        """A sweep at a clock the engine set (never past the horizon, unlike the periodic ones)."""
        self.on_sweep(at, _)

    def on_sweep(self, at: datetime, _: Any) -> None:
        result = sweep(at)
        for key, value in result.as_dict().items():
            self.stats.sweep[key] += value
