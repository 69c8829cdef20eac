"""``holdtrack audit verify``: recompute the audit hash chain; exit code 1 if it is broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from holdtrack.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools: 'verify' recomputes every hash of the audit chain and reports the first bad event."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{verify}")
        sub.add_parser("verify", help="Check the hash chain from the first event; exit code 1 if broken.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "verify":
            report = audit_verify()
            if not report.ok:
                where = f"at event {report.first_bad_id}" if report.first_bad_id is not None else "at the chain head"
                raise CommandError(
                    f"Audit chain BROKEN {where}: {report.problem} ({report.checked:,} events verified before it).",
                    returncode=1,
                )
            self.stdout.write(f"Audit chain OK: {report.checked:,} events verified.")
