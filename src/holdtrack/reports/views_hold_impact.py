"""``/reports/hold-impact/``: time in custody with and without an immigration hold (booking feeds), the page
of ``holdtrack report hold-impact``. The same filters as the command: release period and charge types to
include or leave out. Aggregates only (counts, means, medians); open to the report roles."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from holdtrack.custody.models import BookingImportRow, FeedEvent
from holdtrack.reports.hold_impact import hold_impact
from holdtrack.reports.views import report_role_required

GROUP_LABELS = {"hold": "With an immigration hold", "no_hold": "Without a hold"}


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


def chart_spec(result: dict[str, Any]) -> dict[str, Any]:
    values = [
        {"charge_type": "all charges", "group": GROUP_LABELS[g], "median_days": result[g]["median_days"]}
        for g in GROUP_LABELS
        if result[g]["count"]
    ] + [
        {"charge_type": row["charge_type"], "group": GROUP_LABELS[g], "median_days": row[g]["median_days"]}
        for row in result["by_charge_type"]
        for g in GROUP_LABELS
        if row[g]["count"]
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Bar chart of the median days in custody with and without an immigration hold, overall and "
        "by charge type. The table above has the same numbers.",
        "width": "container",
        "height": 260,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "charge_type", "type": "nominal", "title": "Charge type", "axis": {"labelAngle": 0}},
            "xOffset": {"field": "group", "type": "nominal"},
            "y": {"field": "median_days", "type": "quantitative", "title": "Median days in custody"},
            "color": {
                "field": "group",
                "type": "nominal",
                "title": "",
                "scale": {"range": ["#b50909", "#005ea2"]},
            },
            "tooltip": [
                {"field": "charge_type", "title": "Charge type"},
                {"field": "group", "title": "Group"},
                {"field": "median_days", "title": "Median days", "format": ",.1f"},
            ],
        },
        "config": {"font": "system-ui, sans-serif", "legend": {"orient": "bottom"}},
    }


@require_safe
@report_role_required
def hold_impact_report(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    date_from = _date(request, "from", "Released on or after", errors)
    date_to = _date(request, "to", "Released on or before", errors)
    known = charge_types()
    include = [t for t in request.GET.getlist("charge_type") if t in known]
    exclude = [t for t in request.GET.getlist("exclude_charge_type") if t in known]
    result = hold_impact(date_from=date_from, date_to=date_to, charge_types=include, exclude_charge_types=exclude)
    rows = [{"label": "All charge types", "hold": result["hold"], "no_hold": result["no_hold"], "total": True}] + [
        {"label": r["charge_type"], "hold": r["hold"], "no_hold": r["no_hold"], "total": False}
        for r in result["by_charge_type"]
    ]
    context = {
        "errors": errors,
        "date_from": date_from,
        "date_to": date_to,
        "known": known,
        "include": include,
        "exclude": exclude,
        "rows": rows,
        "result": result,
        "spec": chart_spec(result),
    }
    return render(request, "reports/hold_impact.html", context)
