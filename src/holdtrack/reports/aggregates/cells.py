"""The monthly cells at three levels (and the histograms): contributions of a fact and their deltas."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, models

from holdtrack.reports.aggregates.facts import FACT_FIELDS, SUBPOENA_FACT_FIELDS, detainer_facts, subpoena_facts
from holdtrack.reports.aggregates.metrics import BRANCHES, BUCKETS, HIST_BRANCHES, METRICS, Branch, evaluate
from holdtrack.reports.models.stats import (
    CellCounty,
    CellFacility,
    CellState,
    DetainerFact,
    HistCounty,
    HistFacility,
    HistState,
    SubpoenaFact,
)

# ------------------------------------------------------------------------------------------------- cells

CellKey = tuple[str, date, str, str, str, str, str]  # basis, month, state, aor, county, ori, facility


@dataclass(frozen=True, eq=False)  # hashed by identity: used as a dict key
class Family:
    """Cell tables at three levels (facility, county, state) that share metric columns and contribution rules."""

    levels: tuple[tuple[type[models.Model], int], ...]
    metrics: tuple[str, ...]
    branches: tuple[Branch, ...]
    where: str = ""


CELLS = Family(((CellFacility, 7), (CellCounty, 5), (CellState, 4)), METRICS, BRANCHES)
HISTS = Family(
    ((HistFacility, 7), (HistCounty, 5), (HistState, 4)), BUCKETS, HIST_BRANCHES, "elig_transfer_minutes IS NOT NULL"
)
FAMILIES = (CELLS, HISTS)


def contributions(fact: DetainerFact, family: Family = CELLS) -> dict[CellKey, Counter[str]]:
    """What one fact adds to the facility-level cells (the SQL in :func:`rebuild` says the same)."""
    out: dict[CellKey, Counter[str]] = {}
    for branch in family.branches:
        month = getattr(fact, branch.month_column)
        if month is None:
            continue
        key: CellKey = (
            branch.basis,
            month,
            fact.state_abbr,
            fact.aor,
            fact.county_fips,
            fact.ori,
            fact.facility_code,
        )
        counts = out.setdefault(key, Counter())
        for metric, expr in branch.exprs.items():
            value = evaluate(expr, fact)
            if value:
                counts[metric] += value
    return out


KEY_COLUMNS = ("basis", "month", "state_abbr", "aor", "county_fips", "ori", "facility_code")


def _apply(deltas: dict[CellKey, Counter[str]], family: Family = CELLS) -> None:
    """Add the deltas to the cells of all three levels (upsert with increments)."""
    metrics = family.metrics
    for model, width in family.levels:
        rolled: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
        for key, counts in deltas.items():
            rolled[key[:width]].update(counts)
        rows = [(k, c) for k, c in rolled.items() if any(c.values())]
        if not rows:
            continue
        table = model._meta.db_table
        keys = KEY_COLUMNS[:width]
        cols = ", ".join([*keys, *metrics])
        row_marks = "(" + ", ".join(["%s"] * (width + len(metrics))) + ")"
        updates = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in metrics)
        # Multi-row upserts, kept under SQLite's 32,766 bound parameters per statement.
        chunk = max(1, 30_000 // (width + len(metrics)))
        with connection.cursor() as cur:
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                sql = (
                    f"INSERT INTO {table} ({cols}) VALUES {', '.join([row_marks] * len(part))} "  # noqa: S608
                    f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
                )
                cur.execute(sql, [v for k, c in part for v in (*k, *(c.get(m, 0) for m in metrics))])


def _diff(old: DetainerFact | None, new: DetainerFact | None, family: Family = CELLS) -> dict[CellKey, Counter[str]]:
    out: dict[CellKey, Counter[str]] = defaultdict(Counter)
    if new is not None:
        for key, counts in contributions(new, family).items():
            out[key].update(counts)
    if old is not None:
        for key, counts in contributions(old, family).items():
            out[key].subtract(counts)
    return out


def _same(a: Any, b: Any, fields: Sequence[str]) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def store_detainer_facts(ids: set[int]) -> int:
    new = detainer_facts(ids)
    old = DetainerFact.objects.in_bulk(list(ids))
    deltas: dict[Family, dict[CellKey, Counter[str]]] = {family: defaultdict(Counter) for family in FAMILIES}
    changed = []
    for pk in ids:
        o, n = old.get(pk), new.get(pk)
        if o is not None and n is not None and _same(o, n, FACT_FIELDS):
            continue
        for family in FAMILIES:
            for key, counts in _diff(o, n, family).items():
                deltas[family][key].update(counts)  # update() adds, negative deltas included
        changed.append(pk)
        if n is None and o is not None:
            o.delete()
    for family in FAMILIES:
        _apply(deltas[family], family)
    DetainerFact.objects.bulk_create(
        [new[pk] for pk in changed if pk in new],
        update_conflicts=True,
        unique_fields=["detainer_id"],
        update_fields=FACT_FIELDS,
    )
    return len(changed)


def store_subpoena_facts(ids: set[int]) -> None:
    new = subpoena_facts(ids)
    SubpoenaFact.objects.filter(subpoena_id__in=ids - set(new)).delete()
    SubpoenaFact.objects.bulk_create(
        list(new.values()), update_conflicts=True, unique_fields=["subpoena_id"], update_fields=SUBPOENA_FACT_FIELDS
    )
