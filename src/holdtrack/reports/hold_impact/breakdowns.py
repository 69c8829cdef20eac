"""Breakdowns of hold and no-hold bookings (docs/hold-impact.md, "Breakdowns").

Each breakdown counts bookings (PR: charge records) by one attribute, for hold and no-hold bookings, with each
category's share of its group and the mean and median days in custody. ``suppressed`` applies the reports'
small-cell rules (``reports.suppression``, the threshold of the public releases) to the counts; a mean, median
or share is published only where its count is.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from holdtrack.reports.hold_impact.facts import TOPCODE, UNKNOWN, BookingFact, levels
from holdtrack.reports.suppression import suppress

GROUPS = ("hold", "no_hold")


@dataclass(frozen=True)
class Dimension:
    key: str
    title: str
    label: str  # the category column's heading
    value: Callable[[BookingFact], str]
    order: Callable[[str], Any] | None = None


def _seriousness_label(f: BookingFact) -> str:
    return UNKNOWN if f.seriousness is None else levels().labels.get(f.seriousness, str(f.seriousness))


def _seriousness_order(label: str) -> Any:
    by_label = {v: k for k, v in levels().labels.items()}
    return (by_label.get(label, 99), label)


def _count_label(f: BookingFact) -> str:
    if f.charge_count is None:
        return UNKNOWN
    return f"{TOPCODE} or more" if f.charge_count >= TOPCODE else str(f.charge_count)


def _count_order(label: str) -> Any:
    head = label.split()[0]
    return (int(head), label) if head.isdigit() else (99, label)


def _bail(f: BookingFact) -> str:
    return UNKNOWN if f.paid_bail is None else ("paid bail" if f.paid_bail else "no bail paid")


DIMENSIONS = (
    Dimension("sex", "Sex", "Sex", lambda f: f.sex),
    Dimension("race", "Race / ethnicity (as the jail codes it)", "Race / ethnicity", lambda f: f.race),
    Dimension("born-in-us", "Born in the U.S.", "Born in the U.S.", lambda f: f.born_in_us),
    Dimension(
        "seriousness",
        "Seriousness of the most serious charge",
        "Seriousness",
        _seriousness_label,
        _seriousness_order,
    ),
    Dimension(
        "felony-misdemeanor",
        "Felony or misdemeanor (most serious charge)",
        "Group",
        lambda f: f.seriousness_group,
        lambda g: ({"felony": 0, "misdemeanor": 1, "other": 2}.get(g, 9), g),
    ),
    Dimension("charge-type", "Type of the most serious charge", "Charge type", lambda f: f.charge_type),
    Dimension("charge-count", f"Number of charges (top-coded at {TOPCODE})", "Charges", _count_label, _count_order),
    Dimension("bail", "Bail paid", "Bail", _bail),
    Dimension("disposition", "Release disposition", "Disposition", lambda f: f.disposition),
)
KEYS = (*(d.key for d in DIMENSIONS), "pr")


def _days(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return round(statistics.fmean(values), 6), round(statistics.median(values), 6)


def breakdown(facts: Sequence[BookingFact], dim: Dimension) -> dict[str, Any]:
    days: dict[tuple[str, str], list[float]] = defaultdict(list)
    for f in facts:
        days[(dim.value(f), "hold" if f.hold else "no_hold")].append(f.days)
    categories = {c for c, _ in days}
    totals = {g: sum(len(v) for (_, gg), v in days.items() if gg == g) for g in GROUPS}
    if dim.order is not None:
        ordered = sorted(categories, key=dim.order)
    else:
        ordered = sorted(categories, key=lambda c: (c == UNKNOWN, -sum(len(days[(c, g)]) for g in GROUPS), c))
    rows = []
    for c in ordered:
        row: dict[str, Any] = {"category": c}
        for g in GROUPS:
            n = len(days[(c, g)])
            row[f"{g}_bookings"] = n
            row[f"{g}_share"] = round(n / totals[g], 6) if totals[g] else None
            row[f"{g}_mean_days"], row[f"{g}_median_days"] = _days(days[(c, g)])
        rows.append(row)
    return {"key": dim.key, "title": dim.title, "label": dim.label, "unit": "bookings", "rows": rows, "totals": totals}


def pr_breakdown(facts: Sequence[BookingFact]) -> dict[str, Any]:
    """Release on personal recognizance as a share of charge records (UWCHR ``hold_pr_percent``), over the
    bookings whose feed carries their complete charge records."""
    records = {g: 0 for g in GROUPS}
    pr = {g: 0 for g in GROUPS}
    bookings = {g: 0 for g in GROUPS}
    for f in facts:
        if f.charge_records is None:
            continue
        g = "hold" if f.hold else "no_hold"
        bookings[g] += 1
        records[g] += f.charge_records
        pr[g] += f.charge_records_pr or 0
    rows = []
    for category, counts in (
        ("released on personal recognizance", pr),
        ("other release", {g: records[g] - pr[g] for g in GROUPS}),
    ):
        row: dict[str, Any] = {"category": category}
        for g in GROUPS:
            row[f"{g}_bookings"] = counts[g]  # charge records here
            row[f"{g}_share"] = round(counts[g] / records[g], 6) if records[g] else None
        rows.append(row)
    return {
        "key": "pr",
        "title": "Charges released on personal recognizance (charge records)",
        "label": "Charge release",
        "unit": "charge records",
        "rows": rows,
        "totals": records,
        "bookings_with_complete_charge_records": bookings,
    }


def breakdowns(facts: Sequence[BookingFact]) -> list[dict[str, Any]]:
    return [breakdown(facts, d) for d in DIMENSIONS] + [pr_breakdown(facts)]


def suppressed(table: dict[str, Any], threshold: int) -> dict[str, Any]:
    """The table as it may be published: small counts and their complements hidden (``None``)."""
    rows = table["rows"]
    if not rows:
        return {**table, "suppressed_cells": 0}
    s = suppress([[r[f"{g}_bookings"] for g in GROUPS] for r in rows], threshold)
    published = s.published()
    out_rows = []
    for i, r in enumerate(rows):
        row = dict(r)
        for j, g in enumerate(GROUPS):
            # A share next to a published count would reveal a hidden total: hide the group's shares with it.
            if published[-1][j] is None:
                row[f"{g}_share"] = None
            if published[i][j] is None:
                for k in list(row):
                    if k.startswith(f"{g}_"):
                        row[k] = None
        out_rows.append(row)
    totals = {g: published[-1][j] for j, g in enumerate(GROUPS)}
    hidden = sum(v is None for line in published for v in line)
    return {**table, "rows": out_rows, "totals": totals, "suppressed_cells": hidden}
