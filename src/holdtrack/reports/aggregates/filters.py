"""The dashboard's filters and the cell table that answers them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db import models
from django.db.models import Sum

from holdtrack.reports.aggregates.cells import CELLS, HISTS, Family
from holdtrack.reports.aggregates.metrics import BUCKETS, median_from_buckets
from holdtrack.reports.models.stats import (
    Basis,
    CellBase,
    CellCounty,
    CellFacility,
    CellState,
)

# ------------------------------------------------------------------------------------------------ filters

GROUPS = ("state", "aor", "county", "lea", "facility", "month")
GROUP_COLUMN = {
    "state": "state_abbr",
    "aor": "aor",
    "county": "county_fips",
    "lea": "ori",
    "facility": "facility_code",
    "month": "month",
}
GROUP_LABEL = {
    "state": "State",
    "aor": "Area of responsibility",
    "county": "County (FIPS)",
    "lea": "LEA (ORI)",
    "facility": "Facility (code)",
    "month": "Month",
}
GROUP_TITLE = {
    "state": "Detainers by state",
    "aor": "Detainers by area of responsibility",
    "county": "Detainers by county (FIPS)",
    "lea": "Detainers by LEA (ORI)",
    "facility": "Detainers by facility (code)",
    "month": "Detainers by month",
}
_LEVEL_OF_GROUP = {"state": 2, "aor": 2, "month": 2, "county": 1, "lea": 0, "facility": 0}


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # first day of the last month, inclusive
    basis: str = Basis.ISSUE
    state: str = ""
    aor: str = ""
    county: str = ""
    ori: str = ""
    facility: str = ""
    group: str = ""

    def __post_init__(self) -> None:
        if self.basis not in Basis.values:
            raise ValueError(f"basis must be one of {Basis.values}")
        if self.group and self.group not in GROUPS:
            raise ValueError(f"group must be one of {GROUPS}")
        if self.start > self.end:
            raise ValueError("the period starts after it ends")

    @property
    def drill_group(self) -> str:
        """The next level down from the narrowest place filter: state → county → LEA → facility."""
        if self.group:
            return self.group
        if self.facility or self.ori:
            return "facility"
        if self.county:
            return "lea"
        if self.state or self.aor:
            return "county"
        return "state"

    def place_filter(self) -> dict[str, str]:
        out = {}
        for attr, column in (
            ("state", "state_abbr"),
            ("aor", "aor"),
            ("county", "county_fips"),
            ("ori", "ori"),
            ("facility", "facility_code"),
        ):
            value = getattr(self, attr)
            if value:
                out[column] = value
        return out

    def level(self, group: str = "") -> int:
        """0 = facility cells, 1 = county cells, 2 = state cells: the smallest table that can answer."""
        level = 2
        if self.county:
            level = 1
        if self.ori or self.facility:
            level = 0
        if group:
            level = min(level, _LEVEL_OF_GROUP[group])
        return level

    def with_(self, **changes: Any) -> Filters:
        return replace(self, **changes)


CELL_MODELS: dict[int, type[CellBase]] = {0: CellFacility, 1: CellCounty, 2: CellState}


def cells_for(f: Filters, group: str = "", family: Family = CELLS) -> models.QuerySet[Any]:
    model = family.levels[f.level(group)][0]
    return model._default_manager.filter(basis=f.basis, month__gte=f.start, month__lte=f.end, **f.place_filter())


def bucket_counts(f: Filters, group: str = "") -> dict[Any, list[int]]:
    """Transfer-time histograms (``BUCKETS``), overall (key ``None``) or per group."""
    qs = cells_for(f, group, HISTS).order_by()
    sums = {b: Sum(b) for b in BUCKETS}
    if not group:
        agg = qs.aggregate(**sums)
        return {None: [int(agg[b] or 0) for b in BUCKETS]}
    column = GROUP_COLUMN[group]
    return {row[column]: [int(row[b] or 0) for b in BUCKETS] for row in qs.values(column).annotate(**sums)}


def medians(f: Filters, group: str = "") -> dict[Any, float | None]:
    """Median minutes from release eligibility to custody transfer, overall (key ``None``) or per group."""
    return {k: median_from_buckets(v) for k, v in bucket_counts(f, group).items()}
