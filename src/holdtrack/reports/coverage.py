"""Which months the report data covers in full (issue 14): a month the record only partly covers — the month it
starts in, the month it was last brought up to date in, or one outside both — is labelled wherever it is shown,
so a low count there is not read as a fall. Months are UTC calendar months, as everywhere in the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import models

from holdtrack.core.timeutil import now
from holdtrack.reports.models.stats import AggregateState, CellState, DetainerFact

DEFAULT_MONTHS = 12
FULL_MONTH = "full month"


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def _month_start(d: date) -> datetime:
    return datetime(d.year, d.month, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Coverage:
    """The record runs from ``start`` (the first detainer prepared) to ``end`` (the last refresh, or now)."""

    start: datetime
    end: datetime

    def month(self, m: date) -> str:
        """'' for a month the data covers in full; else a short label saying what it covers."""
        first, after = _month_start(m), _month_start(add_months(m, 1))
        if after <= self.start:
            return "no data: before the record starts"
        if first > self.end:
            return "no data yet"
        begins, ends = self.start > first, self.end < after
        if begins and ends:
            return f"partial: {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d} only"
        if begins:
            return f"partial: the record starts {self.start:%Y-%m-%d}"
        if ends:
            return f"partial: data to {self.end:%Y-%m-%d}"
        return ""

    def partial_months(self, first: date, last: date) -> list[tuple[str, str]]:
        """(YYYY-MM, label) of every month from ``first`` to ``last`` that is not covered in full."""
        out, m = [], first
        while m <= last:
            label = self.month(m)
            if label:
                out.append((m.strftime("%Y-%m"), label))
            m = add_months(m, 1)
        return out

    def note(self, first: date, last: date) -> str:
        """One sentence for a page, a table or a download's header; '' when every month is covered in full."""
        partial = self.partial_months(first, last)
        if not partial:
            return ""
        listed = "; ".join(f"{m} ({label})" for m, label in partial)
        return f"Partial months in this period, not comparable with full ones: {listed}."


def data_months() -> tuple[date, date] | None:
    """The first and last month with any detainer counted."""
    agg = CellState.objects.aggregate(lo=models.Min("month"), hi=models.Max("month"))
    if agg["lo"] is None:
        return None
    return agg["lo"], agg["hi"]


def coverage() -> Coverage | None:
    """What the record covers, or None before any detainer is counted."""
    first_month = DetainerFact.objects.aggregate(m=models.Min("prepared_month"))["m"]
    if first_month is None:
        return None
    start = DetainerFact.objects.filter(prepared_month=first_month).aggregate(t=models.Min("prepared_at"))["t"]
    state = AggregateState.objects.filter(pk=1).first()
    end = state.refreshed_at if state and state.refreshed_at else now()
    return Coverage(start=start, end=max(end, start))


def default_period(today: date) -> tuple[date, date]:
    """The period a report opens on: the last 12 months that have data (fewer if the record is younger), ending
    with the last month that has data; this month alone when there is none."""
    span = data_months()
    if span is None:
        this = date(today.year, today.month, 1)
        return this, this
    first, last = span
    return max(first, add_months(last, -(DEFAULT_MONTHS - 1))), last
