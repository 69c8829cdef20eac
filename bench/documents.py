"""Benchmark: rendering time of each generated document and of a 100-page enforcement packet (issue 5).

Builds one synthetic case history through the real services in a throw-away SQLite database, then times, in the
same process:

- the baseline: a minimal one-page HTML rendered to PDF with the same options (PDF/UA-1, DejaVu);
- each document kind: context from the case, template, WeasyPrint layout and tagged PDF (median of N);
- two packets of about 100 pages: one mostly laid out by WeasyPrint (a long clock history), one mostly an
  uploaded 80-page PDF drawn into placeholder pages by pypdf.

Each figure is also given as a ratio to the baseline, so runs on different machines compare.

Usage:

    .venv/bin/python bench/documents.py [--runs 7] [--markdown]

Uses ``DATABASE_URL`` when set (PostgreSQL), otherwise a temporary SQLite file. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")
if "HOLDTRACK_VAR_DIR" not in os.environ:
    os.environ["HOLDTRACK_VAR_DIR"] = tempfile.mkdtemp(prefix="ht-bench-docs-")

import django  # noqa: E402

django.setup()

import weasyprint  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from holdtrack.audit.models import CaseType, Channel  # noqa: E402
from holdtrack.cases.models import Subpoena  # noqa: E402
from holdtrack.documents import render  # noqa: E402
from holdtrack.documents.packet import packet_assemble  # noqa: E402
from holdtrack.documents.services import document_upload  # noqa: E402
from holdtrack.kernel.steps import locked, note  # noqa: E402

BASELINE_HTML = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Baseline</title>'
    '<style>@page{size:letter;margin:1in} body{font-family:"DejaVu Serif"}</style></head>'
    "<body><h1>Baseline</h1><p>One paragraph on one page.</p></body></html>"
)


def median_ms(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    fn()  # warm-up: font loading, template compilation
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def render_pdf(kind: str, case_type: str, case: Any, language: str) -> bytes:
    return render.render_document(kind, case_type, case, language=language).pdf()


def pages_of(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def long_history(s: Subpoena, world: Any, events: int) -> None:
    """Portal deliveries recorded on the subpoena: a long, realistic transition log for the clock history."""
    at = s.served_at or s.issued_at
    assert at is not None
    with transaction.atomic():
        case = locked(Subpoena, s.pk)
        for i in range(events):
            note(
                case,
                "document_sent",
                case_type=CaseType.SUBPOENA,
                actor=world.officer,
                at=at + timedelta(minutes=i + 1),
                channel=Channel.PORTAL,
                data={"delivery_id": i + 1, "kind": "SUBPOENA", "channel": "portal"},
            )


def scanned_letter(pages: int) -> bytes:
    body = "".join(
        f'<h2 style="break-before: page">Page {i + 1}</h2>' + "<p>Received correspondence, scanned text.</p>" * 20
        for i in range(pages)
    )
    return render.html_to_pdf(f'<html lang="en"><title>Letter</title><body>{body}</body></html>', identity="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7, help="repetitions per figure (median reported)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    from tests.cases.test_access import subpoena_to
    from tests.documents.scenarios import DOCUMENTS, build
    from tests.factories import hold_eligible, make_world

    world = make_world()
    cases = build(world)
    subject = {
        "detainer": cases.detainer,
        "lifted": cases.lifted,
        "subpoena": cases.subpoena,
        "referral": cases.subpoena.referral,
    }
    kinds = DOCUMENTS

    rows: list[tuple[str, int, float]] = []
    base_ms, base_pdf = median_ms(
        lambda: weasyprint.HTML(string=BASELINE_HTML).write_pdf(pdf_variant=render.PDF_VARIANT), args.runs
    )
    rows.append(("baseline: minimal one-page HTML → PDF/UA", pages_of(base_pdf), base_ms))
    for kind, case_type, which, lang in kinds:
        case = subject[which]
        ms, pdf = median_ms(partial(render_pdf, kind, case_type, case, lang), args.runs)
        rows.append((f"{kind.lower()} ({lang})", pages_of(pdf), ms))

    def time_packet(label: str, s: Subpoena) -> None:
        """First assembly (exhibits and packet laid out), then a re-layout of the packet alone (exhibits
        unchanged, as after a small change), then re-assembly with nothing changed (stored packet reused)."""
        t = time.perf_counter()
        packet = packet_assemble(actor=world.supervisor, subpoena=s)
        first = (time.perf_counter() - t) * 1000
        rows.append((f"{label}: first assembly ({len(packet.exhibits)} exhibits)", packet.pages, first))
        with patch("holdtrack.documents.packet._stored_packet", lambda s, source: None):
            ms, _ = median_ms(lambda: packet_assemble(actor=world.supervisor, subpoena=s), packet_runs)
        rows.append((f"{label}: packet laid out again, exhibits unchanged", packet.pages, ms))
        ms, _ = median_ms(lambda: packet_assemble(actor=world.supervisor, subpoena=s), args.runs)
        rows.append((f"{label}: nothing changed (stored packet reused)", packet.pages, ms))

    packet_runs = max(3, args.runs // 2)
    # Packet 1: laid out by WeasyPrint — a subpoena with a long transition log (deliveries, notes).
    s1 = subpoena_to(world, stage="enforced", detainer=hold_eligible(world))
    long_history(s1, world, events=1500)
    time_packet("packet, long clock history", s1)

    # Packet 2: mostly an uploaded 80-page PDF drawn into placeholder pages.
    s2 = subpoena_to(world, stage="enforced", detainer=hold_eligible(world))
    document_upload(
        actor=world.lea_counsel,
        case_type="subpoena",
        case_id=s2.pk,
        kind="RESPONSE_LETTER",
        file_name="scanned-correspondence.pdf",
        content=scanned_letter(80),
    )
    time_packet("packet, uploaded 80-page PDF", s2)

    header = (
        f"WeasyPrint {weasyprint.__version__}, Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs; median of {args.runs} runs (packet re-layout: {packet_runs})"
    )
    print(header)
    if args.markdown:
        print("\n| what | pages | median ms | ms per page | × baseline |\n|---|---:|---:|---:|---:|")
        for name, pages, ms in rows:
            print(f"| {name} | {pages} | {ms:,.0f} | {ms / pages:,.1f} | {ms / base_ms:,.1f} |")
    else:
        print(f"{'what':<70} {'pages':>5} {'median ms':>10} {'ms/page':>8} {'x base':>7}")
        for name, pages, ms in rows:
            print(f"{name:<70} {pages:>5} {ms:>10,.0f} {ms / pages:>8,.1f} {ms / base_ms:>7,.1f}")


if __name__ == "__main__":
    main()
