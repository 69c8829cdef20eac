"""The analyst path ADR 0007 measured and did not choose: DuckDB over a Parquet export of the detainer facts.

Computes what the dashboard shows (totals, breakdown with medians, monthly trend, county map) for the same
filters as ``bench/dashboard.py --parquet FILE`` wrote, straight from the 2M-row Parquet file, and prints p50/p95.

DuckDB is not a dependency of holdtrack: run this with any Python that has ``duckdb`` installed, e.g.

    python3 -m venv /tmp/duckvenv && /tmp/duckvenv/bin/pip install duckdb
    /tmp/duckvenv/bin/python bench/duckdb_parquet.py /tmp/ht-bench/facts.parquet [--in-memory]
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import duckdb

GROUP_COLUMN = {
    "state": "state_abbr",
    "aor": "aor",
    "county": "county_fips",
    "lea": "ori",
    "facility": "facility_code",
    "month": "prepared_month",
}
PLACE = (
    ("state", "state_abbr"),
    ("aor", "aor"),
    ("county", "county_fips"),
    ("ori", "ori"),
    ("facility", "facility_code"),
)


def metrics(basis: str) -> str:
    def between(col: str) -> str:
        return f"{col} BETWEEN $s AND $e"

    issue = between("prepared_month")
    if basis == "I":
        cond = {
            "prepared": issue,
            "decided": f"{issue} AND decided_month IS NOT NULL",
            "declined": f"{issue} AND declined_month IS NOT NULL",
            "lapsed": f"{issue} AND lapsed_month IS NOT NULL",
            "transferred": f"{issue} AND transferred_month IS NOT NULL",
            "rbp": f"{issue} AND outcome_group = 'RELEASED_BEFORE_PICKUP'",
            "flagged": f"{issue} AND flag_bits <> 0",
        }
        med = f"median(elig_transfer_minutes) FILTER (WHERE {issue})"
    else:
        cond = {
            "prepared": issue,
            "decided": between("decided_month"),
            "declined": between("declined_month"),
            "lapsed": between("lapsed_month"),
            "transferred": between("transferred_month"),
            "rbp": f"{between('outcome_month')} AND outcome_group = 'RELEASED_BEFORE_PICKUP'",
            "flagged": f"{between('closed_month')} AND flag_bits <> 0",
        }
        med = f"median(elig_transfer_minutes) FILTER (WHERE {between('transferred_month')})"
    return ", ".join(f"count(*) FILTER (WHERE {c}) AS {k}" for k, c in cond.items()) + f", {med} AS median_minutes"


def dashboard(con: duckdb.DuckDBPyConnection, f: dict) -> None:
    where, params = ["1=1"], {"s": f["start"], "e": f["end"]}
    for attr, col in PLACE:
        if f.get(attr):
            where.append(f"{col} = ${attr}")
            params[attr] = f[attr]
    w = " AND ".join(where)
    m = metrics(f["basis"])
    group = GROUP_COLUMN[f["group"]]
    # Identifiers come from the tables above; values are bound parameters.
    for sql in (
        f"SELECT {m} FROM facts WHERE {w}",  # noqa: S608
        f"SELECT {group}, {m} FROM facts WHERE {w} GROUP BY {group}",  # noqa: S608
        f"SELECT prepared_month, {m} FROM facts WHERE {w} GROUP BY prepared_month",  # noqa: S608
        f"SELECT county_fips, {m} FROM facts WHERE {w} GROUP BY county_fips",  # noqa: S608
    ):
        con.execute(sql, params).fetchall()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def main() -> None:
    path = next(a for a in sys.argv[1:] if not a.startswith("--"))
    with open(path + ".filters.json") as fh:
        filters = json.load(fh)
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count() or 2}")
    t0 = time.perf_counter()
    # --in-memory: load the file into DuckDB's own columnar table first (an analyst's warm session).
    kind = "TABLE" if "--in-memory" in sys.argv else "VIEW"
    con.execute(f"CREATE {kind} facts AS SELECT * FROM read_parquet('{path}')")  # noqa: S608 (a local file name)
    for f in filters[:2]:
        dashboard(con, f)
    times = []
    for f in filters:
        t = time.perf_counter()
        dashboard(con, f)
        times.append(time.perf_counter() - t)
    print(
        json.dumps(
            {
                "engine": f"duckdb {duckdb.__version__} over Parquet ({os.path.getsize(path) / 1e6:.0f} MB)",
                "mode": "loaded into memory" if kind == "TABLE" else "reading the Parquet file per query",
                "runs": len(times),
                "p50_ms": round(pct(times, 50) * 1000, 1),
                "p95_ms": round(pct(times, 95) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
                "heaviest_ms": round(times[0] * 1000, 1),
                "total_s": round(time.perf_counter() - t0, 1),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
