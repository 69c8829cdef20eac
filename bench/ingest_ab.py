"""Two code trees' bulk import and screening, interleaved, each run on a fresh copy of the same database.

`bench/ingest.py` adds the bookings it imports to its database, and with autovacuum off a grown database slows
the next run; and on a machine whose CPU speed drifts between runs, only runs close in time compare. So each run
here starts from a copy of one template database (a registry built once, e.g. 1,000,000 subjects by
``simulate registry``), the two trees alternate seed by seed, and the ratio of each pair is printed. The two
trees must produce the same candidates and proposals for a seed (screening is deterministic); the script says
when they do not.

    createdb -h 127.0.0.1 -U postgres ht_b1m_fresh   # then migrate, load_reference, simulate registry, VACUUM ANALYZE
    git worktree add /tmp/ht_before <commit>          # and link its .venv to this one's
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/ingest_ab.py \\
        --template ht_b1m_fresh --before /tmp/ht_before --seeds 251,252,253

Prints the figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(
    r"bench 1 bulk: .* in (?P<s>[\d.]+) s = (?P<rate>[\d,]+) bookings/s .*candidates (?P<c>[\d,]+), "
    r"proposed (?P<p>[\d,]+)"
)
COPY = "ht_ingest_ab_run"


def psql_url(url: str, db: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def fresh_copy(url: str, template: str) -> None:
    host, user = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).username or "postgres"
    subprocess.run(["dropdb", "-h", host, "-U", user, "--if-exists", "-f", COPY], check=True)  # noqa: S603, S607
    subprocess.run(["createdb", "-h", host, "-U", user, "-T", template, COPY], check=True)  # noqa: S603, S607


def run(tree: Path, url: str, seed: int, bookings: int) -> dict[str, float]:
    env = {**os.environ, "DATABASE_URL": psql_url(url, COPY), "HOLDTRACK_VAR_DIR": "/tmp/var_ingest_ab"}  # noqa: S108
    Path(env["HOLDTRACK_VAR_DIR"]).mkdir(exist_ok=True)
    out = subprocess.run(  # noqa: S603 - this repository's interpreter and a tree's own bench
        [sys.executable, "bench/ingest.py", "--bookings", str(bookings), "--persist-only", "0", "--baseline", "0",
         "--latency", "0", "--seed", str(seed)],
        cwd=tree, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    m = LINE.search(out.stdout)
    if m is None:
        sys.exit(f"no result line from {tree}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return {k: float(v.replace(",", "")) for k, v in m.groupdict().items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--template", required=True, help="the database each run is copied from")
    ap.add_argument("--before", type=Path, required=True, help="the other tree (a worktree with its own bench/)")
    ap.add_argument("--after", type=Path, default=ROOT)
    ap.add_argument("--seeds", default="251,252,253")
    ap.add_argument("--bookings", type=int, default=20_000)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL server (any database on it; copies are made of --template)")
    ratios = []
    print(f"{'seed':>6} {'before b/s':>11} {'after b/s':>10} {'ratio':>6}  same proposals")
    for seed in (int(s) for s in args.seeds.split(",")):
        figures = {}
        for name, tree in (("before", args.before), ("after", args.after)):
            fresh_copy(url, args.template)
            figures[name] = run(tree, url, seed, args.bookings)
        b, a = figures["before"], figures["after"]
        ratios.append(a["rate"] / b["rate"])
        same = (a["c"], a["p"]) == (b["c"], b["p"])
        made = (
            f"{a['p']:,.0f} proposals, {a['c']:,.0f} candidates"
            if same
            else f"proposals {b['p']:,.0f} → {a['p']:,.0f}, candidates {b['c']:,.0f} → {a['c']:,.0f}"
        )
        print(
            f"{seed:>6} {b['rate']:>11,.0f} {a['rate']:>10,.0f} {ratios[-1]:>6.2f}  {'yes' if same else 'NO'} ({made})"
        )
    print(f"median ratio {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}), "
          f"{len(ratios)} pairs; load average at the end {os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
