"""The report tables over the cells (breakdowns, trend, map, subpoenas, court cases), the dashboard and
the filter form's choices."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.db.models import Count, Q, Sum

from holdtrack.cases.models import (
    CourtState,
    FormType,
    OutcomeGroup,
    RequestType,
    SubpoenaState,
)
from holdtrack.core.timeutil import now as _now
from holdtrack.jurisdictions.models import AreaOfResponsibility, Jurisdiction, Level
from holdtrack.reports.aggregates.filters import (
    GROUP_COLUMN,
    GROUP_LABEL,
    GROUP_TITLE,
    Filters,
    bucket_counts,
    cells_for,
    medians,
)
from holdtrack.reports.aggregates.metrics import (
    FLAG_COLUMNS,
    FLAG_LABELS,
    FORM_COLUMNS,
    METRICS,
    OUTCOME_COLUMNS,
    REQUEST_COLUMNS,
    median_from_buckets,
)
from holdtrack.reports.aggregates.upkeep import refreshed_at
from holdtrack.reports.coverage import FULL_MONTH, add_months, coverage
from holdtrack.reports.models.stats import (
    Basis,
    CellFacility,
    CellState,
    SubpoenaFact,
)

# ------------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # text | int | share | hours | month


@dataclass
class Table:
    key: str
    title: str
    description: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def header(self) -> list[str]:
        return [c.key for c in self.columns]

    def display_columns(self) -> list[Column]:
        """Columns shown on a page: the machine key of a metric stays in the downloads."""
        return [c for c in self.columns if c.key != "metric"]

    def records(self, *, with_total: bool = True) -> list[dict[str, Any]]:
        out = [dict(r) for r in self.rows]
        if with_total and self.total is not None:
            out.append(dict(self.total))
        return out


def _share(num: int | None, den: int | None) -> float | None:
    return round(num / den, 4) if num is not None and den else None


def _hours(minutes: float | None) -> float | None:
    return round(minutes / 60, 2) if minutes is not None else None


SUMMARY_METRICS: tuple[tuple[str, str], ...] = (
    ("prepared", "Detainers prepared"),
    ("decided", "With a recorded LEA decision"),
    ("completeness", "Completeness: share with a recorded LEA decision"),
    ("declined", "Declined by the LEA"),
    ("share_declined", "Share declined (of recorded LEA decisions)"),
    ("out_released_before_pickup", "Released before pickup"),
    ("lapsed", "Holds lapsed at the ceiling (released, window expired)"),
    ("transferred", "Custody transferred to the agency"),
    ("to_agency", "Transferred to another LEA (not counted as declined)"),
    ("flagged", "With an over-detention flag"),
    ("median_hours", "Median hours from release eligibility to custody transfer (±15 min below 24 h)"),
    ("transfers_timed", "Custody transfers with both times recorded"),
)


def _metric_sums(qs: models.QuerySet[Any], metrics: Sequence[str] = METRICS) -> dict[str, int]:
    agg = qs.aggregate(**{m: Sum(m) for m in metrics})
    return {m: int(agg[m] or 0) for m in metrics}


def _derived(row: dict[str, Any]) -> dict[str, Any]:
    row["completeness"] = _share(row.get("decided"), row.get("prepared"))
    row["share_declined"] = _share(row.get("declined"), row.get("decided"))
    return row


BREAKDOWN_METRICS = (
    "prepared",
    "decided",
    "declined",
    "out_released_before_pickup",
    "lapsed",
    "transferred",
    "to_agency",
    "flagged",
)
TREND_METRICS = ("prepared", "decided", "declined", "out_released_before_pickup", "lapsed", "transferred", "flagged")
METRIC_LABELS = {
    "prepared": "Prepared",
    "decided": "LEA decision recorded",
    "completeness": "Completeness",
    "declined": "Declined",
    "share_declined": "Share declined",
    "out_released_before_pickup": "Released before pickup",
    "lapsed": "Holds lapsed",
    "transferred": "Custody transferred",
    "to_agency": "To another LEA",
    "flagged": "Over-detention flag",
    "median_hours": "Median hours, eligibility → transfer",
    **{c: FormType(v).label for c, v in FORM_COLUMNS.items()},
    **{c: RequestType(v).label for c, v in REQUEST_COLUMNS.items()},
    **{c: OutcomeGroup(v).label for c, v in OUTCOME_COLUMNS.items()},
    **FLAG_LABELS,
}


_NAMES_TTL = 300.0
_names_cache: dict[str, tuple[float, dict[str, str]]] = {}


def _cached(kind: str, load: Any) -> dict[str, str]:
    """Place names change only with reference data: keep them for a few minutes per process."""
    hit = _names_cache.get(kind)
    if hit is None or time.monotonic() - hit[0] > _NAMES_TTL:
        hit = (time.monotonic(), load())
        _names_cache[kind] = hit
    return hit[1]


def county_names(fips: Iterable[str]) -> dict[str, str]:
    names = _cached(
        "county",
        lambda: {
            f: f"{n}, {s}"
            for f, n, s in Jurisdiction.objects.filter(level=Level.COUNTY).values_list("fips", "name", "state_abbr")
        },
    )
    return {f: names[f] for f in fips if f in names}


def state_names() -> dict[str, str]:
    return _cached(
        "state", lambda: dict(Jurisdiction.objects.filter(level=Level.STATE).values_list("state_abbr", "name"))
    )


def _group_rows(f: Filters, group: str, metrics: Sequence[str]) -> list[dict[str, Any]]:
    column = GROUP_COLUMN[group]
    qs = cells_for(f, group).order_by().values(column).annotate(**{m: Sum(m) for m in metrics}).order_by(column)
    return [{column: r[column], **{m: int(r[m] or 0) for m in metrics}} for r in qs]


def _labels_for(group: str, keys: Iterable[Any]) -> dict[Any, str]:
    if group == "state":
        names = state_names()
        return {k: names.get(k, "") for k in keys}
    if group == "county":
        return county_names(keys)
    return {}


def breakdown(f: Filters, group: str | None = None) -> Table:
    group = group or f.drill_group
    column = GROUP_COLUMN[group]
    rows = _group_rows(f, group, BREAKDOWN_METRICS)
    meds = medians(f, group)
    labels = _labels_for(group, (r[column] for r in rows))
    for r in rows:
        key = r[column]
        if group == "month":
            r["month"] = key.strftime("%Y-%m")
        elif group == "state":
            r["label"] = labels.get(key, "")
        elif group == "county":
            r["label"] = labels.get(key, "") if key else "Statewide agencies, or no single county"
        _derived(r)
        r["median_hours"] = _hours(meds.get(key))
    total = {column: "Total", **_metric_sums(cells_for(f), BREAKDOWN_METRICS)}
    _derived(total)
    total["median_hours"] = _hours(medians(f).get(None))
    columns = [Column(column, GROUP_LABEL[group], "month" if group == "month" else "text")]
    if group in ("state", "county"):
        columns.append(Column("label", "Name", "text"))
        total["label"] = ""
    columns += [
        Column("prepared", METRIC_LABELS["prepared"]),
        Column("decided", METRIC_LABELS["decided"]),
        Column("completeness", METRIC_LABELS["completeness"], "share"),
        Column("declined", METRIC_LABELS["declined"]),
        Column("share_declined", METRIC_LABELS["share_declined"], "share"),
        Column("out_released_before_pickup", METRIC_LABELS["out_released_before_pickup"]),
        Column("lapsed", METRIC_LABELS["lapsed"]),
        Column("transferred", METRIC_LABELS["transferred"]),
        Column("to_agency", METRIC_LABELS["to_agency"]),
        Column("flagged", METRIC_LABELS["flagged"]),
        Column("median_hours", METRIC_LABELS["median_hours"], "hours"),
    ]
    return Table(
        key="breakdown",
        title=GROUP_TITLE[group],
        description=_basis_sentence(f),
        columns=columns,
        rows=rows,
        total=total,
    )


def _basis_sentence(f: Filters) -> str:
    if f.basis == Basis.ISSUE:
        return (
            "Issue date: detainers prepared in the period, with what has become of them so far. "
            "Later events count in the month the detainer was prepared."
        )
    return (
        "Event date: each event counts in the month it was recorded — declines by decline date, holds lapsed by "
        "ceiling, transfers by transfer date — whatever month the detainer was prepared in."
    )


def summary(f: Filters) -> Table:
    sums = _derived(_metric_sums(cells_for(f)))
    counts = bucket_counts(f)[None]
    sums["median_hours"] = _hours(median_from_buckets(counts))
    sums["transfers_timed"] = sum(counts)
    rows = []
    for key, label in SUMMARY_METRICS:
        kind = "share" if key in ("completeness", "share_declined") else "hours" if key == "median_hours" else "int"
        rows.append({"metric": key, "label": label, "value": sums.get(key), "kind": kind})
    return Table(
        key="summary",
        title="Summary",
        description=_basis_sentence(f),
        columns=[Column("metric", "Metric key", "text"), Column("label", "Metric", "text"), Column("value", "Value")],
        rows=rows,
    )


def _count_table(
    f: Filters, key: str, title: str, mapping: dict[str, str], code_label: str, sums: dict[str, int]
) -> Table:
    total = sum(sums[c] for c in mapping)
    rows = [
        {"code": code, "label": METRIC_LABELS[col], "count": sums[col], "share": _share(sums[col], total)}
        for col, code in mapping.items()
    ]
    return Table(
        key=key,
        title=title,
        description=_basis_sentence(f),
        columns=[
            Column("code", code_label, "text"),
            Column("label", "Meaning", "text"),
            Column("count", "Count"),
            Column("share", "Share", "share"),
        ],
        rows=rows,
        total={"code": "Total", "label": "", "count": total, "share": 1.0 if total else None},
    )


def type_tables(f: Filters, sums: dict[str, int]) -> list[Table]:
    return [
        _count_table(f, "form-types", "Detainers prepared by form", FORM_COLUMNS, "Form", sums),
        _count_table(f, "request-types", "Detainers prepared by request type", REQUEST_COLUMNS, "Request", sums),
    ]


def outcome_table(f: Filters, sums: dict[str, int]) -> Table:
    t = _count_table(f, "outcomes", "Outcome groups", OUTCOME_COLUMNS, "Outcome group", sums)
    if f.basis == Basis.EVENT:
        t.notes.append("On the event basis an outcome counts in the month it was recorded; open cases are not events.")
    return t


def flag_table(f: Filters, sums: dict[str, int]) -> Table:
    rows = [{"code": col.upper(), "label": FLAG_LABELS[col], "count": sums[col]} for col in FLAG_COLUMNS]
    return Table(
        key="over-detention",
        title="Over-detention flags",
        description=(
            "Detainers with each flag (domain.md A5.3), computed when the case closes; a detainer can carry "
            "several flags. " + _basis_sentence(f)
        ),
        columns=[Column("code", "Flag", "text"), Column("label", "Meaning", "text"), Column("count", "Detainers")],
        rows=rows,
        total={"code": "Any flag", "label": "", "count": sums["flagged"]},
    )


def trend(f: Filters) -> Table:
    """One row per month of the period, with how much of the month the record covers (a partial month's low
    counts are not a fall)."""
    rows = _group_rows(f, "month", TREND_METRICS)
    by_month = {r["month"]: r for r in rows}
    cov = coverage()
    out = []
    m = f.start
    while m <= f.end:
        r = by_month.get(m, {"month": m, **dict.fromkeys(TREND_METRICS, 0)})
        covered = (cov.month(m) if cov else "no data") or FULL_MONTH
        out.append({**r, "month": m.strftime("%Y-%m"), "coverage": covered})
        m = add_months(m, 1)
    note = cov.note(f.start, f.end) if cov else ""
    return Table(
        key="monthly",
        title="Monthly trend",
        description=_basis_sentence(f),
        columns=[
            Column("month", "Month", "month"),
            *(Column(m, METRIC_LABELS[m]) for m in TREND_METRICS),
            Column("coverage", "Coverage", "text"),
        ],
        rows=out,
        notes=[note] if note else [],
    )


def county_map(f: Filters) -> Table:
    rows = _group_rows(f, "county", ("prepared", "declined", "transferred"))
    names = county_names(r["county_fips"] for r in rows)
    out = []
    no_county = {"prepared": 0, "declined": 0, "transferred": 0}
    for r in rows:
        if not r["county_fips"]:
            for k in no_county:
                no_county[k] += r[k]
            continue
        out.append({**r, "label": names.get(r["county_fips"], ""), "share_declined": None})
    out.sort(key=lambda r: (-r["prepared"], r["county_fips"]))
    t = Table(
        key="counties",
        title="Detainers by county",
        description=_basis_sentence(f) + " Counties with no detainers in the period are not listed.",
        columns=[
            Column("county_fips", "County (FIPS)", "text"),
            Column("label", "Name", "text"),
            Column("prepared", METRIC_LABELS["prepared"]),
            Column("declined", METRIC_LABELS["declined"]),
            Column("transferred", METRIC_LABELS["transferred"]),
        ],
        rows=out,
    )
    if any(no_county.values()):
        t.notes.append(
            f"Not on the map: {no_county['prepared']:,} detainers prepared for agencies with no single county "
            "(statewide agencies, cities spanning several counties)."
        )
    return t


SUBPOENA_DONE = {SubpoenaState.COMPLIED, SubpoenaState.COMPLIED_UNDER_ORDER}


def subpoena_table(f: Filters, at: datetime | None = None) -> Table:
    at = at or _now()
    place = {k: v for k, v in f.place_filter().items() if k != "facility_code"}
    qs = SubpoenaFact.objects.filter(**place)
    col = "issued_month" if f.basis == Basis.ISSUE else "served_month"
    qs = qs.filter(**{f"{col}__gte": f.start, f"{col}__lte": f.end})
    served = qs.exclude(served_month=None)
    if f.basis == Basis.EVENT:
        complied = SubpoenaFact.objects.filter(**place, complied_month__gte=f.start, complied_month__lte=f.end).count()
        under_order = SubpoenaFact.objects.filter(
            **place, complied_month__gte=f.start, complied_month__lte=f.end, complied_under_order=True
        ).count()
    else:
        complied = qs.exclude(complied_month=None).count()
        under_order = qs.filter(complied_under_order=True).count()
    overdue = served.filter(return_due_at__lt=at).filter(
        Q(responded_at=None) | Q(responded_at__gt=models.F("return_due_at"))
    )
    rows = [
        {"metric": "issued", "label": "Issued", "count": qs.exclude(issued_month=None).count()},
        {"metric": "served", "label": "Served", "count": served.count()},
        {"metric": "complied", "label": "Complied (voluntarily or under a court order)", "count": complied},
        {"metric": "complied_under_order", "label": "Complied under a court order", "count": under_order},
        {
            "metric": "overdue",
            "label": "Overdue: no response by the return date",
            "count": overdue.count(),
        },
        {
            "metric": "open_past_due",
            "label": "Still without a response, return date passed",
            "count": overdue.filter(responded_at=None).exclude(state__in=list(SUBPOENA_DONE)).count(),
        },
    ]
    basis = "issue date" if f.basis == Basis.ISSUE else "service date (complied: compliance date)"
    return Table(
        key="subpoenas",
        title="Administrative subpoenas",
        description=f"Subpoenas to agencies in the selection, by {basis}. Overdue is as of {at:%Y-%m-%d %H:%M} UTC.",
        columns=[Column("metric", "Metric key", "text"), Column("label", "Metric", "text"), Column("count", "Count")],
        rows=rows,
        notes=["Subpoenas go to agencies, not facilities: a facility filter is not applied to them."]
        if f.facility
        else [],
    )


def court_table(f: Filters) -> Table:
    place = {k: v for k, v in f.place_filter().items() if k != "facility_code"}
    qs = SubpoenaFact.objects.filter(**place, court_filed_month__gte=f.start, court_filed_month__lte=f.end).exclude(
        court_state=""
    )
    counts = dict(qs.order_by().values_list("court_state").annotate(n=Count("pk")).values_list("court_state", "n"))
    rows = [
        {"code": code, "label": label, "count": counts.get(code, 0)}
        for code, label in CourtState.choices
        if counts.get(code, 0) or code in (CourtState.PETITION_FILED, CourtState.ENFORCED)
    ]
    return Table(
        key="court-cases",
        title="Subpoena enforcement cases by stage",
        description="Court cases filed in the period, by their stage today.",
        columns=[Column("code", "Stage", "text"), Column("label", "Meaning", "text"), Column("count", "Cases")],
        rows=rows,
        total={"code": "Total", "label": "", "count": sum(counts.values())},
    )


@dataclass
class Dashboard:
    filters: Filters
    tables: dict[str, Table]
    refreshed_at: datetime | None

    def table(self, key: str) -> Table:
        return self.tables[key]


TABLE_KEYS = (
    "summary",
    "breakdown",
    "monthly",
    "counties",
    "form-types",
    "request-types",
    "outcomes",
    "over-detention",
    "subpoenas",
    "court-cases",
)


def dashboard(f: Filters, *, tables: Sequence[str] = TABLE_KEYS) -> Dashboard:
    """Every table of the dashboard for one filter. Reads cells and facts only."""
    out: dict[str, Table] = {}
    sums: dict[str, int] | None = None
    for key in tables:
        if key == "summary":
            out[key] = summary(f)
        elif key == "breakdown":
            out[key] = breakdown(f)
        elif key == "monthly":
            out[key] = trend(f)
        elif key == "counties":
            out[key] = county_map(f)
        elif key in ("form-types", "request-types", "outcomes", "over-detention"):
            if sums is None:
                sums = _metric_sums(cells_for(f))
            if key == "outcomes":
                out[key] = outcome_table(f, sums)
            elif key == "over-detention":
                out[key] = flag_table(f, sums)
            else:
                out[key] = next(t for t in type_tables(f, sums) if t.key == key)
        elif key == "subpoenas":
            out[key] = subpoena_table(f)
        elif key == "court-cases":
            out[key] = court_table(f)
        else:
            raise KeyError(key)
    return Dashboard(filters=f, tables=out, refreshed_at=refreshed_at())


# ------------------------------------------------------------------------------------------------ helpers


def parse_month(value: str) -> date:
    """``YYYY-MM`` → the first day of that month."""
    try:
        year, month = value.strip().split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"{value!r} is not a month (YYYY-MM)") from exc


def parse_period(value: str) -> tuple[date, date]:
    """``YYYY-MM..YYYY-MM`` (or one month) → first days of the first and last months."""
    start, _, end = value.partition("..")
    first, last = parse_month(start), parse_month(end or start)
    if first > last:
        raise ValueError(f"the period {value!r} starts after it ends")
    return first, last


def place_options(f: Filters) -> dict[str, list[tuple[str, str]]]:
    """Choices for the filter form: states always; AORs and counties within the state; LEAs in the county."""
    names = state_names()
    states = sorted(set(CellState.objects.values_list("state_abbr", flat=True)) - {""})
    out: dict[str, list[tuple[str, str]]] = {
        "state": [(s, f"{s} — {names.get(s, s)}") for s in states],
        "aor": [(a, a) for a in AreaOfResponsibility.objects.order_by("name").values_list("name", flat=True)],
        "county": [],
        "ori": [],
        "facility": [],
    }
    if f.state:
        labels = county_names(
            Jurisdiction.objects.filter(level=Level.COUNTY, state_abbr=f.state).values_list("fips", flat=True)
        )
        out["county"] = [(c, f"{c} — {labels[c]}") for c in sorted(labels)]
    if f.county or f.ori:
        qs = CellFacility.objects.filter(county_fips=f.county) if f.county else CellFacility.objects.filter(ori=f.ori)
        out["ori"] = [(o, o) for o in sorted(set(qs.values_list("ori", flat=True)))]
        if f.ori:
            codes = CellFacility.objects.filter(ori=f.ori).values_list("facility_code", flat=True)
            out["facility"] = [(c, c) for c in sorted(set(codes))]
    return out
