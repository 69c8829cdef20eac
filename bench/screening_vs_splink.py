"""Benchmark 3 (issue 3): our screening pipeline vs splink 5's own batch linkage, same registry, same bookings,
same model.

- builds (or reuses) a synthetic registry of ``--size`` subjects in the database (``simulate registry``),
  trains and stores the model with splink if none is active;
- generates ``--bookings`` corrupted bookings (``--in-registry-share`` of them registry people) with ground
  truth and stores them (a benchmark may bulk-load its fixture; the product path is the importer);
- OURS: candidate retrieval from the database through the indexed blocking keys + scoring with the stored
  parameters (timed alone), and ``screen_bookings`` end to end (retrieval, scoring, persistence of the
  PROPOSED matches with their transitions and audit event), in batches of ``--batch``;
- SPLINK: the registry and bookings loaded from the database into DuckDB (timed), then
  ``predict_between`` with the same model and its blocking rules (timed);
- precision / recall / F1 of both against the ground truth at the review threshold.

Usage (PostgreSQL; a database of your own):

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE ht_bench3'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ht_bench3 HOLDTRACK_VAR_DIR=/tmp/ht-bench3 \\
        .venv/bin/python bench/screening_vs_splink.py [--size 100000] [--bookings 5000] [--seed 1]

Prints the figures with the machine, sizes and seed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from holdtrack.accounts.services import system_user  # noqa: E402
from holdtrack.custody.models import Booking, IdentityMatch, Subject  # noqa: E402
from holdtrack.jurisdictions.models import (  # noqa: E402
    AreaOfResponsibility,
    Facility,
    Jurisdiction,
    LawEnforcementAgency,
)
from holdtrack.screening import candidates as cand  # noqa: E402
from holdtrack.screening.keys import sound, splink_record  # noqa: E402
from holdtrack.screening.models import RegistryKey  # noqa: E402
from holdtrack.screening.services import (  # noqa: E402
    active_model,
    scorer_for,
    screen_booking,
    screen_bookings,
    subject_keys,
)
from holdtrack.simulation.registry import generate_bookings, registry_build, registry_sample_from_db  # noqa: E402


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
        )
        mem = f"{mem_kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        mem = "RAM unknown"
    db = connection.vendor
    if db == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            db = f"PostgreSQL {cur.fetchone()[0].split()[0]}"
    return f"{os.cpu_count()} CPUs (nproc), {cpu}, {mem}, Python {platform.python_version()}, {db}"


def fixture_facility() -> Facility:
    aor, _ = AreaOfResponsibility.objects.get_or_create(name="Bench AOR")
    county, _ = Jurisdiction.objects.get_or_create(
        fips="99901", defaults={"level": "COUNTY", "name": "Bench County", "state_abbr": "ZZ", "aor": aor}
    )
    lea, _ = LawEnforcementAgency.objects.get_or_create(
        ori="ZZ9990100", defaults={"name": "Bench County Sheriff", "agency_type": "SHERIFF", "jurisdiction": county}
    )
    fac, _ = Facility.objects.get_or_create(
        code="ZZBENCH", defaults={"name": "Bench County Jail", "operator": lea, "timezone": "America/New_York"}
    )
    return fac


def store_bookings(rows: list[dict[str, Any]], fac: Facility) -> list[Booking]:
    subjects = Subject.objects.bulk_create(
        [
            Subject(
                first_name=r["first_name"],
                middle_name=r["middle_name"],
                last_name=r["last_name"],
                date_of_birth=date.fromisoformat(r["date_of_birth"]) if r["date_of_birth"] else None,
                sex=r["sex"] or "U",
                birth_country=r["birth_country"],
            )
            for r in rows
        ],
        batch_size=2000,
    )
    bookings = Booking.objects.bulk_create(
        [
            Booking(
                subject=s,
                facility=fac,
                custodian=fac.operator,
                booking_number=r["booking_number"],
                booked_at=datetime.fromisoformat(r["booked_at"].replace("Z", "+00:00")),
                stated_birth_country=r["birth_country"],
                fbi_number=r.get("fbi_number", ""),
            )
            for s, r in zip(subjects, rows, strict=True)
        ],
        batch_size=2000,
    )
    return bookings


def prf(pred: set[tuple[str, int]], truth: set[tuple[str, int]]) -> tuple[float, float, float]:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--bookings", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=5_000)
    ap.add_argument("--in-registry-share", type=float, default=0.7)
    ap.add_argument("--bookings-seed", type=int, default=0, help="fixed seed of the generated bookings")
    ap.add_argument("--single", type=int, default=200, help="bookings screened one at a time for latency")
    args = ap.parse_args()

    call_command("migrate", verbosity=0)
    print(f"machine: {machine()}")
    print(f"sizes: registry {args.size:,} subjects, {args.bookings:,} bookings "
          f"({args.in_registry_share:.0%} registry people), batch {args.batch:,}; seed {args.seed}")  # fmt: skip
    have = RegistryKey.objects.count()
    if have == 0:
        t = time.perf_counter()
        registry_build(size=args.size, seed=args.seed)
        print(f"registry built: {args.size:,} subjects in {time.perf_counter() - t:.1f} s")
    elif have != args.size:
        sys.exit(f"The database already holds a registry of {have:,} subjects; use a fresh database.")
    model = active_model()
    if model is None:
        from holdtrack.screening.training import screening_model_train
        from holdtrack.simulation.training import synthetic_training_bookings

        t = time.perf_counter()
        model = screening_model_train(
            synthetic_bookings=synthetic_training_bookings,
            actor=system_user(),
            seed=args.seed,
            bookings=min(20_000, args.size),
        )
        print(f"model trained with splink in {time.perf_counter() - t:.1f} s: {model.version} ({model.notes})")
    threshold = model.review_threshold
    print(f"model {model.version}, review threshold: match probability >= {threshold}")

    fac = fixture_facility()
    sample = registry_sample_from_db(min(args.size, max(args.bookings * 4, 20_000)), args.seed + 1000)
    gen = generate_bookings(
        registry_sample=sample,
        count=args.bookings,
        # Fresh booking numbers per run, unless --bookings-seed asks for the same bookings (to compare two
        # code versions on the same data, each in its own database).
        seed=args.bookings_seed or args.seed + 1000 + int(time.time()) % 100_000,
        in_registry_share=args.in_registry_share,
        agency_ori=fac.operator.ori,
        facility_code=fac.code,
    )
    bookings = store_bookings(gen.rows, fac)
    for b in bookings:
        b.subject  # noqa: B018  (loaded by bulk_create; keep it in the cache)
    truth = {(n, sid) for n, sid in gen.truth.items() if sid}
    number = {b.pk: b.booking_number for b in bookings}
    scorer = scorer_for(model)
    min_w = scorer.prior_weight  # placeholder, replaced below

    # ---- OURS: retrieval + scoring only
    import math

    min_w = math.log2(threshold / (1 - threshold))
    t = time.perf_counter()
    ours_bio: set[tuple[str, int]] = set()
    retrieved_pairs: set[tuple[str, int]] = set()
    pair_levels: dict[tuple[str, int], str] = {}
    n_cand = 0
    for start in range(0, len(bookings), args.batch):
        part = bookings[start : start + args.batch]
        keys = [subject_keys(b.subject) for b in part]
        retrieved = cand.retrieve(keys)
        for b, k, cands in zip(part, keys, retrieved, strict=True):
            rec = cand.booking_rec(k, b.fbi_number)
            n_cand += len(cands)
            for sid, other in cands:
                retrieved_pairs.add((b.booking_number, sid))
                if scorer.weight(rec, other) >= min_w:
                    ours_bio.add((b.booking_number, sid))
                    pair_levels[(b.booking_number, sid)] = " | ".join(
                        c.labels[lv] for c, lv in zip(scorer.comparisons, scorer.levels(rec, other), strict=True)
                    )
    t_ours_score = time.perf_counter() - t

    # ---- OURS: screen_bookings end to end (biometric first, retrieval, scoring, persistence)
    actor = system_user()
    t = time.perf_counter()
    proposed = 0
    for start in range(0, len(bookings), args.batch):
        r = screen_bookings(actor=actor, bookings=bookings[start : start + args.batch])
        proposed += r.proposed
    t_ours_e2e = time.perf_counter() - t
    ours_all = {
        (number[bid], sid)
        for bid, sid in IdentityMatch.objects.filter(booking_id__in=list(number)).values_list(
            "booking_id", "subject_id"
        )
    }

    # ---- OURS: single-booking screening latency (screen_booking, persistence included)
    single = store_bookings(
        generate_bookings(
            registry_sample=sample, count=args.single, seed=args.seed + 7 + int(time.time()) % 100_000,
            agency_ori=fac.operator.ori, facility_code=fac.code, prefix="ONE",
        ).rows,
        fac,
    )  # fmt: skip
    lat = []
    for b in single:
        t1 = time.perf_counter()
        screen_booking(actor=actor, booking=b)
        lat.append((time.perf_counter() - t1) * 1000)
    lat.sort()

    # ---- SPLINK: load from the database into DuckDB, then predict_between
    import duckdb

    from holdtrack.screening.splink_io import duckdb_table, predict_between_loaded

    t = time.perf_counter()
    con = duckdb.connect()
    reg_rows = (
        {
            "unique_id": f"r{k['subject_id']}",
            "first_norm": k["first_norm"] or None,
            "first_canon": k["first_canon"] or None,
            "middle_norm": k["middle_norm"] or None,
            "last_norm": k["last_norm"] or None,
            "last_tok1": k["last_tok1"] or None,
            "last_tok2": k["last_tok2"] or None,
            "first_sound": k["first_sound"] or None,
            "last_sound": k["last_sound"] or None,
            "last2_sound": sound(k["last_tok2"]) if " " in k["last_norm"] else None,
            "middle_sound": sound(k["middle_norm"].rsplit(" ", 1)[-1]) if k["middle_norm"] else None,
            "dob": k["dob"].isoformat() if k["dob"] else None,
            "dob_sw": None,
            "dob_ym": k["dob_ym"],
            "dob_md": k["dob_md"],
            "sex": k["sex"] or None,
            "country": k["country"] or None,
            "fbi": k["fbi_number"] or None,
        }
        for k in RegistryKey.objects.values().iterator(chunk_size=20_000)
    )
    from holdtrack.screening.keys import swap_day_month

    def with_sw(rows: Any) -> Any:
        for r in rows:
            if r["dob"]:
                sw = swap_day_month(date.fromisoformat(r["dob"]))
                r["dob_sw"] = sw.isoformat() if sw else None
            yield r

    duckdb_table(con, "registry", with_sw(reg_rows))
    duckdb_table(
        con,
        "bookings",
        ({**splink_record(b.booking_number, subject_keys(b.subject)), "fbi": b.fbi_number or None} for b in bookings),
    )
    t_splink_load = time.perf_counter() - t
    t = time.perf_counter()
    out = predict_between_loaded(con, model.splink_model, threshold_match_probability=min(threshold, 0.05))
    t_splink_predict = time.perf_counter() - t
    splink_pred = set()
    for o in out:
        a, b2 = o["unique_id_l"], o["unique_id_r"]
        reg, bk = (a, b2) if a.startswith("r") else (b2, a)
        if o["match_probability"] >= threshold:
            splink_pred.add((bk, int(reg[1:])))

    n = len(bookings)
    print()
    print(f"OURS  retrieval+scoring from the DB: {t_ours_score:.2f} s  ({t_ours_score / n * 1000:.3f} ms/booking, "
          f"{n_cand / n:.1f} candidates/booking)")  # fmt: skip
    print(f"OURS  screen_bookings end to end (with persistence, {proposed:,} matches proposed): {t_ours_e2e:.2f} s "
          f"({t_ours_e2e / n * 1000:.3f} ms/booking)")  # fmt: skip
    if lat:
        q = [lat[min(len(lat) - 1, int(len(lat) * f))] for f in (0.5, 0.95, 0.99)]
        print(f"OURS  screen_booking one at a time ({len(lat)} bookings): p50 {q[0]:.1f} ms, p95 {q[1]:.1f} ms, "
              f"p99 {q[2]:.1f} ms")  # fmt: skip
    print(f"SPLINK load registry+bookings from the DB into DuckDB: {t_splink_load:.2f} s")
    print(f"SPLINK predict_between (same model, same blocking rules): {t_splink_predict:.2f} s")
    print(f"ratio splink predict / ours retrieval+scoring: {t_splink_predict / t_ours_score:.2f}x; "
          f"splink load+predict / ours end to end: {(t_splink_load + t_splink_predict) / t_ours_e2e:.2f}x")  # fmt: skip
    for label, pred in (("OURS biographic", ours_bio), ("OURS with biometric", ours_all), ("SPLINK", splink_pred)):
        prec, rcl, f1 = prf(pred, truth)
        print(f"{label:22s} at p>={threshold}: precision {prec:.4f}  recall {rcl:.4f}  F1 {f1:.4f}  "
              f"({len(pred):,} pairs)")  # fmt: skip
    # Threshold sweep (splink's scores = ours, by parity): what another review threshold would give.
    for th in (0.05, 0.1, 0.2, 0.5, 0.8):
        pred_th = set()
        for o in out:
            a, b2 = o["unique_id_l"], o["unique_id_r"]
            reg, bk = (a, b2) if a.startswith("r") else (b2, a)
            if o["match_probability"] >= th:
                pred_th.add((bk, int(reg[1:])))
        prec, rcl, f1 = prf(pred_th, truth)
        print(f"sweep p>={th}: precision {prec:.4f}  recall {rcl:.4f}  F1 {f1:.4f}")
    fbi_of = {b.booking_number: b.fbi_number for b in bookings}
    for label, pred in (("OURS with biometric", ours_all), ("SPLINK", splink_pred)):
        n_conf, n_wrong = fbi_conflicts(pred, fbi_of, truth)
        print(f"{label:22s} links across conflicting FBI numbers at p>={threshold}: {n_conf} ({n_wrong} wrong)")
    same = len(ours_bio ^ splink_pred)
    print(f"pairs proposed by one of OURS-biographic/SPLINK only: {same}")
    diagnose_misses(truth - ours_bio, retrieved_pairs, gen.corruptions)
    from collections import Counter

    false_pos = Counter(pair_levels[p] for p in ours_bio - truth)
    print(f"false positives (biographic): {sum(false_pos.values())}, by comparison levels:")
    for levels, k in false_pos.most_common(10):
        print(f"  {k:4d}  {levels}")


def fbi_conflicts(pred: set[tuple[str, int]], fbi_of: dict[str, str], truth: set[tuple[str, int]]) -> tuple[int, int]:
    """Proposed pairs whose booking and registry FBI numbers are both present and more than one character
    apart (Damerau–Levenshtein), and how many of them are wrong."""
    from rapidfuzz.distance import DamerauLevenshtein

    sids = sorted({sid for number, sid in pred if fbi_of.get(number)})
    reg: dict[int, str] = {}
    for start in range(0, len(sids), 5000):
        reg.update(
            RegistryKey.objects.filter(subject_id__in=sids[start : start + 5000]).values_list(
                "subject_id", "fbi_number"
            )
        )
    conflicting = [
        (number, sid)
        for number, sid in pred
        if fbi_of.get(number) and reg.get(sid) and DamerauLevenshtein.distance(fbi_of[number], reg[sid]) > 1
    ]
    return len(conflicting), sum(1 for p in conflicting if p not in truth)


def diagnose_misses(
    missed: set[tuple[str, int]], retrieved: set[tuple[str, int]], corruptions: dict[str, list[str]]
) -> None:
    """Missed true pairs (biographic), split into not retrieved by blocking vs retrieved but scored below
    the threshold, by the corruptions the generator applied (the ground truth keeps them)."""
    from collections import Counter

    not_retrieved: Counter[str] = Counter()
    below: Counter[str] = Counter()
    for number, sid in missed:
        kinds = "+".join(k for k in corruptions.get(number, []) if k not in ("missing_middle", "accents_and_case"))
        (below if (number, sid) in retrieved else not_retrieved)[kinds or "(none)"] += 1
    print(f"missed true pairs: {len(missed)} — not retrieved {sum(not_retrieved.values())}, "
          f"retrieved but below threshold {sum(below.values())}")  # fmt: skip
    for label, counter in (("not retrieved", not_retrieved), ("below threshold", below)):
        for kinds, n in counter.most_common(15):
            print(f"  {label:16s} {n:4d}  {kinds}")


if __name__ == "__main__":
    main()
