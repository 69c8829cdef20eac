"""Benchmarks 1 and 2 of issue 3 (no assertions; prints figures with machine, sizes and seed).

1. Bulk ingest throughput, bookings per second end to end — validate, persist, screen, queue — through
   ``bookings_import`` (the code behind ``holdtrack import bookings``), against the registry stored in the
   database named by DATABASE_URL. Baseline in the same process: the per-event service path the importer
   used before ADR 0011 (``subject_create`` + ``booking_create`` + ``screen_booking`` per booking) on a sample.
2. Single-booking screening latency, API call to stored result: ``POST /api/v1/bookings`` with a bearer token,
   through Django's test client in this process (no network), p50/p95/p99. The response is returned after the
   booking, its screening and any proposed matches are committed.

Prepare a database with a registry first, e.g.::

    createdb -h 127.0.0.1 -U postgres ht_b1m
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ht_b1m HOLDTRACK_VAR_DIR=/tmp/var_b1m
    .venv/bin/holdtrack migrate && .venv/bin/holdtrack load_reference
    .venv/bin/holdtrack simulate registry --size 1000000 --seed 42
    .venv/bin/python bench/ingest.py --bookings 20000 --baseline 300 --latency 500 --seed 7
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django

django.setup()

from _settings import apply as apply_settings  # noqa: E402 - bench/ is the script's directory
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from holdtrack.accounts.services import organization_for_lea  # noqa: E402
from holdtrack.custody import services as custody  # noqa: E402
from holdtrack.custody.ingest import feed_user  # noqa: E402
from holdtrack.custody.ingest.run import mappings  # noqa: E402
from holdtrack.intake.bookings import bookings_import  # noqa: E402
from holdtrack.jurisdictions.models import Facility  # noqa: E402
from holdtrack.screening import prefetch  # noqa: E402
from holdtrack.screening import stages as screening_stages  # noqa: E402
from holdtrack.screening.models import RegistryKey  # noqa: E402
from holdtrack.screening.services import active_model, screen_booking  # noqa: E402
from holdtrack.simulation.registry import generate_bookings, registry_sample_from_db, write_bookings  # noqa: E402


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kb = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
        ram = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        ram = "? GiB"
    with connection.cursor() as cur:
        cur.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        db = str(cur.fetchone()[0]).split(" on ")[0]
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({cpu}), {ram} RAM, {db}, Python {platform.python_version()}; "
        f"load average at start {load[0]:.1f}"
    )


def cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (``/proc/stat``: every core's user, system, interrupt and
    steal time). The import runs in this process, a screening worker process (screening/prefetch.py) and their
    PostgreSQL backends, all on this machine: on a quiet machine their sum is the machine's busy time. Until
    2026-12-06 this was this process plus its backends; with the worker in a process of its own, the machine's
    figure is the one that counts all of it. On a shared machine the wall time depends on the other load, and so
    does this figure: read it from a quiet run."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return time.process_time()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bookings", type=int, default=20_000, help="bookings in the bulk file")
    ap.add_argument("--persist-only", type=int, default=10_000, help="bookings imported without screening")
    ap.add_argument("--baseline", type=int, default=300, help="bookings through the per-event baseline")
    ap.add_argument("--latency", type=int, default=500, help="single-booking API calls")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--chunk-size", type=int, default=None)
    ap.add_argument(
        "--no-wide", action="store_true", help="screen without the second-stage (wide) blocking rules, to compare"
    )
    ap.add_argument(
        "--wide-below",
        type=float,
        default=None,
        help="probe with the wide rules the bookings whose best proposal is below this probability (default: "
        "the shipped WIDE_BELOW_PROBABILITY; 1e-12: only bookings without any proposal)",
    )
    ap.add_argument("--no-deep", action="store_true", help="screen without the third (deep) stage, to compare")
    ap.add_argument(
        "--no-spelling", action="store_true", help="screen without the fourth stage (misspelt names), to compare"
    )
    ap.add_argument(
        "--no-fbi-slips", action="store_true", help="screen without the mis-keyed FBI-number probe, to compare"
    )
    ap.add_argument(
        "--set",
        default="",
        help="screening settings for this run, e.g. stages.SPELLING_DEEP=0,candidates.SECOND_GIVEN_RULES=0",
    )
    ap.add_argument(
        "--no-prefetch",
        action="store_true",
        help="screen each chunk in the import's process only (no worker process, ADR 0041), to compare",
    )
    args = ap.parse_args()
    if args.no_deep:
        screening_stages.DEEP_STAGE = False
    if args.no_spelling:
        screening_stages.SPELLING_STAGE = False
    if args.no_fbi_slips:
        screening_stages.FBI_SLIPS = False
    apply_settings(args.set)
    if args.no_prefetch:
        prefetch.ChunkPrefetch.usable = staticmethod(lambda: False)  # type: ignore[method-assign]
    if args.no_wide:
        screening_stages.WIDE_BELOW_WEIGHT = -math.inf
    elif args.wide_below is not None:
        screening_stages.WIDE_BELOW_WEIGHT = math.log2(args.wide_below / (1 - args.wide_below))

    registry = RegistryKey.objects.count()
    model = active_model()
    facility = Facility.objects.select_related("operator").filter(code="WA053CJ").first() or (
        Facility.objects.select_related("operator").order_by("pk").first()
    )
    assert facility is not None, "run `holdtrack load_reference` first"
    lea = facility.operator
    tag = f"B{args.seed}T{int(time.time()) % 100_000}"
    print(f"machine: {machine()}")
    print(
        f"registry: {registry:,} subjects (screening keys); model {model.version if model else 'none'}; "
        f"seed {args.seed}; run tag {tag}"
    )

    sample = registry_sample_from_db(50_000, args.seed)
    total = args.bookings + args.baseline + args.latency + args.persist_only
    gen = generate_bookings(
        registry_sample=sample,
        count=total,
        seed=args.seed,
        agency_ori=lea.ori,
        facility_code=facility.code,
        prefix=tag,
    )
    rows = gen.rows
    bulk_rows, base_rows, api_rows, plain_rows = (
        rows[: args.bookings],
        rows[args.bookings : args.bookings + args.baseline],
        rows[args.bookings + args.baseline : args.bookings + args.baseline + args.latency],
        rows[args.bookings + args.baseline + args.latency :],
    )
    in_registry = sum(gen.truth[r["booking_number"]] is not None for r in bulk_rows)

    # 1. bulk ingest, end to end
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-feed.csv"
        write_bookings(bulk_rows, path)
        cpu0 = cpu_seconds()
        result = bookings_import(path=path, chunk_size=args.chunk_size, actor_label="bench/ingest.py")
        bulk_cpu = cpu_seconds() - cpu0
    assert result.run is not None, result.refused
    bulk_rate = result.rows_imported / result.seconds
    print(
        f"bench 1 bulk: {result.rows_imported:,} bookings ({in_registry:,} of registry people) in "
        f"{result.seconds:.2f} s = {bulk_rate:,.0f} bookings/s end to end; chunks {result.chunks}; "
        f"screened {result.screening.get('screened', 0):,}, candidates {result.screening.get('candidates', 0):,}, "
        f"proposed {result.screening.get('proposed', 0):,} (biometric {result.screening.get('biometric', 0):,}); "
        f"probed by the wide rules {result.screening.get('wide', 0):,}{' (off)' if args.no_wide else ''}; "
        f"probed by the deep rules {result.screening.get('deep', 0):,}{' (off)' if args.no_deep else ''}; "
        f"read with a name corrected {result.screening.get('spelled', 0):,}{' (off)' if args.no_spelling else ''}; "
        f"prefetch {'off' if args.no_prefetch else 'on'}; "
        f"CPU {bulk_cpu:.2f} s (machine-wide) = {result.rows_imported / bulk_cpu:,.0f} bookings "
        "per CPU-second"
    )

    # the same path without screening: what validation + persistence cost alone
    if plain_rows:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench-feed-plain.csv"
            write_bookings(plain_rows, path)
            cpu0 = cpu_seconds()
            plain = bookings_import(path=path, chunk_size=args.chunk_size, screen=False)
            plain_cpu = cpu_seconds() - cpu0
        print(
            f"bench 1 without screening (validate + persist only): {plain.rows_imported:,} bookings in "
            f"{plain.seconds:.2f} s = {plain.rows_imported / plain.seconds:,.0f} bookings/s; CPU {plain_cpu:.2f} s "
            f"= {plain.rows_imported / plain_cpu:,.0f} bookings per CPU-second"
        )

    # baseline: per-event services, one booking at a time (the importer before ADR 0011)
    if base_rows:
        baseline(lea, facility, base_rows, bulk_rate, result.rows_imported / bulk_cpu)
    if api_rows:
        latency(lea, tag, api_rows)
    print(f"load average at end {os.getloadavg()[0]:.1f}")


def baseline(
    lea: Any, facility: Facility, base_rows: list[dict[str, Any]], bulk_rate: float, bulk_per_cpu: float
) -> None:
    actor = feed_user(lea)
    started, cpu0 = time.monotonic(), cpu_seconds()
    convert = mappings()["canonical"].convert
    for i, row in enumerate(base_rows, 1):
        record, problems = convert(row, i)
        assert record is not None, problems
        subject = custody.subject_create(
            actor=actor,
            first_name=record.first_name,
            middle_name=record.middle_name,
            last_name=record.last_name,
            date_of_birth=record.date_of_birth,
            sex=record.sex,
            birth_country=record.birth_country,
        )
        booking = custody.booking_create(
            actor=actor,
            subject=subject,
            facility=facility,
            booking_number=record.booking_number,
            booked_at=record.booked_at,
            charge_level=record.charge_level,
            stated_birth_country=record.birth_country,
            fbi_number=record.fbi_number,
            channel="IMPORT",
        )
        screen_booking(actor=actor, booking=booking)
    base_s, base_cpu = time.monotonic() - started, cpu_seconds() - cpu0
    base_rate = len(base_rows) / base_s
    print(
        f"baseline per-event services: {len(base_rows):,} bookings in {base_s:.2f} s = {base_rate:,.0f} bookings/s "
        f"(CPU {base_cpu:.2f} s = {len(base_rows) / base_cpu:,.0f} per CPU-second); "
        f"bulk ÷ baseline = {bulk_rate / base_rate:.1f}× wall, "
        f"{bulk_per_cpu / (len(base_rows) / base_cpu):.1f}× CPU"
    )


def latency(lea: Any, tag: str, api_rows: list[dict[str, Any]]) -> None:
    """2. Single-booking latency through the API."""
    from holdtrack.api.services import api_client_create

    created = api_client_create(
        actor=None,
        organization=organization_for_lea(lea),
        name=f"bench {tag}",
        scopes=["bookings:read", "bookings:write"],
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {created.token}")
    timings: list[float] = []
    proposed = 0
    for row in api_rows:
        body: dict[str, Any] = {
            k: row[k]
            for k in (
                "agency_ori",
                "booking_number",
                "booked_at",
                "facility_code",
                "first_name",
                "middle_name",
                "last_name",
                "sex",
                "birth_country",
                "charge_level",
                "fbi_number",
            )
        }
        body["sex"] = body["sex"] or "U"
        body = {k: v for k, v in body.items() if v != ""}
        if row["date_of_birth"]:
            body["date_of_birth"] = row["date_of_birth"]
        t0 = time.perf_counter()
        response = client.post("/api/v1/bookings", body, content_type="application/json")
        timings.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 201:
            print(f"  refused: {response.status_code} {response.content[:300]!r}")
            continue
        proposed += int(response.json().get("screening", {}).get("proposed_matches", 0))
    print(
        f"bench 2 latency: {len(timings)} single-booking POST /api/v1/bookings (token auth, screened, stored): "
        f"p50 {pct(timings, 50):.1f} ms, p95 {pct(timings, 95):.1f} ms, p99 {pct(timings, 99):.1f} ms, "
        f"mean {statistics.fmean(timings):.1f} ms; {proposed} matches proposed"
    )


if __name__ == "__main__":
    main()
