"""The hold-impact report as report tables (``reports.aggregates.Table``): what the page shows and what its
CSV / XLSX / Parquet downloads hold (``reports.exports``). Breakdowns are taken as published (suppressed)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from holdtrack.reports.aggregates import Column, Table
from holdtrack.reports.hold_impact.facts import BookingFact

# Day figures use the "hours" kind for its formatting only (one decimal on the page, a float in the downloads).
DAYS = "hours"
GROUP_LABELS = {"hold": "With a hold", "no_hold": "Without a hold"}
# Distribution bins on a log scale: each bin doubles the one before (edges in days).
EDGES: tuple[float, ...] = (0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def bin_labels() -> list[str]:
    def short(d: float) -> str:
        return f"{int(d * 24)} h" if d < 1 else f"{int(d)} d"

    labels = [f"under {short(EDGES[0])}"]
    labels += [f"{short(a)} to under {short(b)}" for a, b in itertools.pairwise(EDGES)]
    return [*labels, f"{short(EDGES[-1])} or more"]


def bin_of(days: float) -> int:
    return sum(days >= e for e in EDGES)


def distribution(facts: Sequence[BookingFact]) -> dict[str, Any]:
    """Bookings per log-scale bin of days in custody, as a breakdown (so it is suppressed the same way)."""
    counts = {g: [0] * (len(EDGES) + 1) for g in GROUP_LABELS}
    for f in facts:
        counts["hold" if f.hold else "no_hold"][bin_of(f.days)] += 1
    totals = {g: sum(v) for g, v in counts.items()}
    rows = []
    for i, label in enumerate(bin_labels()):
        row: dict[str, Any] = {"category": label}
        for g in GROUP_LABELS:
            row[f"{g}_bookings"] = counts[g][i]
            row[f"{g}_share"] = round(counts[g][i] / totals[g], 6) if totals[g] else None
        rows.append(row)
    return {
        "key": "distribution",
        "title": "Days in custody, distribution (log scale)",
        "label": "Days in custody",
        "unit": "bookings",
        "rows": rows,
        "totals": totals,
    }


def headline_table(result: dict[str, Any]) -> Table:
    columns = [Column("charge_type", "Charge type", "text")]
    for g, label in GROUP_LABELS.items():
        columns += [
            Column(f"{g}_bookings", f"{label}: bookings"),
            Column(f"{g}_mean_days", f"{label}: mean days", DAYS),
            Column(f"{g}_median_days", f"{label}: median days", DAYS),
        ]

    def row(name: str, entry: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"charge_type": name}
        for g in GROUP_LABELS:
            out.update(
                {
                    f"{g}_bookings": entry[g]["count"],
                    f"{g}_mean_days": entry[g]["mean_days"],
                    f"{g}_median_days": entry[g]["median_days"],
                }
            )
        return out

    return Table(
        key="days",
        title="Days in custody",
        description="Released feed bookings: count, mean and median days from booking to release (jail wall clock).",
        columns=columns,
        rows=[row(r["charge_type"], r) for r in result["by_charge_type"]],
        total=row("All charge types", result),
    )


def breakdown_table(t: dict[str, Any], threshold: int | None = None) -> Table:
    unit = t["unit"]
    columns = [Column("category", t["label"], "text")]
    with_days = any(f"{g}_mean_days" in r for r in t["rows"] for g in GROUP_LABELS)
    for g, label in GROUP_LABELS.items():
        columns += [Column(f"{g}_bookings", f"{label}: {unit}"), Column(f"{g}_share", f"{label}: share", "share")]
        if with_days:
            columns += [
                Column(f"{g}_mean_days", f"{label}: mean days", DAYS),
                Column(f"{g}_median_days", f"{label}: median days", DAYS),
            ]
    total: dict[str, Any] = {"category": "Total"}
    for g in GROUP_LABELS:
        total[f"{g}_bookings"] = t["totals"].get(g)
    notes = []
    if threshold is not None:
        notes.append(
            f"A dash marks a count under {threshold}, or one hidden so that a total cannot reveal it, and the share "
            "and days that go with it (the public releases' small-cell rules)."
        )
    if t["key"] == "pr":
        covered = t["bookings_with_complete_charge_records"]
        notes.append(
            "Share of charge records, not bookings, over the bookings whose feed carries all their charge records "
            f"(with a hold: {covered['hold']:,} bookings; without: {covered['no_hold']:,})."
        )
    return Table(
        key=t["key"],
        title=t["title"],
        description=f"Counts of {unit} with and without an immigration hold, and each one's share of its group.",
        columns=columns,
        rows=[dict(r) for r in t["rows"]],
        total=total,
        notes=notes,
    )


def regression_table(reg: dict[str, Any]) -> Table:
    columns = [
        Column("term", "Term", "text"),
        Column("coef", "Coefficient (log days)", DAYS),
        Column("std_err", "Std. error", DAYS),
        Column("p", "p", DAYS),
        Column("multiplier", "Multiplier", DAYS),
        Column("ci_low", "95 % CI low (log days)", DAYS),
        Column("ci_high", "95 % CI high (log days)", DAYS),
    ]
    notes = [reg["caveat"]]
    if reg.get("formula"):
        notes.insert(0, f"Model: {reg['formula']}; n = {reg['n']:,}; adjusted R² = {reg['adj_r_squared']:.4f}.")
    return Table(
        key="regression",
        title="Adjusted comparison: OLS of log days in custody",
        description="Coefficients of the regression of log days in custody on the hold flag and the controls.",
        columns=columns,
        rows=[dict(c) for c in reg.get("coefficients", [])],
        notes=notes,
    )
