"""``/reports/hold-impact/``: time in custody with and without an immigration hold (booking feeds), the page
of ``holdtrack report hold-impact``. The same filters as the command: release period and charge types to
include or leave out. Aggregates only (counts, means, medians, shares, the regression): the breakdowns and the
distribution are published with the small-cell rules of the public releases, on the page and in the
downloads. Open to the report roles."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from holdtrack.custody.models import BookingImportRow, FeedEvent
from holdtrack.reports import exports
from holdtrack.reports.aggregates import Table
from holdtrack.reports.hold_impact import hold_impact
from holdtrack.reports.hold_impact.breakdowns import suppressed
from holdtrack.reports.hold_impact.chart import distribution_chart, median_chart
from holdtrack.reports.hold_impact.tables import breakdown_table, headline_table, regression_table
from holdtrack.reports.public import threshold
from holdtrack.reports.views import DOWNLOAD_FORMATS, report_role_required


def _date(request: HttpRequest, name: str, label: str, errors: list[str]) -> date | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label}: {raw!r} is not a date (YYYY-MM-DD); it was ignored.")
        return None


def charge_types() -> list[str]:
    """The charge types recorded with the feeds' booking rows."""
    return sorted(
        t
        for t in BookingImportRow.objects.filter(event=FeedEvent.BOOKING, immigration_hold__isnull=False)
        .values_list("charge_type", flat=True)
        .distinct()
        if t
    )


def _filters(request: HttpRequest) -> tuple[dict[str, Any], list[str], list[str]]:
    errors: list[str] = []
    known = charge_types()
    filters = {
        "date_from": _date(request, "from", "Released on or after", errors),
        "date_to": _date(request, "to", "Released on or before", errors),
        "charge_types": [t for t in request.GET.getlist("charge_type") if t in known],
        "exclude_charge_types": [t for t in request.GET.getlist("exclude_charge_type") if t in known],
    }
    return filters, errors, known


def _report(filters: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Table]]:
    """The full report with its breakdowns as published, and every downloadable table by key."""
    result = hold_impact(**filters, full=True)
    limit = threshold()
    result["breakdowns"] = [suppressed(t, limit) for t in result["breakdowns"]]
    tables = {"days": headline_table(result)}
    tables.update({t["key"]: breakdown_table(t, limit) for t in result["breakdowns"]})
    tables["regression"] = regression_table(result["regression"])
    return result, tables


def _downloads(request: HttpRequest, key: str) -> list[tuple[str, str]]:
    query = request.GET.urlencode()
    return [
        (label, reverse("reports:hold-impact-download", args=[key, fmt]) + (f"?{query}" if query else ""))
        for fmt, label in DOWNLOAD_FORMATS
    ]


@require_safe
@report_role_required
def hold_impact_report(request: HttpRequest) -> HttpResponse:
    filters, errors, known = _filters(request)
    result, tables = _report(filters)
    rows = [{"label": "All charge types", "hold": result["hold"], "no_hold": result["no_hold"], "total": True}] + [
        {"label": r["charge_type"], "hold": r["hold"], "no_hold": r["no_hold"], "total": False}
        for r in result["by_charge_type"]
    ]
    context = {
        "errors": errors,
        "date_from": filters["date_from"],
        "date_to": filters["date_to"],
        "known": known,
        "include": filters["charge_types"],
        "exclude": filters["exclude_charge_types"],
        "rows": rows,
        "result": result,
        "median_chart": median_chart(result),
        "chart": distribution_chart(result["breakdowns"][0]),
        "hold_time": result["hold_time"],
        "regression": result["regression"],
        "days_downloads": _downloads(request, "days"),
        "breakdowns": [
            {"table": tables[t["key"]], "downloads": _downloads(request, t["key"])} for t in result["breakdowns"]
        ],
        "regression_downloads": _downloads(request, "regression"),
        "threshold": threshold(),
    }
    return render(request, "reports/hold_impact.html", context)


@require_safe
@report_role_required
def download(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404("No such format.")
    filters, _, _ = _filters(request)
    _, tables = _report(filters)
    if table not in tables:
        raise Http404("No such table.")
    described = ", ".join(f"{k}={v}" for k, v in filters.items() if v) or "all released feed bookings"
    body = exports.render(tables[table], fmt, preamble=[f"Filter: {described}"])
    response = HttpResponse(body, content_type=exports.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="holdtrack-hold-impact-{table}.{fmt}"'
    return response
