"""``holdtrack import registry FILE [--format csv|ndjson|parquet] [--layout LAYOUT.toml] [--encoding NAME]
[--max-errors N] [--as USER] [--synthetic]``.

Progress and problems go to standard error, the summary table to standard output. Exit code 1 when the file
cannot be read, a row is bad or the actor may not import; nothing is saved then.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.table import Table

from holdtrack.console.terminal import actor_named, consoles, refuse_file, stage_progress
from holdtrack.core.errors import DomainError
from holdtrack.core.importfile import DEFAULT_MAX_ERRORS, ENCODING_CHOICES
from holdtrack.intake.registry import RegistryImportError, RegistryImportResult, registry_import
from holdtrack.intake.registry_read import COLUMNS, FORMATS


def add_parser(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "registry",
        help=f"An agency's subject registry (CSV or NDJSON, optionally .gz, or Parquet); columns {', '.join(COLUMNS)}.",
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--format", dest="registry_format", choices=FORMATS, help="Default: from the file name.")
    parser.add_argument(
        "--layout",
        dest="registry_layout",
        metavar="FILE",
        help="The agency's column names, dob format, sex/country codes, name column (TOML; docs/onboarding.md).",
    )
    parser.add_argument(
        "--encoding",
        dest="registry_encoding",
        choices=ENCODING_CHOICES,
        help="The text file's encoding (default: detected from its bytes).",
    )
    parser.add_argument(
        "--max-errors",
        dest="registry_max_errors",
        type=int,
        default=DEFAULT_MAX_ERRORS,
        metavar="N",
        help=f"Stop validating after N problems (default {DEFAULT_MAX_ERRORS}; 0: check the whole file).",
    )
    parser.add_argument(
        "--as", dest="registry_user", default="", metavar="USER", help="Import as this user (default: the system)."
    )
    parser.add_argument(
        "--synthetic", action="store_true", help="The file holds synthetic people (test and demo registries)."
    )
    return parser


def summary(result: RegistryImportResult) -> Table:
    table = Table(title=f"Registry import: {result.file_name}", show_header=False, title_justify="left")
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("", overflow="fold")
    table.add_row("SHA-256", result.sha256)
    table.add_row("format", result.format)
    table.add_row("encoding", result.encoding)
    table.add_row("rows read", f"{result.rows_read:,}")
    table.add_row("subjects created", f"{result.created:,}")
    table.add_row("skipped (key already stored)", f"{result.skipped_existing:,}")
    table.add_row("identifiers created", f"{result.identifiers:,}")
    table.add_row("screening keys created", f"{result.keys:,}")
    table.add_row("seconds", f"{result.seconds:.1f}")
    if result.seconds > 0:
        table.add_row("rows per second", f"{result.rows_read / result.seconds:,.0f}")
    return table


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    err, out = consoles(command)
    actor = actor_named(options["registry_user"])
    with stage_progress(err) as progress:
        try:
            result = registry_import(
                actor=actor,
                path=options["file"],
                fmt=options["registry_format"],
                synthetic=options["synthetic"],
                progress=progress,
                layout=options.get("registry_layout"),
                encoding=options.get("registry_encoding"),
                max_errors=options.get("registry_max_errors", DEFAULT_MAX_ERRORS),
            )
        except (RegistryImportError, DomainError) as exc:
            raise CommandError(str(exc), returncode=1) from exc
    if result.problems:
        refuse_file(err, result.file_name, result.problems, result.rows_read)
    out.print(summary(result))
