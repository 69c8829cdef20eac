"""Simulated against target figures (``holdtrack simulate --report``): the run's figures beside the domain
notes' (domain.md Part D), each with its range and source tag ([S] sourced, [D] derived, [A] assumption).

Outcome shares are taken over the detainers that have an outcome (closed): domain.md D5 gives them per detainer
after 90 days of follow-up, including 20–33 % still open, so its baseline shares are rescaled to the closed
ones (divided by the 81.5 % that D5's groups other than open add up to) and given a range around that.
Concentration is the plan's expected volume (LEA weights): the run's own top-9 % share depends on its length
(a short run spreads few detainers over many LEAs), so it is shown beside it, without a target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from holdtrack.cases.models import Detainer, LeaDecision, OutcomeGroup
from holdtrack.simulation.planner import booking_prefix


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    low: float | None
    high: float | None
    source: str


TARGETS = (
    Target("declined_recorded", "Recorded LEA declines, share of detainers", 0.02, 0.05, "D5 [S] TRAC 2016: 2–5%"),
    Target(
        "custody_transferred",
        "Custody transferred, share of closed",
        0.35,
        0.65,
        "D5 [S/A] 40% of all → 49% of closed",
    ),
    Target(
        "released_before_pickup",
        "Released before pickup (incl. at the ceiling), share of closed",
        0.15,
        0.40,
        "D5 [A] 20% of all → 25% of closed",
    ),
    Target("lifted", "Lifted by the agency, share of closed", 0.05, 0.18, "D5 [A] 8% of all → 10% of closed"),
    Target("superseded", "Superseded or duplicate, share of closed", 0.02, 0.10, "D5 [A] 5% of all → 6% of closed"),
    Target(
        "transferred_with_custody",
        "Transferred with custody to another LEA, share of closed",
        0.02,
        0.10,
        "D5 [A] 5% of all → 6% of closed",
    ),
    Target("open", "Open at the end of the run, share of detainers", None, None, "D5 [S] 20–33% in one extract"),
    Target(
        "top9_expected",
        "Top 9% of LEAs, share of expected volume",
        0.65,
        0.78,
        "D2 [S] FY2019: 71.2%",
    ),
    Target("top9_observed", "Top 9% of receiving LEAs, share in this run", None, None, "D2 (annual figure)"),
    Target("ca_tx", "CA+TX (U.S. states), share of detainers", 0.42, 0.486, "D2 [S] 42% (FY2013–14) – 48.6%"),
    Target("fl", "FL (U.S. state), share of detainers", 0.04, 0.08, "D2 [S] about 6%"),
)

CLOSED_GROUPS = {
    "custody_transferred": (OutcomeGroup.CUSTODY_TRANSFERRED,),
    "released_before_pickup": (OutcomeGroup.RELEASED_BEFORE_PICKUP, OutcomeGroup.HOLD_EXPIRED_RELEASED),
    "lifted": (OutcomeGroup.LIFTED_BY_ICE, OutcomeGroup.LIFTED_UNSPECIFIED),
    "superseded": (OutcomeGroup.SUPERSEDED, OutcomeGroup.DUPLICATE),
    "transferred_with_custody": (OutcomeGroup.TRANSFERRED_WITH_CUSTODY,),
}


@dataclass(frozen=True)
class Row:
    target: Target
    simulated: float

    @property
    def within(self) -> bool | None:
        t = self.target
        if t.low is None or t.high is None:
            return None
        return t.low <= self.simulated <= t.high

    def as_dict(self) -> dict[str, Any]:
        t = self.target
        return {
            "figure": t.key,
            "label": t.label,
            "simulated": round(self.simulated, 4),
            "low": t.low,
            "high": t.high,
            "within": self.within,
            "source": t.source,
        }


def calibration(seed: int, summary: dict[str, Any], top9_expected: float) -> list[Row]:
    """The run's figures beside their targets; ``summary`` is ``simulation.summarize(seed)``."""
    detainers = Detainer.objects.filter(booking__booking_number__startswith=booking_prefix(seed))
    n = detainers.count()
    groups: dict[str, int] = {}
    for group in detainers.exclude(outcome_group=OutcomeGroup.OPEN_OR_UNKNOWN).values_list("outcome_group", flat=True):
        groups[group] = groups.get(group, 0) + 1
    closed = sum(groups.values())
    conc = summary["concentration"]
    figures: dict[str, float] = {
        "declined_recorded": detainers.filter(lea_decision=LeaDecision.DECLINE).count() / n if n else 0.0,
        "open": (n - closed) / n if n else 0.0,
        "top9_expected": top9_expected,
        "top9_observed": float(conc["top 9% of receiving LEAs, share"]),
        "ca_tx": float(conc["CA+TX share"]),
        "fl": float(conc["FL share"]),
    }
    for key, members in CLOSED_GROUPS.items():
        figures[key] = sum(groups.get(g, 0) for g in members) / closed if closed else 0.0
    return [Row(t, figures[t.key]) for t in TARGETS]
