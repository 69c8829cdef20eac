"""``holdtrack report detainers --by month|type|state|facility|lift-reason`` and ``report declined-share``.

Counts over imported FOIA detainer releases (``holdtrack import foia-detainers``). ``--format json`` prints
only the JSON document, e.g. ``[{"month": "2014-10", "count": 8123}, …]``, so it can be piped.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.table import Table

from holdtrack.console.report_hold_impact import add_subcommand as add_hold_impact_subcommand
from holdtrack.console.report_hold_impact import handle as handle_hold_impact
from holdtrack.console.report_stats import STATS_COMMANDS
from holdtrack.console.report_stats import add_subcommands as add_stats_subcommands
from holdtrack.console.report_stats import handle as handle_stats
from holdtrack.reports.foia_reports import BY_FIELDS, declined_share_by_state, detainer_counts

FORMATS = ("table", "csv", "json")


def _date_arg(value: str, *, end: bool) -> date:
    """YYYY-MM-DD, or YYYY-MM meaning the month's first (--from) or last (--to) day."""
    try:
        if len(value) == 7:
            year, month = int(value[:4]), int(value[5:])
            day = calendar.monthrange(year, month)[1] if end else 1
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM)") from exc


def _from_arg(value: str) -> date:
    return _date_arg(value, end=False)


def _to_arg(value: str) -> date:
    return _date_arg(value, end=True)


class Command(BaseCommand):
    help = (
        "Reports. Over imported FOIA detainer releases: 'detainers' (counts by one key), 'declined-share' (by "
        "state). Over holdtrack's own records: 'declined' (weekly declined-detainer report), 'publish' (a frozen "
        "public release), 'refresh' (the report aggregates), 'hold-impact' (time in custody with and without a "
        "hold). Each has its own --help."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="what", required=True, metavar="{detainers,declined-share,declined,publish,refresh,hold-impact}"
        )
        detainers = sub.add_parser(
            "detainers", help="Detainers in the imported FOIA releases, counted by one key (date: prepared)."
        )
        detainers.add_argument("--by", required=True, choices=list(BY_FIELDS))
        share = sub.add_parser("declined-share", help="Detainers, declined by the LEA, and the share, by state.")
        for command in (detainers, share):
            command.add_argument(
                "--from", dest="date_from", type=_from_arg, metavar="DATE", help="Prepared on or after."
            )
            command.add_argument("--to", dest="date_to", type=_to_arg, metavar="DATE", help="Prepared on or before.")
            command.add_argument("--format", choices=FORMATS, default="table")
            command.add_argument(
                "--run",
                dest="run_ids",
                type=int,
                action="append",
                metavar="RUN",
                help="Only rows of this import run (repeatable); releases can overlap.",
            )
        # Over holdtrack's own records: declined, publish, refresh (holdtrack.console.report_stats).
        add_stats_subcommands(sub)
        add_hold_impact_subcommand(sub, _from_arg, _to_arg)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._report(options)
        except BrokenPipeError:
            # The reader (e.g. `| head`) stopped early: not an error. Point stdout at /dev/null so that the
            # interpreter's final flush does not raise again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    def _report(self, options: dict[str, Any]) -> None:
        if options["what"] in STATS_COMMANDS:
            handle_stats(self, options)
            return
        if options["what"] == "hold-impact":
            handle_hold_impact(self, options)
            return
        window = {"date_from": options["date_from"], "date_to": options["date_to"], "run_ids": options["run_ids"]}
        if options["what"] == "detainers":
            by = options["by"]
            rows = detainer_counts(by, **window)
            self._emit(rows, [by, "count"], options["format"], title=f"Detainers prepared, by {by}")
        elif options["what"] == "declined-share":
            rows = declined_share_by_state(**window)
            self._emit(
                rows,
                ["state", "detainers", "declined", "share"],
                options["format"],
                title="Detainers declined by the LEA, by state (lower bound: declines are under-recorded)",
            )

    def _emit(self, rows: list[dict[str, Any]], columns: Sequence[str], fmt: str, *, title: str) -> None:
        if fmt != "table" and "share" in columns:
            rows = [{**row, "share": round(row["share"], 4)} for row in rows]
        if fmt == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
        elif fmt == "csv":
            writer = csv.writer(cast(IO[str], self.stdout), lineterminator="\n")
            writer.writerow(columns)
            writer.writerows([row[c] for c in columns] for row in rows)
        else:
            table = Table(title=title, title_justify="left")
            for column in columns:
                table.add_column(column, justify="left" if column in BY_FIELDS or column == "state" else "right")
            for row in rows:
                table.add_row(*(_cell(column, row[column]) for column in columns))
            total = sum(row.get("count", row.get("detainers", 0)) for row in rows)
            Console(file=cast(IO[str], self.stdout), highlight=False, soft_wrap=True).print(table)
            self.stdout.write(f"{len(rows):,} rows; {total:,} detainers.")


def _cell(column: str, value: Any) -> str:
    if column == "share":
        return f"{value:.1%}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
