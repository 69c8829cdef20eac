"""Report pages: the internal dashboard with downloads, the weekly declined-detainer report, and the public
statistics pages. Aggregates only: no page here shows a person, a case or an agency's or facility's name.

Internal pages need a signed-in analyst, auditor, administrator or agency user. Public pages need no login and
render stored snapshots only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

from holdtrack.accounts.models import AGENCY_ROLES, Role
from holdtrack.core.timeutil import now
from holdtrack.jurisdictions.models import Jurisdiction, Level
from holdtrack.reports import aggregates, declined, exports, public
from holdtrack.reports.aggregates import GROUP_LABEL, GROUPS, Filters, Table
from holdtrack.reports.coverage import DEFAULT_MONTHS, FULL_MONTH, coverage, default_period
from holdtrack.reports.models.stats import Basis, PublicSnapshot

REPORT_ROLES = frozenset({Role.ANALYST, Role.AUDITOR, Role.ADMIN, *AGENCY_ROLES})
# A page catches up with at most this many batches of recorded steps; the task worker does the rest every minute.
PAGE_REFRESH_BATCHES = 1


def report_role_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if str(getattr(request.user, "role", "")) not in REPORT_ROLES or not request.user.is_active:
            raise PermissionDenied("Reports are open to analysts, auditors, administrators and agency users.")
        return view(request, *args, **kwargs)

    return wrapped


# ---------------------------------------------------------------------------------------------- filters


def filters_from(request: HttpRequest) -> tuple[Filters, list[str]]:
    """The filter in the query string, with defaults: the last 12 months that have data (coverage.default_period),
    issue basis."""
    q = request.GET
    errors: list[str] = []
    start, end = default_period(now().date())
    try:
        if q.get("end"):
            end = aggregates.parse_month(q["end"])
        if q.get("start"):
            start = aggregates.parse_month(q["start"])
        elif q.get("end"):
            start = aggregates.add_months(end, -(DEFAULT_MONTHS - 1))
    except ValueError as exc:
        errors.append(str(exc))
    if start > end:
        errors.append("The period starts after it ends; the two months were swapped.")
        start, end = end, start
    basis = q.get("basis", Basis.ISSUE)
    if basis not in Basis.values:
        errors.append("Unknown date basis; the issue date is used.")
        basis = Basis.ISSUE
    group = q.get("group", "")
    if group and group not in GROUPS:
        errors.append("Unknown grouping; the next level down is used.")
        group = ""

    def code(name: str, size: int) -> str:
        value = q.get(name, "").strip().upper() if name != "aor" else q.get(name, "").strip()
        return value[:size]

    f = Filters(
        start=start,
        end=end,
        basis=basis,
        state=code("state", 2),
        aor=code("aor", 80),
        county=code("county", 5),
        ori=code("ori", 9),
        facility=code("facility", 12),
        group=group,
    )
    return f, errors


def query_of(f: Filters, **changes: Any) -> str:
    g = f.with_(**changes) if changes else f
    params = {
        "start": g.start.strftime("%Y-%m"),
        "end": g.end.strftime("%Y-%m"),
        "basis": g.basis,
        "state": g.state,
        "aor": g.aor,
        "county": g.county,
        "ori": g.ori,
        "facility": g.facility,
        "group": g.group,
    }
    return urlencode({k: v for k, v in params.items() if v})


def describe(f: Filters) -> str:
    parts = [f"{f.start:%Y-%m} to {f.end:%Y-%m}", "issue date" if f.basis == Basis.ISSUE else "event date"]
    for label, value in (
        ("state", f.state),
        ("AOR", f.aor),
        ("county FIPS", f.county),
        ("ORI", f.ori),
        ("facility", f.facility),
    ):
        if value:
            parts.append(f"{label} {value}")
    return ", ".join(parts)


def _drill(f: Filters, group: str, key: Any) -> str | None:
    """The link one level down from a breakdown row."""
    if key in (None, "", "Total"):
        return None
    step = {
        "state": {"state": key, "group": ""},
        "aor": {"aor": key, "group": ""},
        "county": {"county": key, "group": ""},
        "lea": {"ori": key, "group": ""},
    }.get(group)
    return "?" + query_of(f, **step) if step else None


def _crumbs(f: Filters) -> list[tuple[str, str]]:
    crumbs = [("National", "?" + query_of(f, state="", aor="", county="", ori="", facility="", group=""))]
    if f.state:
        crumbs.append((f"State {f.state}", "?" + query_of(f, aor="", county="", ori="", facility="", group="")))
    if f.aor:
        crumbs.append((f"AOR {f.aor}", "?" + query_of(f, county="", ori="", facility="", group="")))
    if f.county:
        crumbs.append((f"County {f.county}", "?" + query_of(f, ori="", facility="", group="")))
    if f.ori:
        crumbs.append((f"ORI {f.ori}", "?" + query_of(f, facility="", group="")))
    if f.facility:
        crumbs.append((f"Facility {f.facility}", "?" + query_of(f, group="")))
    return crumbs


# -------------------------------------------------------------------------------------------- dashboard

SERIES_LABELS = {
    "prepared": "Prepared",
    "declined": "Declined",
    "transferred": "Custody transferred",
    "out_released_before_pickup": "Released before pickup",
}


def trend_spec(t: Table, f: Filters) -> dict[str, Any]:
    # A month the record covers only in part says so on the axis and in the tooltip (coverage.py).
    values = [
        {
            "month": r["month"] if r.get("coverage", FULL_MONTH) == FULL_MONTH else f"{r['month']} (partial)",
            "coverage": r.get("coverage", FULL_MONTH),
            "series": label,
            "count": r[key],
        }
        for r in t.rows
        for key, label in SERIES_LABELS.items()
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Line chart of detainers per month: "
        + ", ".join(SERIES_LABELS.values())
        + ". The same numbers are in the table 'Monthly trend'.",
        "width": "container",
        "height": 260,
        "data": {"values": values},
        "mark": {"type": "line", "point": {"filled": True, "size": 50}, "strokeWidth": 2},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "title": "Month", "axis": {"labelAngle": -40}},
            "y": {"field": "count", "type": "quantitative", "title": "Detainers"},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": "Series",
                "scale": {"range": ["#005ea2", "#b50909", "#1a4480", "#7a4d00"]},
            },
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "scale": {"range": [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]]},
            },
            "shape": {"field": "series", "type": "nominal"},
            "tooltip": [
                {"field": "month", "title": "Month"},
                {"field": "coverage", "title": "Coverage"},
                {"field": "series", "title": "Series"},
                {"field": "count", "title": "Count", "format": ","},
            ],
        },
        "config": {"font": "system-ui, sans-serif", "legend": {"orient": "bottom", "symbolStrokeWidth": 2}},
    }


def map_spec(t: Table, f: Filters) -> dict[str, Any]:
    values = [{"fips": r["county_fips"], "prepared": r["prepared"], "name": r["label"]} for r in t.rows]
    transform: list[dict[str, Any]] = [
        {"lookup": "id", "from": {"data": {"values": values}, "key": "fips", "fields": ["prepared", "name"]}},
        {"calculate": "datum.prepared ? datum.prepared : 0", "as": "value"},
    ]
    if f.state:
        state_fips = (
            Jurisdiction.objects.filter(level=Level.STATE, state_abbr=f.state).values_list("fips", flat=True).first()
        )
        if state_fips:
            transform.insert(0, {"filter": f"slice(datum.id, 0, 2) == '{state_fips[:2]}'"})
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Map of U.S. counties shaded by the number of detainers prepared for agencies in each county. "
        "The same numbers are in the table 'Detainers by county'.",
        "width": "container",
        "height": 420,
        "data": {
            "url": static("vendor/us-atlas/counties-10m.json"),
            "format": {"type": "topojson", "feature": "counties"},
        },
        "transform": transform,
        "projection": {"type": "albersUsa"},
        "mark": {"type": "geoshape", "stroke": "#565c65", "strokeWidth": 0.15},
        "encoding": {
            "color": {
                "field": "value",
                "type": "quantitative",
                "title": "Detainers prepared",
                "scale": {"scheme": "blues", "type": "symlog"},
            },
            "tooltip": [
                {"field": "id", "title": "County FIPS"},
                {"field": "name", "title": "County"},
                {"field": "value", "title": "Detainers prepared", "format": ","},
            ],
        },
        "config": {"font": "system-ui, sans-serif", "view": {"stroke": None}},
    }


DOWNLOAD_FORMATS = (("csv", "CSV"), ("xlsx", "XLSX"), ("parquet", "Parquet"))


def _downloads(f: Filters, key: str) -> list[tuple[str, str]]:
    base = reverse("reports:download", args=[key, "FMT"])
    q = query_of(f)
    return [(label, base.replace("FMT", fmt) + ("?" + q if q else "")) for fmt, label in DOWNLOAD_FORMATS]


@require_safe
@report_role_required
def dashboard(request: HttpRequest) -> HttpResponse:
    aggregates.refresh(max_batches=PAGE_REFRESH_BATCHES)
    f, errors = filters_from(request)
    d = aggregates.dashboard(f)
    breakdown = d.tables["breakdown"]
    group = f.drill_group
    group_col = aggregates.GROUP_COLUMN[group]
    for row in breakdown.rows:
        row["_link"] = _drill(f, group, row.get(group_col))
    tables = {
        key.replace("-", "_"): {"table": d.tables[key], "downloads": _downloads(f, key)}
        for key in aggregates.TABLE_KEYS
    }
    options = aggregates.place_options(f)
    context = {
        "f": f,
        "errors": errors,
        "description": describe(f),
        "crumbs": _crumbs(f),
        "tables": tables,
        "group": group,
        "group_label": GROUP_LABEL[group],
        "groups": [(g, GROUP_LABEL[g]) for g in GROUPS],
        "options": options,
        "bases": Basis.choices,
        "trend_spec": trend_spec(d.tables["monthly"], f),
        "map_spec": map_spec(d.tables["counties"], f),
        "refreshed_at": d.refreshed_at,
        "span": aggregates.data_months(),
        "partial_note": _partial_note(f),
        "flag_rows": d.tables["over-detention"].rows,
    }
    return render(request, "reports/dashboard.html", context)


def _filename(f: Filters, key: str, fmt: str, *, partial: bool = False) -> str:
    """A CSV has no header lines: its name says when the period includes a month the data covers only in part."""
    place = "-".join(v for v in (f.state, f.aor.replace(" ", "_"), f.county, f.ori, f.facility) if v)
    basis = "issue" if f.basis == Basis.ISSUE else "event"
    period = f"{f.start:%Y-%m}-{f.end:%Y-%m}{'-partial' if partial else ''}"
    return f"holdtrack-{key}-{basis}-{period}{'-' + place if place else ''}.{fmt}"


@require_safe
@report_role_required
def download(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if table not in aggregates.TABLE_KEYS or fmt not in exports.FORMATS:
        raise Http404("No such table or format.")
    aggregates.refresh(max_batches=PAGE_REFRESH_BATCHES)
    f, _ = filters_from(request)
    t = aggregates.dashboard(f, tables=[table]).tables[table]
    partial = _partial_note(f)
    body = exports.render(t, fmt, preamble=[f"Filter: {describe(f)}", *([partial] if partial else [])])
    response = HttpResponse(body, content_type=exports.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{_filename(f, table, fmt, partial=bool(partial))}"'
    return response


def _partial_note(f: Filters) -> str:
    cov = coverage()
    return cov.note(f.start, f.end) if cov else ""


# -------------------------------------------------------------------------------------- declined report


def _default_week() -> str:
    return declined.week_label(now() - timedelta(days=7))


@require_safe
@report_role_required
def declined_report(request: HttpRequest) -> HttpResponse:
    week = request.GET.get("week", "") or _default_week()
    fmt = request.GET.get("format", "html")
    try:
        report = declined.build(week)
    except ValueError as exc:
        return render(
            request,
            "reports/declined.html",
            {"error": str(exc), "week": week, "weeks": declined.weeks_with_declines()},
            status=400,
        )
    if fmt == "csv":
        response = HttpResponse(declined.to_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{report.file_stem}.csv"'
        return response
    if fmt == "pdf":
        response = HttpResponse(declined.to_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{report.file_stem}.pdf"'
        return response
    context = declined.context(report)
    context["weeks"] = declined.weeks_with_declines()
    context["week"] = report.week
    return render(request, "reports/declined.html", context)


# -------------------------------------------------------------------------------------- public statistics


def _published(version: int) -> PublicSnapshot:
    return get_object_or_404(PublicSnapshot, version=version)


@require_safe
def public_index(request: HttpRequest) -> HttpResponse:
    snapshots = list(
        PublicSnapshot.objects.order_by("-version").only(
            "version", "created_at", "period_start", "period_end", "sha256"
        )
    )
    return render(
        request, "reports/public_index.html", {"snapshots": snapshots, "latest": snapshots[0] if snapshots else None}
    )


@require_safe
def public_snapshot(request: HttpRequest, version: int) -> HttpResponse:
    snap = _published(version)
    latest = PublicSnapshot.objects.order_by("-version").values_list("version", flat=True).first()
    return render(
        request,
        "reports/public_snapshot.html",
        {"snap": snap, "data": snap.data, "marker": public.SUPPRESSED, "latest": latest},
    )


@require_safe
def public_table_csv(request: HttpRequest, version: int, table: str) -> HttpResponse:
    snap = _published(version)
    t = public.find_table(snap, table)
    if t is None:
        raise Http404("No such table in this release.")
    response = HttpResponse(public.table_csv(t), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="holdtrack-public-v{snap.version}-{table}.csv"'
    return response


@require_safe
def public_snapshot_json(request: HttpRequest, version: int) -> HttpResponse:
    snap = _published(version)
    response = HttpResponse(public.canonical(snap.data), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="holdtrack-public-v{snap.version}.json"'
    return response


@require_safe
def public_codebook(request: HttpRequest, version: int) -> HttpResponse:
    snap = _published(version)
    return render(request, "reports/public_codebook.html", {"snap": snap})


@require_safe
def public_changelog(request: HttpRequest) -> HttpResponse:
    snapshots = PublicSnapshot.objects.order_by("-version").only("version", "created_at", "change_log", "sha256")
    return render(request, "reports/public_changelog.html", {"snapshots": snapshots})
