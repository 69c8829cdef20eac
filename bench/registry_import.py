"""Registry import benchmark (issue 10): ``holdtrack import registry`` against plain ``COPY``.

Generates a synthetic registry (``simulation.registry.registry_people``: synthetic names, dates of birth,
FBI numbers and A-numbers; birth countries written as ISO alpha-2, alpha-3 or English name in turn), writes it
as CSV and as Parquet, and imports each through ``registry_import`` (the code behind the command) into the
database DATABASE_URL names. The Parquet file carries other keys and identifiers, so it imports as many new
subjects again; the CSV is then imported a second time (idempotent re-run: everything skipped). Prints rows/s
per phase and the ratio to the plain-SQL baseline: ``COPY`` of the same CSV into a bare table without indexes.

Use a throwaway database (the bench adds subjects)::

    createdb -h 127.0.0.1 -U postgres holdtrack_bench_registry
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/holdtrack_bench_registry HOLDTRACK_VAR_DIR=/tmp/var-bench
    .venv/bin/holdtrack migrate
    .venv/bin/python bench/registry_import.py 1000000
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.db import connection
from ingest import machine

from holdtrack.accounts.services import system_user
from holdtrack.custody.models import Subject
from holdtrack.intake.registry import RegistryImportResult, registry_import
from holdtrack.intake.registry_read import COLUMNS
from holdtrack.jurisdictions.countries import DATA as COUNTRIES_CSV
from holdtrack.simulation.registry import a_number_for, fbi_ucn_for, registry_people


def _codes() -> dict[str, tuple[str, str]]:
    with COUNTRIES_CSV.open(newline="", encoding="utf-8") as fh:
        return {r["name"]: (r["alpha_2"], r["alpha_3"]) for r in csv.DictReader(fh)}


def rows(size: int, seed: int, prefix: str, offset: int) -> list[dict[str, str]]:
    codes = _codes()
    out = []
    for p in registry_people(size, seed):
        last, _, second = p.last_name.partition(" ")
        a2, a3 = codes[p.birth_country]
        n = offset + p.index + 1
        out.append(
            {
                "subject_id": f"{prefix}{p.index:08d}",
                "first_name": p.first_name,
                "middle_name": p.middle_name,
                "last_name": last,
                "second_last_name": second,
                "dob": p.date_of_birth.isoformat(),
                "sex": p.sex,
                "birth_country": (a2, a3, p.birth_country)[p.index % 3],
                "fbi_number": fbi_ucn_for(n) if p.index % 4 else "",
                "a_number": a_number_for(n),
            }
        )
    return out


def write_csv(data: list[dict[str, str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        w.writeheader()
        w.writerows(data)


def write_parquet(data: list[dict[str, str]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({c: [r[c] for r in data] for c in COLUMNS})
    pq.write_table(table, path)


def plain_copy(path: Path) -> float:
    """Seconds to COPY the CSV into a bare table (text columns, a date, no indexes, no constraints)."""
    cols = ", ".join(f"{c} {'date' if c == 'dob' else 'text'}" for c in COLUMNS)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_registry_bare")
        cur.execute(f"CREATE TABLE bench_registry_bare ({cols})")
        started = time.perf_counter()
        sql = "COPY bench_registry_bare FROM STDIN WITH (FORMAT csv, HEADER true)"
        with cur.cursor.copy(sql) as copy, path.open("rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cur.execute("DROP TABLE bench_registry_bare")
    return seconds


def report(label: str, result: RegistryImportResult, baseline: float | None) -> None:
    n = result.rows_read
    print(
        f"\n{label}: {n:,} rows read, {result.created:,} subjects created, {result.skipped_existing:,} skipped, "
        f"{result.identifiers:,} identifiers, {result.keys:,} keys in {result.seconds:.1f} s "
        f"= {n / result.seconds:,.0f} rows/s"
    )
    for phase, seconds in result.phases.items():
        print(f"  {phase:<20} {seconds:7.1f} s  {n / seconds if seconds else 0:>12,.0f} rows/s")
    if baseline:
        print(f"  ratio to plain COPY ({baseline:.1f} s): {result.seconds / baseline:.1f}×")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("size", nargs="?", type=int, default=100_000, help="subjects per file (default 100000)")
    ap.add_argument("--seed", type=int, default=10)
    args = ap.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL (DATABASE_URL); the plain-COPY baseline needs it.")
    print(f"machine: {machine()}")
    print(f"subjects already stored: {Subject.objects.count():,}")
    actor = system_user()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        csv_path, pq_path = Path(tmp) / "registry.csv", Path(tmp) / "registry.parquet"
        write_csv(rows(args.size, args.seed, "C", 0), csv_path)
        write_parquet(rows(args.size, args.seed + 1, "P", args.size), pq_path)
        print(
            f"generated {args.size:,} + {args.size:,} synthetic people in {time.perf_counter() - started:.1f} s "
            f"(CSV {csv_path.stat().st_size / 1e6:.0f} MB, Parquet {pq_path.stat().st_size / 1e6:.0f} MB)"
        )
        baseline = plain_copy(csv_path)
        print(f"plain COPY of the CSV into a bare table: {baseline:.1f} s = {args.size / baseline:,.0f} rows/s")
        results: list[tuple[str, Any]] = []
        for label, path in (("CSV", csv_path), ("Parquet", pq_path), ("CSV again (idempotent)", csv_path)):
            result = registry_import(actor=actor, path=path, synthetic=True)
            assert not result.problems, result.problems.lines()[:5]
            report(label, result, baseline)
            results.append((label, result))


if __name__ == "__main__":
    main()
