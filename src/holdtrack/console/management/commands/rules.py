"""``holdtrack rules``: the party table (who may take each write action, ADR 0019) as Markdown.

``--check FILE`` compares the table between the ``party-table`` markers of FILE (docs/security.md) with the
declared rules and exits 1 when they differ; ``--write FILE`` replaces it there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from holdtrack.kernel.parties import rules_markdown

BEGIN, END = "<!-- party-table:begin -->", "<!-- party-table:end -->"


def _split(text: str, path: Path) -> tuple[str, str, str]:
    if BEGIN not in text or END not in text:
        raise CommandError(f"{path}: no {BEGIN} … {END} markers to hold the party table.")
    head, rest = text.split(BEGIN, 1)
    body, tail = rest.split(END, 1)
    return head, body, tail


class Command(BaseCommand):
    help = "Print the party table: roles and relations that may take each write action."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--check", metavar="FILE", help="exit 1 when FILE shows another table")
        group.add_argument("--write", metavar="FILE", help="replace the table between the markers of FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        table = rules_markdown()
        target = options.get("check") or options.get("write")
        if not target:
            self.stdout.write(table, ending="")
            return
        path = Path(target)
        head, body, tail = _split(path.read_text(encoding="utf-8"), path)
        if options.get("check"):
            if body.strip() != table.strip():
                raise CommandError(f"{path}: the party table is out of date; run `holdtrack rules --write {path}`.")
            self.stdout.write(f"{path}: the party table matches the rules.")
            return
        path.write_text(f"{head}{BEGIN}\n{table}{END}{tail}", encoding="utf-8")
        self.stdout.write(f"{path}: party table written ({table.count(chr(10)) - 2} rules).")
