"""``holdtrack import bookings FILE [--format csv|ndjson] [--mapping NAME | --layout FILE] [--max-bad-rows N]
[--max-errors N] [--encoding NAME]`` and ``holdtrack import bookings FILE --inspect [--out LAYOUT.toml]``.

Progress and problems go to standard error (grouped: one line per cause seen on many rows), the summary to
standard output; both name the file's encoding. Exit code 1 when the file or the layout cannot be read, has
more bad rows than allowed or more problems than ``--max-errors``; nothing is saved then. Ctrl-C or SIGTERM
while saving marks the run FAILED with the reason; running the command again resumes it. ``--inspect`` reads the head of the file, writes nothing to the database, and prints
the columns' kinds and a proposed layout (or writes it to ``--out``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from rich.table import Table

from holdtrack.console.terminal import Terminated, consoles, login_name, sigterm_raises, stage_progress
from holdtrack.core.importfile import DEFAULT_MAX_ERRORS, ENCODING_CHOICES, ImportFileError
from holdtrack.custody.ingest.inspect import inspect_feed, report_lines
from holdtrack.custody.ingest.layout import shipped_names
from holdtrack.custody.ingest.lifecycle import failure_reason, stop_in
from holdtrack.custody.ingest.run import FORMATS, BookingImportError, BookingImportResult
from holdtrack.intake.bookings import bookings_import

SHOWN_ERRORS = 100


def add_parser(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "bookings", help="A booking feed (CSV, NDJSON, optionally .gz) in the canonical layout or a named mapping."
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--format", dest="feed_format", choices=FORMATS, help="Default: from the file name.")
    layouts = parser.add_mutually_exclusive_group()
    layouts.add_argument(
        "--mapping", default="canonical", choices=shipped_names(), help="A shipped layout (default canonical)."
    )
    layouts.add_argument(
        "--layout", dest="feed_layout", metavar="FILE", help="A layout file (TOML, docs/onboarding.md)."
    )
    parser.add_argument(
        "--inspect",
        action="store_true",
        help="Show the header, a sample, column kinds and a proposed layout; no import.",
    )
    parser.add_argument(
        "--out", dest="feed_out", metavar="FILE", help="With --inspect: write the proposed layout here."
    )
    parser.add_argument(
        "--max-bad-rows",
        dest="feed_max_bad_rows",
        type=int,
        default=0,
        metavar="N",
        help="Bad rows skipped while the good ones are imported (default 0).",
    )
    parser.add_argument(
        "--max-errors",
        dest="feed_max_errors",
        type=int,
        default=None,
        metavar="N",
        help=f"Stop validating after N problems (default {DEFAULT_MAX_ERRORS}, or one more than --max-bad-rows; "
        "0: check the whole file).",
    )
    parser.add_argument(
        "--take-over",
        dest="feed_take_over",
        action="store_true",
        help="Resume a run another host left RUNNING (its import is gone); a live one on this host is never taken.",
    )
    parser.add_argument(
        "--encoding",
        dest="feed_encoding",
        choices=ENCODING_CHOICES,
        help="The file's text encoding (default: detected from its bytes).",
    )
    parser.add_argument(
        "--chunk-size",
        dest="feed_chunk_size",
        type=int,
        default=None,
        metavar="N",
        help="Bookings per transaction (default 2000); a killed import keeps its whole chunks.",
    )
    return parser


def _names(names: list[str] | dict[str, Any]) -> str:
    return ", ".join(names) if names else "none"


def summary(result: BookingImportResult) -> Table:
    drift = result.drift
    table = Table(title=f"Booking import: {result.file_name}", show_header=False, title_justify="left")
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("", overflow="fold")
    table.add_row("run", str(result.run.pk) if result.run else "none (nothing saved)")
    table.add_row("SHA-256", result.sha256)
    table.add_row("format / mapping", f"{result.format} / {result.mapping}")
    table.add_row("encoding", result.encoding or "not read")
    table.add_row("rows read", f"{result.rows_read:,}")
    table.add_row("rows imported", f"{result.rows_imported:,}")
    table.add_row("rows rejected", f"{result.rows_rejected:,}")
    if result.stopped:
        table.add_row("validation", result.stopped)
    if result.resumed and result.run is not None:
        table.add_row("resumed", f"run {result.run.pk} (resumed {result.run.options.get('resumed', 1)} times)")
    events = ", ".join(f"{k.lower()} {v:,}" for k, v in sorted(result.events_created.items())) or "none"
    table.add_row("events created", events)
    table.add_row("events already present", f"{result.events_skipped:,}")
    table.add_row("chunks committed", f"{result.chunks:,}")
    table.add_row("citizenship claims opened", f"{result.claims_opened:,}")
    screening = result.screening
    table.add_row(
        "screened / proposed matches",
        f"{screening.get('screened', 0):,} / {screening.get('proposed', 0):,}",
    )
    table.add_row("new columns", _names(drift.get("new_columns", [])))
    table.add_row("missing columns", _names(drift.get("missing_columns", [])))
    retyped = drift.get("retyped_columns", {})
    table.add_row("retyped columns", ", ".join(f"{c} ({v})" for c, v in retyped.items()) or "none")
    table.add_row("seconds", f"{result.seconds:.1f}")
    if result.seconds > 0 and result.rows_imported:
        table.add_row("bookings per second", f"{result.rows_imported / result.seconds:,.0f}")
    return table


def _inspect(command: BaseCommand, options: dict[str, Any]) -> None:
    err, out = consoles(command)
    path = Path(options["file"])
    if not path.is_file():
        raise CommandError(f"{path}: no such file", returncode=1)
    try:
        found = inspect_feed(path, options["feed_format"], options.get("feed_encoding"))
    except ImportFileError as exc:
        raise CommandError(str(exc), returncode=1) from exc
    for line in report_lines(found):
        out.print(line, markup=False, highlight=False)
    if options.get("feed_out"):
        Path(options["feed_out"]).write_text(found.layout_toml, encoding="utf-8")
        err.print(f"proposed layout written to {options['feed_out']}; check it, then --layout {options['feed_out']}")
    else:
        out.print("proposed layout:", markup=False)
        out.print(found.layout_toml, markup=False, highlight=False, end="")


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    if options.get("inspect"):
        _inspect(command, options)
        return
    if options.get("feed_out"):
        raise CommandError("--out goes with --inspect", returncode=1)
    err, out = consoles(command)
    user = login_name()
    with sigterm_raises(), stage_progress(err) as progress:
        try:
            result = bookings_import(
                path=options["file"],
                fmt=options["feed_format"],
                mapping=options["mapping"],
                layout=options.get("feed_layout"),
                max_bad_rows=options["feed_max_bad_rows"],
                max_errors=options.get("feed_max_errors"),
                encoding=options.get("feed_encoding"),
                take_over=options.get("feed_take_over", False),
                chunk_size=options.get("feed_chunk_size"),
                actor_label=f"command line ({user})",
                progress=progress,
            )
        except BookingImportError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        except (Terminated, KeyboardInterrupt, DatabaseError) as exc:
            # A stop mid-query can surface as the database error of the rollback after it (lifecycle.stop_in).
            stop = stop_in(exc)
            if stop is None:
                raise
            # The service has marked its run FAILED with this reason; the chunks committed stay.
            name = Path(options["file"]).name
            raise CommandError(
                f"{name}: {failure_reason(stop)}; the chunks committed are kept, run the command again to resume",
                returncode=143 if isinstance(stop, Terminated) else 130,
            ) from exc
    if result.already_imported is not None:
        run = result.already_imported
        out.print(
            f"{result.file_name}: already imported (run {run.pk}, {run.rows_imported:,} rows, "
            f"{run.finished_at:%Y-%m-%d %H:%M} UTC); nothing was imported."
        )
        return
    for line in result.problems[:SHOWN_ERRORS]:
        err.print(line, markup=False)
    if len(result.problems) > SHOWN_ERRORS:
        err.print(f"… and {len(result.problems) - SHOWN_ERRORS:,} more problems")
    out.print(summary(result))
    if result.refused:
        raise CommandError(f"{result.file_name}: {result.refused}; nothing was imported.", returncode=1)
