"""Public statistics (anchors.md 2.4 item 10): frozen, versioned snapshots with small-cell suppression, a codebook
and a change log. Pages and downloads render the stored snapshot and never recompute it, so the page and the
files show the same numbers; the SHA-256 of the snapshot's canonical JSON lets anyone check a file.

``holdtrack report publish --period YYYY-MM..YYYY-MM`` calls :func:`publish`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Sum

from holdtrack.cases.models import FormType, OutcomeGroup, SubpoenaState
from holdtrack.core.timeutil import now as _now
from holdtrack.reports import aggregates
from holdtrack.reports.aggregates import FORM_COLUMNS, OUTCOME_COLUMNS, add_months
from holdtrack.reports.coverage import coverage
from holdtrack.reports.models.stats import Basis, CellState, PublicSnapshot, SubpoenaFact
from holdtrack.reports.suppression import suppress

# 2: the release names the months of its period the record covers only in part ("coverage").
SCHEMA = "holdtrack-public/2"
SUPPRESSED = "S"
NO_STATE = "—"


def threshold() -> int:
    """Setting ``HOLDTRACK_SUPPRESSION_THRESHOLD`` (or the environment variable of that name); default 10."""
    value = getattr(settings, "HOLDTRACK_SUPPRESSION_THRESHOLD", None)
    if value is None:
        value = os.environ.get("HOLDTRACK_SUPPRESSION_THRESHOLD", "10")
    limit = int(value)
    if limit < 1:
        raise ValueError("HOLDTRACK_SUPPRESSION_THRESHOLD must be at least 1 (1 suppresses nothing).")
    return limit


def suppress_zero() -> bool:
    """Setting ``HOLDTRACK_SUPPRESS_ZEROS`` (or the environment variable); default off: a zero is published."""
    value = getattr(settings, "HOLDTRACK_SUPPRESS_ZEROS", None)
    if value is None:
        value = os.environ.get("HOLDTRACK_SUPPRESS_ZEROS", "")
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class RawTable:
    key: str
    title: str
    description: str
    row_header: str
    rows: list[tuple[str, str]]  # (key, label)
    columns: list[tuple[str, str]]
    cells: list[list[int]]


SUBPOENA_STATUS: dict[str, tuple[str, tuple[str, ...]]] = {
    "awaiting": ("Awaiting a response", (SubpoenaState.ISSUED, SubpoenaState.SERVED, SubpoenaState.RESPONSE_DUE)),
    "complied": (
        "Complied (voluntarily or under a court order)",
        (SubpoenaState.COMPLIED, SubpoenaState.COMPLIED_UNDER_ORDER),
    ),
    "not_complied": (
        "Not complied (partial, objected, declined, no response)",
        (SubpoenaState.PARTIAL, SubpoenaState.OBJECTED, SubpoenaState.DECLINED, SubpoenaState.NO_RESPONSE),
    ),
    "enforcement": ("Referred to DOJ or in court", (SubpoenaState.REFERRED, SubpoenaState.IN_COURT)),
    "ended": ("Quashed, withdrawn or closed", (SubpoenaState.QUASHED, SubpoenaState.WITHDRAWN, SubpoenaState.CLOSED)),
}


def _months(start: date, end: date) -> list[date]:
    out, m = [], start
    while m <= end:
        out.append(m)
        m = add_months(m, 1)
    return out


def _state_rows(keys: Sequence[str]) -> list[tuple[str, str]]:
    names = aggregates.state_names()
    return [(k or NO_STATE, names.get(k, "No state recorded") if k else "No state recorded") for k in keys]


def _by_state(start: date, end: date, basis: str, columns: Sequence[str]) -> dict[str, dict[str, int]]:
    qs = (
        CellState.objects.filter(basis=basis, month__gte=start, month__lte=end)
        .order_by()
        .values("state_abbr")
        .annotate(**{c: Sum(c) for c in columns})
    )
    out: dict[str, dict[str, int]] = {}
    for row in cast(list[dict[str, Any]], list(qs)):
        bucket = out.setdefault(row["state_abbr"], dict.fromkeys(columns, 0))
        for c in columns:
            bucket[c] += int(row[c] or 0)
    return out


def raw_tables(start: date, end: date) -> list[RawTable]:
    """The public tables before suppression: every count is a count of detainers or subpoenas."""
    tables: list[RawTable] = []

    forms = [c for c in FORM_COLUMNS]
    by_state = _by_state(start, end, Basis.ISSUE, [*forms, *OUTCOME_COLUMNS, "prepared"])
    states = sorted(k for k, v in by_state.items() if v["prepared"])
    used_forms = [c for c in forms if any(by_state[s][c] for s in states)] or ["form_i247a"]
    tables.append(
        RawTable(
            key="prepared-by-state-form",
            title="Detainers prepared, by state and form",
            description="Detainers prepared in the period (issue date), by the state of the agency they were sent "
            "to and the form used.",
            row_header="State",
            rows=_state_rows(states),
            columns=[(FORM_COLUMNS[c], FormType(FORM_COLUMNS[c]).label) for c in used_forms],
            cells=[[by_state[s][c] for c in used_forms] for s in states],
        )
    )
    outcomes = list(OUTCOME_COLUMNS)
    tables.append(
        RawTable(
            key="outcomes-by-state",
            title="Detainers prepared, by state and outcome group",
            description="Detainers prepared in the period (issue date), by what has become of them as of the "
            "snapshot. Open cases are counted as open or unknown.",
            row_header="State",
            rows=_state_rows(states),
            columns=[(OUTCOME_COLUMNS[c], OutcomeGroup(OUTCOME_COLUMNS[c]).label) for c in outcomes],
            cells=[[by_state[s][c] for c in outcomes] for s in states],
        )
    )
    months = _months(start, end)
    declines: dict[str, dict[date, int]] = {}
    for r in (
        CellState.objects.filter(basis=Basis.EVENT, month__gte=start, month__lte=end)
        .order_by()
        .values("state_abbr", "month")
        .annotate(n=Sum("declined"))
    ):
        declines.setdefault(r["state_abbr"], {})[r["month"]] = int(r["n"] or 0)
    decline_states = sorted(k for k, v in declines.items() if any(v.values()))
    tables.append(
        RawTable(
            key="declines-by-state-month",
            title="Declines recorded, by state and month",
            description="Detainers declined by the receiving agency, counted in the month the decline was recorded "
            "(event date), whatever month they were issued. Transfers to another agency are not declines.",
            row_header="State",
            rows=_state_rows(decline_states),
            columns=[(m.strftime("%Y-%m"), m.strftime("%Y-%m")) for m in months],
            cells=[[declines[s].get(m, 0) for m in months] for s in decline_states],
        )
    )
    prepared_month: dict[str, dict[date, int]] = {}
    for r in (
        CellState.objects.filter(basis=Basis.ISSUE, month__gte=start, month__lte=end)
        .order_by()
        .values("state_abbr", "month")
        .annotate(n=Sum("prepared"))
    ):
        prepared_month.setdefault(r["state_abbr"], {})[r["month"]] = int(r["n"] or 0)
    tables.append(
        RawTable(
            key="prepared-by-state-month",
            title="Detainers prepared, by state and month",
            description="Detainers prepared in each month (issue date), by the state of the agency they were sent to.",
            row_header="State",
            rows=_state_rows(states),
            columns=[(m.strftime("%Y-%m"), m.strftime("%Y-%m")) for m in months],
            cells=[[prepared_month.get(s, {}).get(m, 0) for m in months] for s in states],
        )
    )
    subs: dict[str, dict[str, int]] = {}
    subpoena_rows = (
        SubpoenaFact.objects.filter(issued_month__gte=start, issued_month__lte=end)
        .order_by()
        .values("state_abbr", "state")
        .annotate(n=Count("pk"))
    )
    for sub_row in cast(list[dict[str, Any]], list(subpoena_rows)):
        for key, (_, members) in SUBPOENA_STATUS.items():
            if sub_row["state"] in members:
                subs.setdefault(sub_row["state_abbr"], dict.fromkeys(SUBPOENA_STATUS, 0))[key] += sub_row["n"]
    sub_states = sorted(subs)
    tables.append(
        RawTable(
            key="subpoenas-by-state-status",
            title="Administrative subpoenas issued, by state and status",
            description="Administrative subpoenas issued in the period to agencies in each state, by their status as "
            "of the snapshot. An administrative subpoena is not a court order.",
            row_header="State",
            rows=_state_rows(sub_states),
            columns=[(k, label) for k, (label, _) in SUBPOENA_STATUS.items()],
            cells=[[subs[s][k] for k in SUBPOENA_STATUS] for s in sub_states],
        )
    )
    return tables


def suppressed_table(t: RawTable, limit: int, zero: bool) -> dict[str, Any]:
    """A table as published: values with margins, ``None`` where suppressed."""
    if not t.rows:
        return {
            "key": t.key,
            "title": t.title,
            "description": t.description,
            "row_header": t.row_header,
            "rows": [],
            "columns": [{"key": k, "label": label} for k, label in t.columns],
            "values": [],
            "total_row": [0] * (len(t.columns) + 1),
            "suppressed_cells": 0,
        }
    s = suppress(t.cells, limit, suppress_zero=zero)
    published = s.published()
    return {
        "key": t.key,
        "title": t.title,
        "description": t.description,
        "row_header": t.row_header,
        "rows": [{"key": k, "label": label} for k, label in t.rows],
        "columns": [{"key": k, "label": label} for k, label in t.columns],
        "values": published[:-1],
        "total_row": published[-1],
        "suppressed_cells": sum(v is None for row in published for v in row),
    }


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def snapshot_data(start: date, end: date, *, limit: int | None = None, zero: bool | None = None) -> dict[str, Any]:
    limit = threshold() if limit is None else limit
    zero = suppress_zero() if zero is None else zero
    covered = coverage()
    partial = covered.partial_months(start, end) if covered is not None else []
    return {
        "schema": SCHEMA,
        "period": {"start": start.strftime("%Y-%m"), "end": end.strftime("%Y-%m")},
        # A month the record covers only in part (its first, the one it was last refreshed in) is named, so a
        # low count there is not read as a fall.
        "coverage": {
            "partial_months": [{"month": m, "label": label} for m, label in partial],
            "note": covered.note(start, end) if covered is not None else "",
        },
        "suppression": {"threshold": limit, "suppress_zero": zero, "marker": SUPPRESSED},
        "tables": [suppressed_table(t, limit, zero) for t in raw_tables(start, end)],
    }


def publish(period: str, *, note: str = "", limit: int | None = None, zero: bool | None = None) -> PublicSnapshot:
    """Freeze a new version for ``YYYY-MM..YYYY-MM`` from up-to-date aggregates."""
    start, end = aggregates.parse_period(period)
    aggregates.refresh()
    with transaction.atomic():
        data = snapshot_data(start, end, limit=limit, zero=zero)
        previous = PublicSnapshot.objects.order_by("-version").first()
        version = (PublicSnapshot.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        created = _now()
        parameters = {
            "period": f"{start:%Y-%m}..{end:%Y-%m}",
            "threshold": data["suppression"]["threshold"],
            "suppress_zero": data["suppression"]["suppress_zero"],
            "aggregates_refreshed_at": (aggregates.refreshed_at() or created).isoformat(),
            "schema": SCHEMA,
        }
        return PublicSnapshot.objects.create(
            version=version,
            created_at=created,
            period_start=start,
            period_end=end,
            parameters=parameters,
            data=data,
            sha256=hashlib.sha256(canonical(data)).hexdigest(),
            codebook=codebook(data),
            change_log=change_log(version, created.date(), data, previous, note),
        )


def change_log(version: int, on: date, data: dict[str, Any], previous: PublicSnapshot | None, note: str) -> str:
    period = f"{data['period']['start']}..{data['period']['end']}"
    lines = [f"Version {version}, published {on:%Y-%m-%d}: period {period}."]
    if previous is None:
        lines.append("First release.")
    else:
        prev = previous.data
        if prev.get("period") != data["period"]:
            lines.append(
                f"Period changed from {prev['period']['start']}..{prev['period']['end']} (version {previous.version})."
            )
        if prev.get("suppression") != data["suppression"]:
            lines.append(f"Suppression rule changed: {prev.get('suppression')} → {data['suppression']}.")
        before = {t["key"] for t in prev.get("tables", [])}
        after = {t["key"] for t in data["tables"]}
        if after - before:
            lines.append("Tables added: " + ", ".join(sorted(after - before)) + ".")
        if before - after:
            lines.append("Tables removed: " + ", ".join(sorted(before - after)) + ".")
        if prev.get("schema") != data["schema"]:
            lines.append(f"Schema {prev.get('schema')} → {data['schema']}.")
        if len(lines) == 1:
            lines.append(
                f"Same tables and rules as version {previous.version}; counts reflect records as of this release."
            )
    if note:
        lines.append(note.strip())
    return "\n".join(lines)


def codebook(data: dict[str, Any]) -> str:
    limit = data["suppression"]["threshold"]
    zero = data["suppression"]["suppress_zero"]
    lines = [
        "HOLDTRACK PUBLIC STATISTICS — CODEBOOK",
        f"Schema: {data['schema']}. Period: {data['period']['start']} to {data['period']['end']} (UTC calendar months).",
        "",
        "SOURCE",
        "Counts are produced by holdtrack's code from its records of detainers and administrative subpoenas, through "
        "the report aggregates (docs/adr/0007-report-aggregates.md). No record of a person is published.",
        "",
        "KEYS",
        "State: two-letter postal abbreviation of the state of the agency the detainer or subpoena was sent to, "
        f"taken from the agency's jurisdiction; '{NO_STATE}' when none is recorded. Agencies are identified by ORI and "
        "facilities by facility code inside holdtrack; the public tables stop at the state.",
        "",
        "PARTIAL MONTHS",
        (data.get("coverage", {}).get("note") or "Every month of the period is covered in full.")
        + " A month is partial when the record starts in it or was last brought up to date in it.",
        "",
        "DATES",
        "Issue date: a detainer counts in the month it was prepared, with what has become of it as of the snapshot. "
        "Event date: an event (a decline) counts in the month it was recorded. The two are never mixed in one table.",
        "",
        "SUPPRESSION",
        f"Counts from 1 to {limit - 1} are suppressed and shown as '{SUPPRESSED}' "
        + ("(zeros too). " if zero else "(a zero is published: it identifies no one). ")
        + "So that no suppressed count can be recovered by subtracting published numbers from a row or column total, "
        "complementary cells are suppressed as well: whenever a row or column (totals included) would hold exactly one "
        "suppressed count, its next smallest count is suppressed too, and the step is repeated until nothing changes. "
        "A suppressed cell may therefore hold any count, large or small. Totals are shown unless suppressed. "
        "This rule stops exact recovery by subtraction; it does not guarantee how wide the range of possible values of "
        "a suppressed count is.",
        "",
        "FILES",
        "Each table downloads as CSV (UTF-8, one header row: row key, row label, one column per column key, total; "
        f"the last row is the column totals, key TOTAL; suppressed cells hold '{SUPPRESSED}'). snapshot.json is the "
        "whole release; its SHA-256 is printed on every page of the release.",
        "",
        "TABLES",
    ]
    for t in data["tables"]:
        lines.append(f"{t['key']}: {t['title']}. {t['description']}")
        lines.append("  Columns: " + "; ".join(f"{c['key']} = {c['label']}" for c in t["columns"]) + ".")
    lines += [
        "",
        "DEFINITIONS",
        "Outcome groups: " + "; ".join(f"{v} = {label}" for v, label in OutcomeGroup.choices) + ".",
        "Forms: " + "; ".join(f"{v} = {label}" for v, label in FormType.choices) + ".",
        "Subpoena status: " + "; ".join(f"{k} = {label}" for k, (label, _) in SUBPOENA_STATUS.items()) + ".",
        "",
        "LIMITS",
        "Declines are counted only when recorded; agencies do not always report them (domain.md A4.1). A decline is a "
        "decision not to hold or notify, not a release. Outcomes of recent detainers are often still open.",
    ]
    return "\n".join(lines)


def table_csv(table: dict[str, Any]) -> bytes:
    """The table exactly as the page shows it (same cells, same suppression)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["row_key", "row_label", *(c["key"] for c in table["columns"]), "total"])

    def cell(v: Any) -> Any:
        return SUPPRESSED if v is None else v

    for row, values in zip(table["rows"], table["values"], strict=True):
        writer.writerow([row["key"], row["label"], *(cell(v) for v in values)])
    writer.writerow(["TOTAL", "Total", *(cell(v) for v in table["total_row"])])
    return buf.getvalue().encode("utf-8")


def find_table(snapshot: PublicSnapshot, key: str) -> dict[str, Any] | None:
    return next((t for t in snapshot.data.get("tables", []) if t["key"] == key), None)
