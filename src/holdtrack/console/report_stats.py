"""Subcommands of ``holdtrack report`` over holdtrack's own records (the command and its FOIA subcommands are in
``console/management/commands/report.py``):

- ``report declined --week 2026-W47 [--format html|pdf|csv] [--out FILE]`` — the weekly declined-detainer report;
- ``report publish --period YYYY-MM..YYYY-MM [--note TEXT]`` — freeze a new public statistics release;
- ``report refresh [--rebuild]`` — bring the report aggregates up to date (the task worker does it every minute).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from holdtrack.reports import aggregates, declined, public

STATS_COMMANDS = ("declined", "publish", "refresh")


def add_subcommands(sub: Any) -> None:
    declined = sub.add_parser(
        "declined", help="Weekly declined-detainer report: by recorded decline date, keyed by ORI and facility code."
    )
    declined.add_argument("--week", required=True, metavar="YYYY-Www", help="ISO week, e.g. 2026-W47 (UTC)")
    declined.add_argument("--format", choices=("html", "pdf", "csv"), default="html")
    declined.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    publish = sub.add_parser("publish", help="Publish a frozen public statistics release for a period of months.")
    publish.add_argument("--period", required=True, metavar="YYYY-MM..YYYY-MM")
    publish.add_argument("--note", default="", help="a line for the change log")
    publish.add_argument(
        "--threshold", type=int, help="suppression threshold (default: setting HOLDTRACK_SUPPRESSION_THRESHOLD, 10)"
    )
    refresh = sub.add_parser("refresh", help="Bring the report aggregates up to date.")
    refresh.add_argument("--rebuild", action="store_true", help="recompute everything from the case records")


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    what = options["what"]
    if what == "declined":
        _declined(command, options)
    elif what == "publish":
        _publish(command, options)
    elif what == "refresh":
        if options.get("rebuild"):
            aggregates.rebuild()
            command.stdout.write("Report aggregates rebuilt from the case records.")
        else:
            r = aggregates.refresh()
            command.stdout.write(
                "Report aggregates rebuilt from the case records."
                if r.rebuilt
                else f"Report aggregates up to date: {r.changes} changes, {r.detainers} detainers recomputed."
            )
    else:  # pragma: no cover - argparse restricts the choices
        raise CommandError(f"unknown report {what!r}")


def _declined(command: BaseCommand, options: dict[str, Any]) -> None:

    try:
        report = declined.build(options["week"])
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    fmt = options["format"]
    body = (
        declined.to_pdf(report)
        if fmt == "pdf"
        else declined.to_csv(report)
        if fmt == "csv"
        else declined.to_html(report).encode("utf-8")
    )
    out = options.get("out")
    if out:
        Path(out).write_bytes(body)
        command.stderr.write(
            f"Week {report.week}: {report.total.declined} declines by {len(report.rows)} agency–facility pairs; "
            f"{report.transfers_total} transfers listed apart. Written to {out} ({fmt})."
        )
        return
    if fmt == "pdf" and sys.stdout.isatty():
        raise CommandError("A PDF is not written to a terminal: use --out FILE.")
    stream = getattr(command.stdout, "_out", sys.stdout)
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(body)
        buffer.flush()
    else:
        stream.write(body.decode("utf-8", errors="replace"))


def _publish(command: BaseCommand, options: dict[str, Any]) -> None:

    try:
        snap = public.publish(options["period"], note=options.get("note") or "", limit=options.get("threshold"))
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    suppressed = sum(t["suppressed_cells"] for t in snap.data["tables"])
    command.stdout.write(
        f"Published version {snap.version} for {snap.period_label}: {len(snap.data['tables'])} tables, "
        f"{suppressed} cells suppressed (threshold {snap.parameters['threshold']}). SHA-256 {snap.sha256}"
    )
