"""Time in custody with and without an immigration hold (issue 3, the Pierce County feed).

Computed from the stored bookings: ``Booking.booked_at`` / ``released_at`` of bookings whose feed
provenance row (``BookingImportRow``, event BOOKING) carries the LEA-side hold flag; the charge type is the
one recorded with the booking's feed row. Bookings still in custody or without a hold flag are left out.
The period filter applies to the release date (in UTC).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from holdtrack.custody.models import BookingImportRow, FeedEvent


def _stats(days: Sequence[float]) -> dict[str, Any]:
    if not days:
        return {"count": 0, "mean_days": None, "median_days": None}
    return {
        "count": len(days),
        "mean_days": round(statistics.fmean(days), 4),
        "median_days": round(statistics.median(days), 4),
    }


def hold_impact(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    charge_types: Iterable[str] = (),
    exclude_charge_types: Iterable[str] = (),
) -> dict[str, Any]:
    rows = BookingImportRow.objects.filter(
        event=FeedEvent.BOOKING, immigration_hold__isnull=False, booking__released_at__isnull=False
    )
    if date_from is not None:
        rows = rows.filter(booking__released_at__date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(booking__released_at__date__lt=date_to + timedelta(days=1))
    include = {t.strip().lower() for t in charge_types if t.strip()}
    exclude = {t.strip().lower() for t in exclude_charge_types if t.strip()}
    if include:
        rows = rows.filter(charge_type__in=include)
    if exclude:
        rows = rows.exclude(charge_type__in=exclude)
    groups: dict[tuple[str, bool], list[float]] = {}
    for charge_type, hold, booked_at, released_at in rows.values_list(
        "charge_type", "immigration_hold", "booking__booked_at", "booking__released_at"
    ):
        if released_at is None:  # filtered out above; for the type checker
            continue
        days = (released_at - booked_at).total_seconds() / 86400
        groups.setdefault((charge_type or "unknown", bool(hold)), []).append(days)

    def pooled(hold: bool, charge_type: str | None = None) -> list[float]:
        return [
            d
            for (t, h), values in groups.items()
            if h is hold and (charge_type is None or t == charge_type)
            for d in values
        ]

    types = sorted({t for t, _ in groups})
    return {
        "hold": _stats(pooled(True)),
        "no_hold": _stats(pooled(False)),
        "by_charge_type": [
            {"charge_type": t, "hold": _stats(pooled(True, t)), "no_hold": _stats(pooled(False, t))} for t in types
        ],
    }


# --- ``holdtrack report hold-impact`` -------------------------------------------------------------


def add_subcommand(sub: Any, date_from: Any, date_to: Any) -> None:
    command = sub.add_parser(
        "hold-impact", help="Time in custody with and without an immigration hold (booking feeds), by charge type."
    )
    command.add_argument("--from", dest="date_from", type=date_from, metavar="DATE", help="Released on or after.")
    command.add_argument("--to", dest="date_to", type=date_to, metavar="DATE", help="Released on or before.")
    command.add_argument(
        "--charge-type", dest="charge_types", action="append", default=[], metavar="T", help="Only this (repeatable)."
    )
    command.add_argument(
        "--exclude-charge-type",
        dest="exclude_charge_types",
        action="append",
        default=[],
        metavar="T",
        help="Leave this out (repeatable).",
    )
    command.add_argument("--format", choices=("table", "json"), default="table")


def _cells(stats: dict[str, Any]) -> list[str]:
    if not stats["count"]:
        return ["0", "–", "–"]
    return [f"{stats['count']:,}", f"{stats['mean_days']:.2f}", f"{stats['median_days']:.2f}"]


def handle(command: Any, options: dict[str, Any]) -> None:
    import json
    from typing import IO, cast

    from rich.console import Console
    from rich.table import Table

    result = hold_impact(
        date_from=options["date_from"],
        date_to=options["date_to"],
        charge_types=options["charge_types"],
        exclude_charge_types=options["exclude_charge_types"],
    )
    if options["format"] == "json":
        command.stdout.write(json.dumps(result))
        return
    table = Table(title="Days in custody with and without an immigration hold", title_justify="left")
    table.add_column("charge type")
    for column in ("hold n", "hold mean", "hold median", "no hold n", "no hold mean", "no hold median"):
        table.add_column(column, justify="right")
    table.add_row("all", *_cells(result["hold"]), *_cells(result["no_hold"]), style="bold")
    for row in result["by_charge_type"]:
        table.add_row(row["charge_type"], *_cells(row["hold"]), *_cells(row["no_hold"]))
    Console(file=cast(IO[str], command.stdout), highlight=False, soft_wrap=True).print(table)
