"""``holdtrack import foia-detainers FILE``: load one ICE FOIA detainer release (CSV, .csv.gz or .xlsx).

Subcommands keep room for further sources. Progress and row errors go to standard error, the summary table
to standard output. Exit code 1 when the file cannot be read or has more bad rows than allowed; nothing is
saved then.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.table import Table

from holdtrack.console.import_agencies import add_parser as add_agencies_parser
from holdtrack.console.import_agencies import handle as handle_agencies
from holdtrack.console.import_bookings import add_parser as add_bookings_parser
from holdtrack.console.import_bookings import handle as handle_bookings
from holdtrack.console.import_registry import add_parser as add_registry_parser
from holdtrack.console.import_registry import handle as handle_registry
from holdtrack.console.terminal import consoles, login_name, stage_progress
from holdtrack.reports.foia import LAYOUTS, FoiaImportError, FoiaImportResult, foia_detainers_import

SHOWN_ERRORS = 100


def _share(value: str) -> float:
    share = float(value)
    if not 0 <= share <= 1:
        raise ValueError(value)
    return share


def _months(months: list[str]) -> str:
    if not months:
        return "none"
    return f"{months[0]} … {months[-1]} ({len(months)} months)"


def _names(names: list[str] | dict[str, Any]) -> str:
    return ", ".join(names) if names else "none"


def _dropped(drift: dict[str, Any]) -> str:
    withheld = set(drift.get("withheld_columns", []))
    return _names(
        [f"{c} (personal data or identifier)" if c in withheld else c for c in drift.get("dropped_columns", [])]
    )


def _overlap(overlap: dict[str, Any]) -> str:
    """ "1,799 rows already imported from run 3 (detainers_fy2015ytd.csv.gz)", one clause per earlier run."""
    files = overlap.get("files", {})
    return "; ".join(
        f"{n:,} rows already imported from run {run} ({files.get(run, '')})"
        for run, n in overlap.get("runs", {}).items()
    )


class Command(BaseCommand):
    help = (
        "Import records: 'foia-detainers' (an ICE FOIA detainer release), 'bookings' (a jail booking feed), "
        "'registry' (an agency's subject registry), 'agencies' (LEAs and their facilities)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{foia-detainers,bookings,registry,agencies}")
        foia = sub.add_parser(
            "foia-detainers",
            help="An ICE detainer release (CSV, .csv.gz or .xlsx); the column layout is detected from the header.",
        )
        foia.add_argument("file", metavar="FILE")
        foia.add_argument("--layout", choices=sorted(LAYOUTS), help="Use this layout instead of detecting it.")
        foia.add_argument(
            "--max-bad-rows",
            type=int,
            default=None,
            metavar="N",
            help="Save the good rows if at most N rows are bad (default 0, or unlimited with --max-bad-share).",
        )
        foia.add_argument(
            "--max-bad-share",
            type=_share,
            default=None,
            metavar="FRACTION",
            help="Save the good rows if at most this fraction of the rows read is bad (e.g. 0.001).",
        )
        foia.add_argument(
            "--max-errors",
            type=int,
            default=None,
            metavar="N",
            help="Stop reading at the Nth bad row, nothing saved (default 100, or one more than --max-bad-rows; "
            "0 reads everything; never with --max-bad-share).",
        )
        foia.add_argument(
            "--allow-unknown-lift-reasons",
            action="store_true",
            help="Import rows with a lift reason outside the known list as 'open or unknown' (listed in the drift).",
        )
        add_bookings_parser(sub)
        add_registry_parser(sub)
        add_agencies_parser(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "foia-detainers":
            self._foia(options)
        elif options["what"] == "bookings":
            handle_bookings(self, options)
        elif options["what"] == "registry":
            handle_registry(self, options)
        elif options["what"] == "agencies":
            handle_agencies(self, options)

    def _foia(self, options: dict[str, Any]) -> None:
        max_bad_rows = options["max_bad_rows"]
        if max_bad_rows is None and options["max_bad_share"] is None:
            max_bad_rows = 0
        # rich redraws in place; Django's automatic newline would break that.
        err, out = consoles(self)
        user = login_name()
        with stage_progress(err) as progress:
            try:
                result = foia_detainers_import(
                    actor=None,
                    actor_label=f"command line ({user})",
                    path=options["file"],
                    layout=options["layout"],
                    max_bad_rows=max_bad_rows,
                    max_bad_share=options["max_bad_share"],
                    max_errors=options["max_errors"],
                    allow_unknown_lift_reasons=options["allow_unknown_lift_reasons"],
                    progress=progress,
                )
            except FoiaImportError as exc:
                raise CommandError(str(exc), returncode=1) from exc

        if result.already_imported is not None:
            run = result.already_imported
            how = {
                "bytes": "already imported",
                "content": f"same content as {run.file_name} (a repeat under another name or format); already imported",
                "rows": f"all {result.rows_already_imported:,} rows already imported",
            }[result.repeat]
            out.print(
                f"{result.file_name}: {how} (run {run.pk}, {run.rows_imported:,} rows, "
                f"{run.finished_at:%Y-%m-%d %H:%M} UTC); nothing was imported.",
                markup=False,
            )
            if result.repeat == "rows":
                out.print(_overlap(result.overlap), markup=False)
            if result.drift.get("dropped_columns"):
                out.print(f"dropped (not stored): {_dropped(result.drift)}", markup=False)
            return
        for error in result.errors[:SHOWN_ERRORS]:
            err.print(str(error), markup=False)
        if len(result.errors) > SHOWN_ERRORS:
            err.print(f"… and {len(result.errors) - SHOWN_ERRORS:,} more bad rows")
        out.print(self._summary(result))
        if result.overlap.get("rows"):
            out.print(_overlap(result.overlap) + "; not stored again.", markup=False)
        if result.refused:
            raise CommandError(f"{result.file_name}: {result.refused}; nothing was imported.", returncode=1)

    def _summary(self, result: FoiaImportResult) -> Table:
        drift = result.drift
        table = Table(title=f"FOIA detainer import: {result.file_name}", show_header=False, title_justify="left")
        table.add_column("", style="bold", no_wrap=True)
        table.add_column("", overflow="fold")  # wrap long values (the SHA-256) instead of cutting them
        table.add_row("run", str(result.run.pk) if result.run else "none (nothing saved)")
        table.add_row("SHA-256", result.sha256)
        table.add_row("layout", result.layout)
        table.add_row("rows read", f"{result.rows_read:,}")
        table.add_row("rows imported", f"{result.rows_imported:,}")
        table.add_row("rows rejected", f"{result.rows_rejected:,}")
        table.add_row("rows already imported", f"{result.rows_already_imported:,}")
        table.add_row("months covered", _months(result.months))
        table.add_row("new columns", _names(drift.get("new_columns", [])))
        table.add_row("missing columns", _names(drift.get("missing_columns", [])))
        retyped = drift.get("retyped_columns", {})
        table.add_row(
            "retyped columns",
            ", ".join(f"{c} ({v['bad_values']:,} not {v['expected']})" for c, v in retyped.items()) or "none",
        )
        table.add_row("dropped (not stored)", _dropped(drift))
        if "unknown_lift_reasons" in drift:
            table.add_row("unknown lift reasons", _names(drift["unknown_lift_reasons"]))
        if "unknown_detainer_types" in drift:
            table.add_row("unrecognized detainer types", _names(drift["unknown_detainer_types"]))
        table.add_row("seconds", f"{result.seconds:.1f}")
        return table
