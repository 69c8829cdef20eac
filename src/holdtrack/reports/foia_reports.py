"""Counts over imported FOIA detainer rows (``FoiaDetainer``).

Every function reads all imported runs unless ``run_ids`` narrows them. A detainer is stored once however many
releases carry it (natural key, ``foia_dedup``): a run holds the rows it added, so counting all runs counts every
detainer once, and ``run_ids`` counts what those runs added.
Dates filter on the prepare date, inclusive at both ends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from holdtrack.cases.models import OutcomeGroup
from holdtrack.reports.models import FoiaDetainer

NONE_RECORDED = "(none recorded)"
# --by value -> model field grouped on ("facility" groups on two fields, see detainer_counts)
BY_FIELDS: dict[str, str] = {
    "month": "prepare_month",
    "type": "detainer_type",
    "state": "state",
    "facility": "facility_code",
    "lift-reason": "lift_reason",
}


def _rows(
    date_from: date | None = None, date_to: date | None = None, run_ids: Iterable[int] | None = None
) -> QuerySet[FoiaDetainer]:
    rows = FoiaDetainer.objects.order_by()
    if date_from is not None:
        rows = rows.filter(prepare_date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(prepare_date__lte=date_to)
    if run_ids is not None:
        rows = rows.filter(run_id__in=list(run_ids))
    return rows


def _label(value: Any) -> str:
    if isinstance(value, date):
        return value.strftime("%Y-%m")
    return value if value else NONE_RECORDED


def detainer_counts(
    by: str,
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    run_ids: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    """``[{by: key, "count": n}, …]`` ordered by key.

    month: "YYYY-MM" of the prepare date; type, state, lift-reason: the stored value (type and lift reason
    verbatim, state as USPS code); facility: the facility code where the release has one, else the facility
    name as ICE wrote it. Blank keys read "(none recorded)".
    """
    if by not in BY_FIELDS:
        raise ValueError(f"unknown grouping {by!r}; expected one of {', '.join(BY_FIELDS)}")
    rows = _rows(date_from, date_to, run_ids)
    counts: Counter[str] = Counter()
    if by == "facility":
        # Codes are stable across releases; names are not (domain.md A4.1), so a code wins where present.
        for item in rows.values("facility_code", "facility_name").annotate(n=Count("id")):
            counts[_label(item["facility_code"] or item["facility_name"])] += item["n"]
    else:
        column = BY_FIELDS[by]
        for item in rows.values(column).annotate(n=Count("id")):
            counts[_label(item[column])] += item["n"]
    return [{by: key, "count": counts[key]} for key in sorted(counts)]


def declined_share_by_state(
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    run_ids: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    """``[{"state", "detainers", "declined", "share"}, …]`` by state, ordered by state.

    "declined" counts rows whose lift reason maps to DECLINED_BY_LEA; the share is over all detainers
    prepared, including those with no recorded outcome. Agencies seldom report declines to ICE, so these
    are lower bounds (domain.md A4.1, A4.4).
    """
    totals = (
        _rows(date_from, date_to, run_ids)
        .values("state")
        .annotate(
            detainers=Count("id"),
            declined=Count("id", filter=Q(outcome_group=OutcomeGroup.DECLINED_BY_LEA)),
        )
    )
    merged: dict[str, list[int]] = {}
    for item in totals:
        entry = merged.setdefault(_label(item["state"]), [0, 0])
        entry[0] += item["detainers"]
        entry[1] += item["declined"]
    return [
        {"state": state, "detainers": n, "declined": declined, "share": declined / n if n else 0.0}
        for state, (n, declined) in sorted(merged.items())
    ]
