"""``holdtrack import agencies FILE [--encoding NAME] [--max-errors N] [--as USER]``: LEAs and their facilities from a CSV.

Problems go to standard error, the summary table to standard output. Exit code 1 when the file cannot be
read, a row is bad or the actor may not import; nothing is saved then.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.table import Table

from holdtrack.console.terminal import actor_named, consoles, refuse_file
from holdtrack.core.errors import DomainError
from holdtrack.core.importfile import DEFAULT_MAX_ERRORS, ENCODING_CHOICES
from holdtrack.jurisdictions.agencies_import import COLUMNS, AgenciesImportError, AgenciesImportResult, agencies_import


def add_parser(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "agencies",
        help=f"Law enforcement agencies and their facilities (CSV, one row per facility): {', '.join(COLUMNS)}.",
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument(
        "--encoding",
        dest="agencies_encoding",
        choices=ENCODING_CHOICES,
        help="The file's encoding (default: detected from its bytes).",
    )
    parser.add_argument(
        "--max-errors",
        dest="agencies_max_errors",
        type=int,
        default=DEFAULT_MAX_ERRORS,
        metavar="N",
        help=f"Stop validating after N problems (default {DEFAULT_MAX_ERRORS}; 0: check the whole file).",
    )
    parser.add_argument(
        "--as", dest="agencies_user", default="", metavar="USER", help="Import as this user (default: the system)."
    )
    return parser


def summary(result: AgenciesImportResult) -> Table:
    table = Table(title=f"Agency import: {result.file_name}", title_justify="left")
    table.add_column("")
    for col in ("created", "updated", "unchanged"):
        table.add_column(col, justify="right")
    table.add_row("agencies", *(f"{result.agencies[c]:,}" for c in ("created", "updated", "unchanged")))
    table.add_row("facilities", *(f"{result.facilities[c]:,}" for c in ("created", "updated", "unchanged")))
    table.caption = f"{result.rows_read:,} rows read ({result.encoding}) in {result.seconds:.1f} s"
    return table


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    err, out = consoles(command)
    actor = actor_named(options["agencies_user"])
    try:
        result = agencies_import(
            actor=actor,
            path=options["file"],
            encoding=options.get("agencies_encoding"),
            max_errors=options.get("agencies_max_errors", DEFAULT_MAX_ERRORS),
        )
    except (AgenciesImportError, DomainError) as exc:
        raise CommandError(str(exc), returncode=1) from exc
    if result.problems:
        refuse_file(err, result.file_name, result.problems, result.rows_read)
    out.print(summary(result))
