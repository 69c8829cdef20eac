"""Synthetic history driven through the services: ``simulate(seed=…, days=…, scale=…)``.

``planner`` draws every story of a run from the seed (calibration in ``params``, synthetic people in
``people``); ``engine`` applies them as a discrete-event simulation; ``summary`` counts what the run left.
A seed identifies a run: its bookings are numbered ``S<seed>-nnnnnnn``, and a second run with a seed whose
bookings exist is skipped as a whole (nothing is duplicated).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from holdtrack.accounts.services import system_user_memo
from holdtrack.custody.models import Booking
from holdtrack.jurisdictions.policy import memoised_reads
from holdtrack.simulation.engine import Engine, ProgressCallback, RunStats
from holdtrack.simulation.planner import Plan, booking_prefix, build_plan, load_leas
from holdtrack.simulation.summary import summarize

__all__ = ["RunResult", "already_simulated", "build_plan", "simulate", "summarize"]


@dataclass
class RunResult:
    seed: int
    skipped: bool
    start: datetime
    horizon: datetime
    planned_detainers: int
    summary: dict[str, Any]
    stats: RunStats = field(default_factory=RunStats)
    elapsed_seconds: float = 0.0
    top9_weight_share: float = 0.0


def already_simulated(seed: int) -> bool:
    return Booking.objects.filter(booking_number__startswith=booking_prefix(seed)).exists()


def simulate(
    *,
    seed: int,
    days: int,
    scale: float,
    end: date | None = None,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
    on_plan: Callable[[Plan], None] | None = None,
) -> RunResult:
    """Simulate the ``days`` days ending with ``end`` (default: today, UTC). Nothing at or after the horizon is
    applied: the end of ``end``, or the current time when the window reaches it (no future-dated records)."""
    started = time.monotonic()
    now = now or timezone.now()
    end = end or now.date()
    leas = load_leas()
    plan = build_plan(seed, days, scale, end, leas)
    horizon = min(plan.end, now)
    if on_plan is not None:
        on_plan(plan)
    result = RunResult(
        seed=seed,
        skipped=already_simulated(seed),
        start=plan.start,
        horizon=horizon,
        planned_detainers=plan.detainer_count,
        summary={},
        top9_weight_share=plan.top9_weight_share,
    )
    if not result.skipped:
        # No policy changes during a run, so policy reads are memoised (about a fifth of the CPU otherwise); the
        # system account, read before the first simulated day, is read once.
        with memoised_reads(), system_user_memo():
            result.stats = Engine(plan, leas, horizon=horizon).run(progress)
    result.summary = summarize(seed)
    result.elapsed_seconds = round(time.monotonic() - started, 1)
    return result
