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

from holdtrack.accounts.models import User
from holdtrack.accounts.services import system_user
from holdtrack.audit.export import count_events, export_events
from holdtrack.audit.models import CaseType
from holdtrack.cases.models import Subpoena
from holdtrack.core.errors import DomainError
from holdtrack.documents.packet import packet_assemble


class Command(BaseCommand):
    help = (
        "Export records: 'events' writes every transition of the case log as one JSON object per line; "
        "'packet' assembles the enforcement packet of a subpoena (PDF and ZIP)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{events,packet}")
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
        packet = sub.add_parser(
            "packet", help="The court-ready enforcement packet of a subpoena: one Bates-numbered PDF and a ZIP."
        )
        packet.add_argument("subpoena_id", type=int, metavar="SUBPOENA_ID")
        packet.add_argument("--out", required=True, help="Folder to write packet-subpoena-ID.pdf and .zip into.")
        packet.add_argument(
            "--as",
            dest="username",
            default="",
            help="Assemble as this user (agency or DOJ); default: the system account.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "events":
            self._events(options["out"], options.get("case_types"))
        elif options["what"] == "packet":
            self._packet(options["subpoena_id"], options["out"], options.get("username") or "")

    def _packet(self, subpoena_id: int, out: str, username: str) -> None:

        folder = Path(out)
        if not folder.is_dir():
            raise CommandError(f"Folder {folder} does not exist.")
        subpoena = Subpoena.objects.filter(pk=subpoena_id).first()
        if subpoena is None:
            raise CommandError(f"Subpoena {subpoena_id} does not exist.")
        actor = User.objects.filter(username=username).first() if username else system_user()
        if actor is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            result = packet_assemble(actor=actor, subpoena=subpoena)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        pdf_path = folder / f"packet-subpoena-{subpoena_id}.pdf"
        zip_path = folder / f"packet-subpoena-{subpoena_id}.zip"
        pdf_path.write_bytes(result.pdf_bytes)
        zip_path.write_bytes(result.zip_bytes)
        first, last = result.manifest["packet"]["bates_first"], result.manifest["packet"]["bates_last"]
        self.stdout.write(
            f"Packet of subpoena {subpoena_id}: {result.pages} pages, {len(result.exhibits)} exhibits, "
            f"Bates {first} to {last}.\n"
            f"  {pdf_path}  sha256 {result.pdf.sha256}\n"
            f"  {zip_path}  sha256 {result.archive.sha256}\n"
        )

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
