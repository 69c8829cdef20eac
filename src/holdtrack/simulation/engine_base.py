"""The engine's machinery and the records of a run (engine.py tells the whole story)."""

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

from holdtrack.audit.models import Channel
from holdtrack.cases.models import (
    CourtCase,
    Detainer,
    DetainerState,
    EnforcementReferral,
    OrderType,
    Subpoena,
    SubpoenaState,
)
from holdtrack.core.errors import DomainError
from holdtrack.core.timeutil import clock
from holdtrack.custody.models import Booking, IdentityMatch, Subject
from holdtrack.jurisdictions.models import (
    Agreement287g,
    HoldRule,
    Policy,
)
from holdtrack.jurisdictions.policy import Evaluation, evaluate
from holdtrack.simulation import params as P
from holdtrack.simulation.planner import LeaInfo, Plan, Story
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


class EngineBase(Staff):
    """The machinery every handler shares: the event heap, the run loop, the dispatch and the lookups."""

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
