"""``holdtrack export events --out FILE [--case detainer ...]``: the transition log as JSON lines.

Subcommands keep room for further exports (``export packet …``). With ``--out -`` the events go to
standard output, so the progress bar and the summary go to standard error.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from holdtrack.audit.export import count_events, export_events
from holdtrack.audit.models import CaseType


class Command(BaseCommand):
    help = "Export records: 'events' writes every transition of the case log as one JSON object per line."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{events}")
        events = sub.add_parser("events", help="The transition log, ordered by case type, case id and seq.")
        events.add_argument("--out", required=True, help="File to write, or '-' for standard output.")
        events.add_argument(
            "--case",
            dest="case_types",
            action="extend",
            nargs="+",
            choices=CaseType.values,
            metavar="CASE_TYPE",
            help=f"Only these case types ({', '.join(CaseType.values)}); repeatable.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "events":
            self._events(options["out"], options.get("case_types"))

    def _events(self, out: str, case_types: list[str] | None) -> None:
        to_stdout = out == "-"
        # rich redraws in place; Django's automatic newline would break that.
        self.stderr.ending = ""
        self.stdout.ending = ""
        console = Console(file=cast(IO[str], self.stderr), highlight=False)
        total = count_events(case_types=case_types)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=not console.is_terminal,
        ) as bar:
            task = bar.add_task("exporting events", total=total)

            def progress(done: int) -> None:
                bar.update(task, completed=done)

            if to_stdout:
                written = export_events(self.stdout, case_types=case_types, progress=progress)
            else:
                path = Path(out)
                if not path.parent.exists():
                    raise CommandError(f"Folder {path.parent} does not exist.")
                with path.open("w", encoding="utf-8") as fh:
                    written = export_events(fh, case_types=case_types, progress=progress)
        where = "standard output" if to_stdout else out
        summary = Console(file=cast(IO[str], self.stderr if to_stdout else self.stdout), highlight=False)
        summary.print(f"Exported {written:,} events to {where}.", soft_wrap=True)
