"""Benchmark: the report dashboard over 2,000,000 detainers (issue 6, Performance; ADR 0007).

Generates detainer facts at national scale straight into the aggregation's input (``reports_detainerfact``; a
benchmark may bulk-load, the product path is the services), builds the summary cells in SQL, then times

- the dashboard query — every table of the dashboard page for one filter (``aggregates.dashboard``), and the whole
  page through Django (``GET /reports/``, templates included) — over ~30 runs with varied filters;
- a plain SQL GROUP BY over the same 2M fact rows that computes the same breakdown, for the same filters, in the
  same run;
- the incremental upkeep: applying the changes of 1,000 detainers to the cells.

Usage (PostgreSQL; the database is created with psql first):

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE holdtrack_bench'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/holdtrack_bench HOLDTRACK_VAR_DIR=/tmp/ht-bench \\
        .venv/bin/python bench/dashboard.py [--rows 2000000] [--runs 30] [--seed 7] [--parquet FILE]

``--parquet FILE`` also writes the facts as Parquet for ``bench/duckdb_parquet.py`` (the rejected analyst path).
Prints the figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from holdtrack.jurisdictions.models import Jurisdiction, Level  # noqa: E402
from holdtrack.reports import aggregates  # noqa: E402
from holdtrack.reports.aggregates import Filters  # noqa: E402
from holdtrack.reports.aggregates import cells as aggregate_cells  # noqa: E402
from holdtrack.reports.models import AggregateState, DetainerFact  # noqa: E402

FIRST_MONTH = date(2018, 1, 1)
MONTHS = 96  # 2018-01 .. 2025-12: 2M detainers ≈ 690 a day, national volume (domain.md D1)
NO_COOPERATION = {"CA", "IL", "OR", "WA", "CO", "NJ", "NY", "CT", "VT", "MA"}
FORMS = [("I247A", "HOLD", 0.84), ("I247N", "NOTIFY", 0.06), ("I247G", "NOTIFY", 0.04), ("I247D", "HOLD", 0.04)]
FORMS += [("I247", "HOLD", 0.015), ("I247X", "TRANSFER", 0.005)]


def month_add(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def places(rng: random.Random, n_leas: int) -> list[tuple[str, str, str, str, list[str], float]]:
    """Synthetic agencies on real counties: (state, AOR, county FIPS, ORI, facility codes, weight)."""
    counties = list(
        Jurisdiction.objects.filter(level=Level.COUNTY)
        .select_related("aor")
        .values_list("state_abbr", "aor__name", "fips")
    )
    if not counties:
        raise SystemExit("Load the reference data first: holdtrack load_reference")
    out = []
    for i in range(n_leas):
        state, aor, fips = counties[rng.randrange(len(counties))]
        weight = rng.lognormvariate(0, 1.9)  # heavy tail: ~9% of agencies get ~70% of detainers (domain.md D2)
        if state in ("CA", "TX"):
            weight *= 3.2
        ori = f"{state}{i:05d}00"[:9]
        codes = [f"{state}{i:05d}{chr(65 + k)}"[:12] for k in range(1 if rng.random() < 0.8 else 2)]
        out.append((state, aor or "", fips, ori, codes, weight))
    return out


def generate(rows: int, seed: int) -> tuple[int, float]:
    """COPY ``rows`` facts into reports_detainerfact. Returns (rows, seconds)."""
    rng = random.Random(seed)
    agencies = places(rng, 3700)
    cum, total = [], 0.0
    for a in agencies:
        total += a[5]
        cum.append(total)
    form_cum, acc = [], 0.0
    for f in FORMS:
        acc += f[2]
        form_cum.append(acc)
    import bisect

    t0 = time.perf_counter()
    table = DetainerFact._meta.db_table
    cols = [
        "detainer_id",
        "state_abbr",
        "aor",
        "county_fips",
        "ori",
        "facility_code",
        "form_type",
        "request_type",
        "prepared_at",
        "prepared_month",
        "lea_decision",
        "decided_month",
        "outcome_group",
        "outcome_month",
        "declined_month",
        "lapsed_month",
        "transferred_month",
        "elig_transfer_minutes",
        "to_agency_month",
        "closed_month",
        "flag_bits",
    ]
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {table}")
        raw = cur.cursor  # psycopg 3
        with raw.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for i in range(1, rows + 1):
                a = agencies[bisect.bisect(cum, rng.random() * total)]
                state, aor, fips, ori, codes, _ = a
                form, req, _ = FORMS[min(bisect.bisect(form_cum, rng.random() * acc), len(FORMS) - 1)]
                m = rng.randrange(MONTHS)
                prepared_month = month_add(FIRST_MONTH, m)
                day = rng.randrange(1, 28)
                prepared_at = f"{prepared_month:%Y-%m}-{day:02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}:00+00"
                refuse = state in NO_COOPERATION
                decided = rng.random() < 0.92
                decision = ""
                outcome = "OPEN_OR_UNKNOWN"
                declined = lapsed = transferred = to_agency = closed = None
                minutes = None
                lag = month_add(prepared_month, 1 if rng.random() < 0.3 else 0)
                if decided:
                    r = rng.random()
                    if (refuse and r < 0.75) or (not refuse and r < 0.03):
                        decision, outcome, declined = "DECLINE", "DECLINED_BY_LEA", lag
                    else:
                        decision = "HONOR_HOLD" if req == "HOLD" and not refuse else "NOTIFY_ONLY"
                        o = rng.random()
                        if o < 0.46:
                            outcome, transferred = "CUSTODY_TRANSFERRED", lag
                            minutes = int(min(rng.lognormvariate(5.3, 1.2), 2880))
                        elif o < 0.68:
                            outcome = "RELEASED_BEFORE_PICKUP"
                        elif o < 0.69:
                            outcome, lapsed = "HOLD_EXPIRED_RELEASED", lag
                        elif o < 0.78:
                            outcome = "LIFTED_BY_ICE"
                        elif o < 0.83:
                            outcome = rng.choice(["SUPERSEDED", "DUPLICATE"])
                        elif o < 0.88:
                            outcome, to_agency = "TRANSFERRED_WITH_CUSTODY", lag
                if outcome != "OPEN_OR_UNKNOWN":
                    closed = month_add(lag, 1 if rng.random() < 0.2 else 0)
                flags = 0
                if closed and rng.random() < 0.006:
                    flags = 1 << rng.randrange(8)
                values = (
                    i,
                    state,
                    aor,
                    fips,
                    ori,
                    codes[rng.randrange(len(codes))],
                    form,
                    req,
                    prepared_at,
                    prepared_month,
                    decision,
                    lag if decided else None,
                    outcome,
                    closed if outcome != "OPEN_OR_UNKNOWN" else None,
                    declined,
                    lapsed,
                    transferred,
                    minutes,
                    to_agency,
                    closed,
                    flags,
                )
                copy.write_row(values)
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {table}")
    return rows, time.perf_counter() - t0


def workload(rng: random.Random, runs: int) -> list[Filters]:
    """Varied filters: national and by state, AOR, county, ORI and facility; short and long periods; both bases."""
    by_state = Counter(dict(DetainerFact.objects.values_list("state_abbr").annotate(n=models.Count("pk"))))
    states = [s for s, _ in by_state.most_common(12)]
    aors = [a for a in DetainerFact.objects.values_list("aor", flat=True).distinct()[:30] if a]
    counties = list(
        aggregates.CellCounty.objects.filter(basis="I")
        .values_list("county_fips")
        .annotate(n=models.Sum("prepared"))
        .order_by("-n")
        .values_list("county_fips", flat=True)[:40]
    )
    oris = list(
        aggregates.CellFacility.objects.filter(basis="I")
        .values_list("ori")
        .annotate(n=models.Sum("prepared"))
        .order_by("-n")
        .values_list("ori", flat=True)[:60]
    )
    facilities = list(aggregates.CellFacility.objects.filter(ori__in=oris[:20]).values_list("facility_code", flat=True))
    end_max = month_add(FIRST_MONTH, MONTHS - 1)
    out: list[Filters] = []
    kinds = ["national", "state", "aor", "county", "lea", "facility"]
    for i in range(runs):
        months = rng.choice([1, 3, 12, 12, 24, 96])
        end = month_add(end_max, -rng.randrange(0, 24)) if months < 96 else end_max
        start = max(FIRST_MONTH, month_add(end, -(months - 1)))
        basis = "I" if i % 3 else "E"
        kind = kinds[i % len(kinds)]
        f = Filters(start=start, end=end, basis=basis)
        if kind == "state":
            f = f.with_(state=rng.choice(states))
        elif kind == "aor" and aors:
            f = f.with_(aor=rng.choice(aors))
        elif kind == "county":
            f = f.with_(county=rng.choice(counties))
        elif kind == "lea":
            f = f.with_(ori=rng.choice(oris))
        elif kind == "facility":
            f = f.with_(facility=rng.choice(facilities))
        out.append(f)
    out[0] = Filters(start=FIRST_MONTH, end=end_max)  # the heaviest: national, all 96 months
    return out


def plain_group_by(f: Filters) -> float:
    """The same breakdown computed by one GROUP BY over the fact rows (no summary tables)."""
    table = DetainerFact._meta.db_table
    group = aggregates.GROUP_COLUMN[f.drill_group]
    month = "prepared_month"
    where = [f"{month} BETWEEN %s AND %s"]
    params: list[Any] = [f.start, f.end]
    for column, value in f.place_filter().items():
        where.append(f"{column} = %s")
        params.append(value)
    sql = (
        f"SELECT {group}, count(*), count(decided_month), count(declined_month), "  # noqa: S608
        "sum(CASE WHEN outcome_group = 'RELEASED_BEFORE_PICKUP' THEN 1 ELSE 0 END), count(lapsed_month), "
        "count(transferred_month), count(to_agency_month), sum(CASE WHEN flag_bits <> 0 THEN 1 ELSE 0 END), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY elig_transfer_minutes) "
        f"FROM {table} WHERE {' AND '.join(where)} GROUP BY {group}"
    )
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        cur.fetchall()
    return time.perf_counter() - t0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, math.ceil(p / 100 * len(ordered)) - 1)
    return ordered[k]


def incremental_cost(rng: random.Random, n: int = 1000) -> float:
    """Seconds to apply the cell deltas of ``n`` detainers whose outcome changed (the refresh path)."""
    from collections import defaultdict

    last = DetainerFact.objects.count()
    ids = [rng.randrange(1, last + 1) for _ in range(n)]
    old = DetainerFact.objects.in_bulk(ids)
    deltas: dict[Any, Counter[str]] = defaultdict(Counter)
    changed = []
    for fact in old.values():
        new = DetainerFact(**{f.attname: getattr(fact, f.attname) for f in DetainerFact._meta.concrete_fields})
        new.outcome_group, new.outcome_month = "RELEASED_BEFORE_PICKUP", fact.prepared_month
        for key, counts in aggregate_cells._diff(fact, new).items():
            deltas[key].update(counts)
        changed.append(new)
    t0 = time.perf_counter()
    with transaction.atomic():
        aggregate_cells._apply(deltas)  # the outcome moved: counts only, the transfer-time histogram is unchanged
        DetainerFact.objects.bulk_update(changed, ["outcome_group", "outcome_month"], batch_size=1000)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--parquet", help="also write the facts to this Parquet file")
    parser.add_argument("--skip-load", action="store_true", help="reuse the rows already loaded")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Run on PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/holdtrack_bench")
    call_command("migrate", verbosity=0)
    if not Jurisdiction.objects.filter(level=Level.COUNTY).exists():
        call_command("load_reference", verbosity=0)
    results: dict[str, Any] = {"rows": args.rows, "runs": args.runs, "seed": args.seed}
    if not args.skip_load:
        n, secs = generate(args.rows, args.seed)
        results["load_seconds"] = round(secs, 1)
        print(f"loaded {n:,} detainer facts in {secs:.1f} s (COPY)")
        t0 = time.perf_counter()
        aggregates.rebuild_cells()
        results["build_cells_seconds"] = round(time.perf_counter() - t0, 1)
        print(f"built the summary cells in {results['build_cells_seconds']} s (SQL)")
        AggregateState.objects.update_or_create(pk=1, defaults={"rebuilt_at": timezone.now()})
    for model in (aggregates.CellFacility, aggregates.CellCounty, aggregates.CellState):
        results[f"rows_{model._meta.model_name}"] = model.objects.count()
    results["rows_facts"] = DetainerFact.objects.count()
    print(
        "rows: facts {rows_facts:,}; cells facility {rows_cellfacility:,}, county {rows_cellcounty:,}, "
        "state {rows_cellstate:,}".format(**results)
    )

    rng = random.Random(args.seed + 1)
    filters = workload(rng, args.runs)
    for f in filters[:2]:  # warm the caches once
        aggregates.dashboard(f)
        plain_group_by(f)

    from django.test import Client

    from holdtrack.accounts.models import Role, User
    from holdtrack.reports.views import query_of

    user, _ = User.objects.get_or_create(username="bench-analyst", defaults={"role": Role.ANALYST})
    client = Client()
    client.force_login(user)
    from django.test.utils import override_settings

    data_t, page_t, plain_t = [], [], []
    with override_settings(ROOT_URLCONF="tests.reports.urls", ALLOWED_HOSTS=["testserver"]):
        for f in filters:
            t0 = time.perf_counter()
            aggregates.dashboard(f)
            data_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            r = client.get("/reports/?" + query_of(f))
            page_t.append(time.perf_counter() - t0)
            assert r.status_code == 200
            plain_t.append(plain_group_by(f))
    heavy = filters[0]
    results["heaviest_filter"] = "national, 96 months, issue basis"
    results["heaviest_dashboard_ms"] = round(data_t[0] * 1000, 1)
    results["heaviest_plain_group_by_ms"] = round(plain_t[0] * 1000, 1)
    for name, values in (("dashboard_query", data_t), ("dashboard_page", page_t), ("plain_group_by", plain_t)):
        results[f"{name}_p50_ms"] = round(pct(values, 50) * 1000, 1)
        results[f"{name}_p95_ms"] = round(pct(values, 95) * 1000, 1)
        results[f"{name}_max_ms"] = round(max(values) * 1000, 1)
    results["ratio_plain_over_dashboard_p50"] = round(pct(plain_t, 50) / pct(data_t, 50), 1)
    results["ratio_plain_over_dashboard_p95"] = round(pct(plain_t, 95) / pct(data_t, 95), 1)
    results["ratio_plain_over_dashboard_mean"] = round(statistics.mean(plain_t) / statistics.mean(data_t), 1)
    results["incremental_1000_detainers_ms"] = round(incremental_cost(rng) * 1000, 1)
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        results["postgresql"] = cur.fetchone()[0]
    print(
        f"heaviest filter ({results['heaviest_filter']}): dashboard {results['heaviest_dashboard_ms']} ms, "
        f"plain GROUP BY {results['heaviest_plain_group_by_ms']} ms"
    )
    for name in ("dashboard_query", "dashboard_page", "plain_group_by"):
        print(
            f"{name:16s} p50 {results[f'{name}_p50_ms']:8.1f} ms   p95 {results[f'{name}_p95_ms']:8.1f} ms   "
            f"max {results[f'{name}_max_ms']:8.1f} ms   ({len(filters)} runs)"
        )
    print(
        f"plain GROUP BY / dashboard query: {results['ratio_plain_over_dashboard_p50']}× at p50, "
        f"{results['ratio_plain_over_dashboard_p95']}× at p95, {results['ratio_plain_over_dashboard_mean']}× on the mean"
    )
    print(f"incremental upkeep: {results['incremental_1000_detainers_ms']} ms for 1,000 changed detainers")
    if args.parquet:
        write_parquet(Path(args.parquet))
        results["parquet"] = args.parquet
        print(f"facts written to {args.parquet}; the filters are in {args.parquet}.filters.json")
        Path(args.parquet + ".filters.json").write_text(
            json.dumps(
                [{**f.__dict__, "start": str(f.start), "end": str(f.end), "group": f.drill_group} for f in filters]
            )
        )
    print(json.dumps(results, indent=1, default=str))
    del heavy


def write_parquet(path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    table = DetainerFact._meta.db_table
    with connection.cursor() as cur, cur.cursor.copy(f"COPY {table} TO STDOUT (FORMAT csv, HEADER)") as copy:
        for chunk in copy:
            buf.write(chunk)
    buf.seek(0)
    pq.write_table(pacsv.read_csv(buf), path, compression="zstd")


if __name__ == "__main__":
    main()
