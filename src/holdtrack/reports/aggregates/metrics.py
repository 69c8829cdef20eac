"""Metric columns, the branches that count them, the transfer-time buckets and their median."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from holdtrack.cases.models import (
    FormType,
    OutcomeGroup,
    RequestType,
)
from holdtrack.reports.models.stats import (
    Basis,
)

# --------------------------------------------------------------------------------------------- metrics

FORM_COLUMNS = {f"form_{v.lower()}": v for v in FormType.values}
REQUEST_COLUMNS = {f"req_{v.lower()}": v for v in RequestType.values}
OUTCOME_COLUMNS = {f"out_{v.lower()}": v for v in OutcomeGroup.values}
FLAG_COLUMNS = {f"v{i}": i - 1 for i in range(1, 9)}  # column → bit
FLAG_LABELS = {
    "v1": "V1 Unauthorized hold (local law forbids it)",
    "v2": "V2 Custody beyond the hold ceiling",
    "v3": "V3 Hold while a citizenship claim was open",
    "v4": "V4 Bail interference",
    "v5": "V5 Hold on a detainer not served on the subject",
    "v6": "V6 Hold without an I-200 or I-205",
    "v7": "V7 Hold without neutral probable-cause review",
    "v8": "V8 Release later than the local limit after bond",
}

# A metric expression over one fact: ("one",), ("eq", column, value), ("set", column), ("bit", n), ("anybit",).
Expr = tuple[Any, ...]
PREPARE_EXPRS: dict[str, Expr] = {
    "prepared": ("one",),
    **{c: ("eq", "form_type", v) for c, v in FORM_COLUMNS.items()},
    **{c: ("eq", "request_type", v) for c, v in REQUEST_COLUMNS.items()},
}
OUTCOME_EXPRS: dict[str, Expr] = {c: ("eq", "outcome_group", v) for c, v in OUTCOME_COLUMNS.items()}
FLAG_EXPRS: dict[str, Expr] = {"flagged": ("anybit",), **{c: ("bit", b) for c, b in FLAG_COLUMNS.items()}}

METRICS: tuple[str, ...] = (
    *PREPARE_EXPRS,
    "decided",
    *OUTCOME_EXPRS,
    "declined",
    "lapsed",
    "transferred",
    "to_agency",
    *FLAG_EXPRS,
)


@dataclass(frozen=True)
class Branch:
    """One way a fact contributes to the cells: on ``basis``, in the month held by ``month_column``."""

    basis: str
    month_column: str
    exprs: dict[str, Expr]


BRANCHES: tuple[Branch, ...] = (
    # Issue basis: everything about the detainers prepared in the month.
    Branch(
        Basis.ISSUE,
        "prepared_month",
        {
            **PREPARE_EXPRS,
            "decided": ("set", "decided_month"),
            **OUTCOME_EXPRS,
            "declined": ("set", "declined_month"),
            "lapsed": ("set", "lapsed_month"),
            "transferred": ("set", "transferred_month"),
            "to_agency": ("set", "to_agency_month"),
            **FLAG_EXPRS,
        },
    ),
    # Event basis: each event in the month it was recorded.
    Branch(Basis.EVENT, "prepared_month", PREPARE_EXPRS),
    Branch(Basis.EVENT, "decided_month", {"decided": ("one",)}),
    Branch(Basis.EVENT, "outcome_month", OUTCOME_EXPRS),
    Branch(Basis.EVENT, "declined_month", {"declined": ("one",)}),
    Branch(Basis.EVENT, "lapsed_month", {"lapsed": ("one",)}),
    Branch(Basis.EVENT, "transferred_month", {"transferred": ("one",)}),
    Branch(Basis.EVENT, "to_agency_month", {"to_agency": ("one",)}),
    Branch(Basis.EVENT, "closed_month", FLAG_EXPRS),
)

# Minutes from release eligibility to custody transfer, bucketed: 30 minutes up to 24 h, 2 h up to 48 h, then 48 h+.
BUCKET_EDGES: tuple[int, ...] = tuple(i * 30 for i in range(49)) + tuple(1440 + 120 * i for i in range(1, 13))
BUCKETS: tuple[str, ...] = tuple(f"h{i:02d}" for i in range(len(BUCKET_EDGES)))
HIST_EXPRS: dict[str, Expr] = {b: ("bucket", i) for i, b in enumerate(BUCKETS)}
HIST_BRANCHES: tuple[Branch, ...] = (
    Branch(Basis.ISSUE, "prepared_month", HIST_EXPRS),
    Branch(Basis.EVENT, "transferred_month", HIST_EXPRS),
)


def bucket_of(minutes: int) -> int:
    return max(0, min(len(BUCKET_EDGES) - 1, bisect.bisect_right(BUCKET_EDGES, minutes) - 1))


def bucket_bounds(i: int) -> tuple[int, int | None]:
    return BUCKET_EDGES[i], BUCKET_EDGES[i + 1] if i + 1 < len(BUCKET_EDGES) else None


def median_from_buckets(counts: Sequence[int]) -> float | None:
    """Median minutes from a histogram. Each order statistic is placed at the middle of its share of its bucket,
    so the estimate is within half a bucket of the exact median (±15 minutes below 24 hours, ±1 hour below 48);
    the open last bucket (48 hours or more) answers 48 hours."""
    n = sum(counts)
    if not n:
        return None

    def kth(k: int) -> float:
        seen = 0
        for i, c in enumerate(counts):
            if c and seen + c >= k:
                lo, hi = bucket_bounds(i)
                return float(lo) if hi is None else lo + (k - seen - 0.5) / c * (hi - lo)
            seen += c
        return float(BUCKET_EDGES[-1])

    return kth((n + 1) // 2) if n % 2 else (kth(n // 2) + kth(n // 2 + 1)) / 2


_SAFE_LITERAL = re.compile(r"^[A-Za-z0-9_]+$")


def evaluate(expr: Expr, fact: Any) -> int:
    kind = expr[0]
    if kind == "one":
        return 1
    if kind == "eq":
        return int(getattr(fact, expr[1]) == expr[2])
    if kind == "set":
        return int(getattr(fact, expr[1]) is not None)
    if kind == "bit":
        return int(bool(fact.flag_bits & (1 << expr[1])))
    if kind == "anybit":
        return int(fact.flag_bits != 0)
    if kind == "bucket":
        minutes = fact.elig_transfer_minutes
        return int(minutes is not None and bucket_of(minutes) == expr[1])
    raise ValueError(kind)


def sql_of(expr: Expr) -> str:
    kind = expr[0]
    if kind == "one":
        return "1"
    if kind == "eq":
        assert _SAFE_LITERAL.match(expr[1]) and _SAFE_LITERAL.match(expr[2])
        return f"CASE WHEN {expr[1]} = '{expr[2]}' THEN 1 ELSE 0 END"
    if kind == "set":
        assert _SAFE_LITERAL.match(expr[1])
        return f"CASE WHEN {expr[1]} IS NOT NULL THEN 1 ELSE 0 END"
    if kind == "bit":
        return f"CASE WHEN (flag_bits & {1 << int(expr[1])}) <> 0 THEN 1 ELSE 0 END"
    if kind == "anybit":
        return "CASE WHEN flag_bits <> 0 THEN 1 ELSE 0 END"
    if kind == "bucket":
        lo, hi = bucket_bounds(int(expr[1]))
        upper = f" AND elig_transfer_minutes < {hi}" if hi is not None else ""
        return f"CASE WHEN elig_transfer_minutes >= {lo}{upper} THEN 1 ELSE 0 END"
    raise ValueError(kind)
