"""Peak memory and time of ``holdtrack import bookings`` on a large feed (issue 11 item 5; no assertions).

Generates a canonical feed of ``--mb`` megabytes (synthetic people, ``custody.ingest.synthetic``) in a temporary
folder and runs the real command on it in child processes, one per scenario, reading each child's peak resident
set size from ``os.wait4`` (``ru_maxrss``):

1. validate a file whose row 10 is bad (the issue's case: refused, every row checked, nothing saved);
2. validate a file whose first rows are all bad, stopping at ``--max-errors 100``;
3. import a ``--write-mb`` file to the end (validate, then write chunk by chunk with screening);

Prepare a database with the reference data (its agencies and facilities are used), e.g.::

    createdb -h 127.0.0.1 -U postgres ht_importmem
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ht_importmem HOLDTRACK_VAR_DIR=/tmp/var_importmem
    .venv/bin/holdtrack migrate && .venv/bin/holdtrack load_reference
    .venv/bin/python bench/import_memory.py --mb 200 --write-mb 20
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django

django.setup()

from holdtrack.custody.ingest.canonical import COLUMNS  # noqa: E402
from holdtrack.custody.ingest.synthetic import write_canonical_feed  # noqa: E402
from holdtrack.jurisdictions.models import Facility  # noqa: E402

SEX = COLUMNS.index("sex")


def feed_of(path: Path, mb: float, ori: str, code: str, prefix: str) -> tuple[Path, int]:
    """A feed of about ``mb`` megabytes: the row count from a sample's bytes per row."""
    sample = write_canonical_feed(path, rows=2000, ori=ori, facility_code=code, seed=1, prefix=prefix)
    per_row = sample.stat().st_size / 2000
    rows = int(mb * (1 << 20) / per_row)
    write_canonical_feed(path, rows=rows, ori=ori, facility_code=code, seed=1, prefix=prefix)
    return path, rows


def with_bad_rows(source: Path, target: Path, bad: range) -> Path:
    """A copy of ``source`` whose data rows in ``bad`` (1-based) have sex "Q"; streamed."""
    with source.open(encoding="utf-8") as fh, target.open("w", encoding="utf-8") as out:
        for number, line in enumerate(fh):
            if number in bad:
                cells = line.split(",")
                cells[SEX] = "Q"
                line = ",".join(cells)
            out.write(line)
    return target


def run(label: str, path: Path, *args: str) -> None:
    log = path.with_suffix(".log")
    started = time.monotonic()
    with log.open("wb") as fh:
        child = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "holdtrack", "import", "bookings", str(path), *args], stdout=fh, stderr=fh
        )
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    tail = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()][-3:]
    size = path.stat().st_size / (1 << 20)
    print(
        f"{label}: {size:,.0f} MB, exit {os.waitstatus_to_exitcode(status)}, "
        f"peak RSS {usage.ru_maxrss / 1024:,.0f} MB, {seconds:,.1f} s wall, "
        f"{usage.ru_utime + usage.ru_stime:,.1f} s CPU"
    )
    for line in tail:
        print(f"    {line[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=200, help="size of the validated feeds (default 200)")
    parser.add_argument("--write-mb", type=float, default=20, help="size of the feed imported to the end (0: skip)")
    parser.add_argument("--dir", default=None, help="where the feeds go (default: a temporary folder)")
    args = parser.parse_args()
    facility = Facility.objects.select_related("operator").filter(operator__isnull=False).first()
    if facility is None:
        sys.exit("no facility in the database: run `holdtrack load_reference` first")
    ori, code = facility.operator.ori, facility.code
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f}, Python {sys.version.split()[0]}; agency {ori}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        stamp = f"M{int(time.time())}"
        started = time.monotonic()
        good, rows = feed_of(folder / "feed.csv", args.mb, ori, code, stamp)
        print(f"generated {rows:,} rows in {time.monotonic() - started:,.0f} s")
        run("1. bad row 10, whole file validated", with_bad_rows(good, folder / "bad10.csv", range(10, 11)))
        run("2. first 200 rows bad, --max-errors 100", with_bad_rows(good, folder / "bad200.csv", range(1, 201)))
        good.unlink()
        if args.write_mb:
            small, _ = feed_of(folder / "write.csv", args.write_mb, ori, code, f"{stamp}W")
            run("3. imported to the end", small)


if __name__ == "__main__":
    main()
