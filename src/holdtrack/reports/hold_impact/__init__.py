"""Time in custody with and without an immigration hold, from the stored feed bookings (issues 3 and 15).

``hold_impact()`` is every figure of the report: the headline (bookings, mean and median days in custody, with
and without a hold, overall and by charge type), the hold's own time (``hold_time``), the breakdowns
(``breakdowns``), the adjusted comparison (``regression``) and a note where the stored bookings are not the whole
jail population. Definitions and their sources: docs/hold-impact.md. The period filter applies to the release
date (in UTC).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from holdtrack.reports.hold_impact.breakdowns import breakdowns
from holdtrack.reports.hold_impact.facts import BookingFact, booking_facts
from holdtrack.reports.hold_impact.hold_time import hold_time_summary
from holdtrack.reports.hold_impact.regression import regression
from holdtrack.reports.hold_impact.tables import distribution

__all__ = ["headline", "hold_impact", "sample_notes"]


def _stats(days: Sequence[float]) -> dict[str, Any]:
    if not days:
        return {"count": 0, "mean_days": None, "median_days": None}
    return {
        "count": len(days),
        "mean_days": round(statistics.fmean(days), 6),
        "median_days": round(statistics.median(days), 6),
    }


def headline(facts: Sequence[BookingFact]) -> dict[str, Any]:
    def days(hold: bool, charge_type: str | None = None) -> list[float]:
        return [f.days for f in facts if f.hold is hold and (charge_type is None or f.charge_type == charge_type)]

    types = sorted({f.charge_type for f in facts})
    return {
        "hold": _stats(days(True)),
        "no_hold": _stats(days(False)),
        "by_charge_type": [
            {"charge_type": t, "hold": _stats(days(True, t)), "no_hold": _stats(days(False, t))} for t in types
        ],
    }


def sample_notes(facts: Sequence[BookingFact]) -> list[str]:
    """What the stored bookings are a sample of, per feed layout that declares it."""
    from holdtrack.custody import pierce

    notes = {pierce.TRANSFORM.name: pierce.SAMPLE_NOTE}
    return [notes[m] for m in sorted({f.mapping for f in facts}) if m in notes]


def hold_impact(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    charge_types: Iterable[str] = (),
    exclude_charge_types: Iterable[str] = (),
    full: bool = False,
) -> dict[str, Any]:
    """The headline figures; with ``full`` also the hold's own time, breakdowns and the regression."""
    facts = booking_facts(
        date_from=date_from, date_to=date_to, charge_types=charge_types, exclude_charge_types=exclude_charge_types
    )
    result = headline(facts)
    if full:
        result.update(
            sample_notes=sample_notes(facts),
            hold_time=hold_time_summary(facts),
            breakdowns=[distribution(facts), *breakdowns(facts)],
            regression=regression(facts),
        )
    return result
