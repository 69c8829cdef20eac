"""``holdtrack load_reference``: load the shipped jurisdiction reference data (safe to re-run)."""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from holdtrack.jurisdictions.reference import DATA_DIR, load_reference


class Command(BaseCommand):
    help = (
        "Load reference data shipped with holdtrack: the 25 ICE areas of responsibility, states and counties "
        "(FIPS), New York City and Denver, one synthetic sheriff's office and jail per county, the ICE 287(g) "
        "sheets of 18 July 2025, one field-office organization per area, and seeded local-law policies. "
        "Idempotent: rows are keyed by natural keys and updated in place, so re-running creates no duplicates. "
        f"Sources and currency: {DATA_DIR / 'PROVENANCE.md'}."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Write through Django's stdout so call_command(stdout=...) captures the output; its automatic newline
        # would break rich's in-place redraws, so turn it off.
        self.stdout.ending = ""
        console = Console(file=cast(IO[str], self.stdout), highlight=False)
        with Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=not console.is_terminal,
        ) as bar:
            task = bar.add_task("loading", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            counts = load_reference(progress)

        table = Table(title="Reference data loaded")
        table.add_column("kind")
        table.add_column("rows", justify="right")
        for kind, n in counts.items():
            table.add_row(kind.replace("_", " "), f"{n:,}")
        console.print(table)
