"""The harder synthetic benchmark (issue 10 §3 (a)): holdtrack and splink 5 in one script, on the same rows.

Data: ``holdtrack.simulation.hard`` — a registry of ``--size`` people with near-miss relatives (twins,
siblings, parent/child, namesakes with another DOB, namesakes with the same DOB and another FBI number) and
``--count`` bookings with every corruption family of the independent test set that beat the screening (name
variety, agency habits, five DOB errors, middle name as first, nickname, transliteration, second surname in the
middle name, swapped names), each booking's families in its truth.

- holdtrack through the product path: the registry CSV → ``intake.registry.registry_import``; the feed CSV →
  ``intake.bookings.bookings_import(screen=False)``; ``screening_model_train`` on the stored bookings (the
  synthetic-booking path if the sanity gates refuse it, printed); ``bookings_rescreen`` screens every booking.
  Every ``IdentityMatch`` is a proposal; pairs are mapped to registry keys by the ``AGENCY_KEY`` identifier.
- splink 5 (DuckDB, ``link_only``, unsupervised) on the same rows, twice (``splink_run``), names upper-cased and
  accents stripped as an analyst would, FBI number exact / one character / different, sex, birth country, the
  same blocking rules (DOB; surname 3 letters + year; given name 2 letters + month and day; given name + surname;
  FBI number), prior from the rule names + DOB, u by random sampling, EM blocked on DOB, then:
  ``plain`` — the FEBRL4 bench's comparisons (names Jaro–Winkler, DOB exact / one / two characters), then EM on
  given name + surname; ``library`` — splink's own person comparisons (``ForenameSurnameComparison`` with a
  term-frequency adjustment on the full name, ``DateOfBirthComparison`` with its month / year levels), then m
  from the pairs sharing an FBI number (``estimate_m_from_label_column``) instead of the names EM session, which
  drifts to "same common name" here. The target is measured against the better of the two.
- Figures: P/R/F1 by threshold, best F1 and the ratio, recall at the review threshold, holdtrack's blocking
  recall, recall at 0.5 per corruption family, wrong links per near-miss kind, links across conflicting FBI
  numbers (both present, more than one character apart) and how many are wrong, candidate pairs, seconds.

Usage (PostgreSQL; a throwaway database of your own whose name contains "hard" — the script DROPS and creates it):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ht_hard HOLDTRACK_VAR_DIR=/tmp/var-hard \\
        .venv/bin/python bench/screening_hard.py [--size 100000] [--count 5000] [--seed 1] [--json out.json]

Prints the figures with the machine; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _linkage import (  # noqa: E402
    REVIEW,
    THRESHOLDS,
    Pair,
    bench_agency,
    compared_as_screened,
    figures,
    machine,
    recreate_database,
    splink_pairs,
    splink_weights,
)

ORI, FACILITY = "ZZ9990200", "ZZHARD"
FAMILY_THRESHOLD = 0.5
SPLINK_CONFIGS = ("plain", "library")


def holdtrack_run(world: Any, gen: Any, seed: int, work: Path) -> dict[str, Any]:
    """Import, train, rescreen (module docstring); the proposals as [booking, registry key, score, basis]."""
    from django.core.management import call_command

    from holdtrack.accounts.services import system_user
    from holdtrack.core.errors import ValidationFailed
    from holdtrack.custody.models import Booking, IdentifierType, IdentityMatch, SubjectIdentifier
    from holdtrack.intake.bookings import bookings_import
    from holdtrack.intake.registry import registry_import
    from holdtrack.screening import training
    from holdtrack.screening.rescreen import bookings_rescreen
    from holdtrack.screening.services import scorer_for, subject_keys
    from holdtrack.simulation.hard import write_registry_csv
    from holdtrack.simulation.registry import write_bookings
    from holdtrack.simulation.training import synthetic_training_bookings

    call_command("migrate", verbosity=0)
    actor = system_user()
    lea = bench_agency(ORI, FACILITY, "Hard")
    res: dict[str, Any] = {}

    path = work / "registry.csv"
    write_registry_csv(world, path)
    t = time.perf_counter()
    imp = registry_import(actor=actor, path=path, synthetic=True)
    if imp.refused:
        sys.exit(f"registry import refused: {imp.problems}")
    res["t_registry_import"] = time.perf_counter() - t
    res["registry_rows"] = imp.created
    key_of = dict(SubjectIdentifier.objects.filter(type=IdentifierType.AGENCY_KEY).values_list("subject_id", "value"))

    feed = work / "bookings.csv"
    write_bookings(gen.rows, feed)
    t = time.perf_counter()
    bi = bookings_import(path=feed, max_bad_rows=len(gen.rows), screen=False)
    if bi.refused:
        sys.exit(f"booking import refused: {bi.refused}")
    res["t_bookings_import"] = time.perf_counter() - t
    res["bookings_rejected"] = bi.rows_rejected
    res["bookings_problems"] = bi.problems[:5]
    number_of = dict(Booking.objects.filter(custodian=lea).values_list("id", "booking_number"))
    res["booking_numbers"] = sorted(number_of.values())

    t = time.perf_counter()
    try:
        model = training.screening_model_train(synthetic_bookings=synthetic_training_bookings, actor=actor, seed=seed)
        res["training"] = "as the command trains"
    except ValidationFailed as exc:
        res["training_refusal"] = str(exc)
        training.MIN_STORED_BOOKINGS = 10**9  # the synthetic-booking path the command takes with few bookings
        model = training.screening_model_train(synthetic_bookings=synthetic_training_bookings, actor=actor, seed=seed)
        res["training"] = "synthetic bookings (stored-booking model refused by the gates)"
    res["t_train"] = time.perf_counter() - t
    scorer = scorer_for(model)
    res["model"] = {
        "version": model.version,
        "notes": model.notes,
        "threshold": model.review_threshold,
        "prior_weight": round(scorer.prior_weight, 2),
        "weights": {
            c.name: {c.labels[i]: round(w, 2) for i, w in enumerate(c.weights) if w is not None}
            for c in scorer.comparisons
        },
    }

    t = time.perf_counter()
    rr = bookings_rescreen(actor=actor)
    res["t_screen"] = time.perf_counter() - t
    res["candidates"] = rr.candidates
    res["deep"] = rr.deep
    res["biometric"] = rr.biometric
    res["proposals"] = [
        [number_of[b], key_of.get(s, f"?{s}"), score, basis]
        for b, s, score, basis in IdentityMatch.objects.values_list("booking_id", "subject_id", "score", "basis")
    ]

    # Candidate recall: is the true subject among the records screening compared with the booking, in any stage?
    sid_of = {v: k for k, v in key_of.items()}
    bookings = list(Booking.objects.filter(custodian=lea).select_related("subject").order_by("id"))
    retrieved, res["wide"] = compared_as_screened(bookings, [subject_keys(b.subject) for b in bookings])
    found = {}
    for b, cands in zip(bookings, retrieved, strict=True):
        true_key = gen.truth.get(b.booking_number)
        if true_key is not None:
            found[b.booking_number] = any(s == sid_of.get(true_key) for s, _ in cands)
    res["retrieved"] = found
    res["candidate_recall"] = sum(found.values()) / len(found) if found else 0.0
    return res


def norm_name(s: str | None) -> str | None:
    from holdtrack.simulation.hard import strip_accents

    out = " ".join(strip_accents(s or "").upper().replace("-", " ").split())
    return out or None


def splink_run(world: Any, gen: Any, booking_numbers: set[str], seed: int, config: str) -> dict[str, Any]:
    """splink 5 on the same registry rows and the bookings holdtrack accepted; ``config``: "plain" (the FEBRL4
    bench's comparisons) or "library" (splink's own person comparisons)."""
    import logging

    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    def rec(uid: str, first: str, middle: str, surname: str, dob: str, sex: str, country: str, fbi: str) -> dict:
        return {
            "unique_id": uid,
            "first_name": norm_name(first),
            "middle_name": norm_name(middle),
            "surname": norm_name(surname),
            "dob": dob.replace("-", "") or None,
            "sex": sex if sex in ("M", "F") else None,
            "birth_country": country or None,
            "fbi_number": fbi.upper() or None,
        }

    registry = pd.DataFrame(
        [
            rec(
                p.key,
                p.first_name,
                p.middle_name,
                p.surnames,
                p.date_of_birth.isoformat(),
                p.sex,
                p.birth_country,
                p.fbi_number,
            )
            for p in world.registry
        ]
    )
    bookings = pd.DataFrame(
        [
            rec(
                r["booking_number"],
                r["first_name"],
                r["middle_name"],
                r["last_name"],
                r["date_of_birth"],
                r["sex"],
                r["birth_country"],
                r["fbi_number"],
            )
            for r in gen.rows
            if r["booking_number"] in booking_numbers
        ]
    )
    if config == "library":
        # splink's own person comparisons: forename/surname with the swapped-names level and term-frequency
        # adjustment on the full name, the DOB comparison with its month / year / ten-year levels.
        for frame in (registry, bookings):
            frame["first_name_surname"] = [
                f"{f or ''} {s or ''}".strip() or None
                for f, s in zip(frame["first_name"], frame["surname"], strict=True)
            ]
        names: list[Any] = [
            cl.ForenameSurnameComparison(
                "first_name", "surname", forename_surname_concat_col_name="first_name_surname"
            ).configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y%m%d"),
        ]
    else:
        # As in the FEBRL4 bench: names Jaro-Winkler, DOB string distance.
        names = [
            cl.JaroWinklerAtThresholds("first_name", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("surname", [0.92, 0.8]),
            cl.LevenshteinAtThresholds("dob", [1, 2]),
        ]
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            *names,
            cl.LevenshteinAtThresholds("fbi_number", [1]),
            cl.ExactMatch("sex"),
            cl.ExactMatch("birth_country"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dob"),
            block_on("substr(surname, 1, 3)", "substr(dob, 1, 4)"),
            block_on("substr(first_name, 1, 2)", "substr(dob, 5, 4)"),
            block_on("first_name", "surname"),  # a missing or badly wrong DOB
            block_on("fbi_number"),
        ],
    )
    t0 = time.perf_counter()
    db_api = DuckDBAPI()
    left = db_api.register(registry, dataset_display_name="registry")
    right = db_api.register(bookings, dataset_display_name="bookings")
    linker = Linker([left, right], settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    if config == "library":
        # m for every comparison from the pairs that share an FBI number (a partial identifier as a label, as
        # holdtrack measures its rule recall), which leaves no EM session free to drift to "same common name".
        linker.training.estimate_m_from_label_column("fbi_number")
    else:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    t_train = time.perf_counter() - t0
    t1 = time.perf_counter()
    df = linker.inference.predict().as_pandas_dataframe()
    t_predict = time.perf_counter() - t1
    return {
        "proposals": splink_pairs(df),
        "candidates": len(df),
        "t_train": t_train,
        "t_predict": t_predict,
        "weights": splink_weights(linker),
    }


def by_family(
    proposals: list[list[Any]], gen: Any, numbers: set[str], threshold: float
) -> dict[str, tuple[int, float, int]]:
    """Per family (and booking-kind tag): bookings, recall at ``threshold`` (of those with a true subject; -1 if
    none has one), bookings with a wrong link at or above ``threshold``."""
    linked: dict[str, set[str]] = {}
    for n, o, p, _ in proposals:
        if p is not None and p >= threshold:
            linked.setdefault(n, set()).add(o)
    rows: dict[str, list[int]] = {}
    for n in numbers:
        truth = gen.truth[n]
        kinds = gen.families[n]
        name_dob = [k for k in kinds[1:] if k not in ("upper_case", "stripped_accents", "missing_sex",
                                                      "missing_country", "dropped_middle")]  # fmt: skip
        tags = [*kinds, "all bookings"]
        if truth is not None and not name_dob:
            tags.append("no name or DOB family (habits only)")
        for tag in tags:
            r = rows.setdefault(tag, [0, 0, 0, 0])  # bookings, with truth, found, wrong
            r[0] += 1
            got = linked.get(n, set())
            if truth is not None:
                r[1] += 1
                r[2] += truth in got
            r[3] += bool(got - {truth})
    return {k: (v[0], v[2] / v[1] if v[1] else -1.0, v[3]) for k, v in rows.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100_000, help="registry subjects")
    ap.add_argument("--count", type=int, default=5_000, help="bookings")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    ap.add_argument(
        "--truth-out", type=Path, default=None,
        help="write the bookings' truth for bench/screening_classes.py --truth (the database is left as screened)",
    )  # fmt: skip
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database of your own (see the module docstring)")
    recreate_database(url, "hard")
    print(f"machine: {machine()}")
    started = time.perf_counter()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")
    import django

    django.setup()

    from holdtrack.simulation.hard import family_counts, hard_bookings, hard_world

    world = hard_world(args.size, args.seed)
    gen = hard_bookings(world, count=args.count, seed=args.seed, agency_ori=ORI, facility_code=FACILITY)
    if args.truth_out:
        args.truth_out.write_text(json.dumps({"truth": gen.truth, "families": gen.families}))
    with tempfile.TemporaryDirectory() as tmp:
        ours = holdtrack_run(world, gen, args.seed, Path(tmp))
    numbers = set(ours["booking_numbers"])
    splinks = {f"splink {c}": splink_run(world, gen, numbers, args.seed, c) for c in SPLINK_CONFIGS}

    truth: set[Pair] = {(n, k) for n, k in gen.truth.items() if k is not None and n in numbers}
    fbi = {p.key: p.fbi_number for p in world.registry} | {r["booking_number"]: r["fbi_number"] for r in gen.rows}
    print(f"registry {ours['registry_rows']:,} subjects ({sum(1 for p in world.registry if p.relative):,} in "
          f"near-miss pairs, {len(world.outside_relatives):,} relatives outside), bookings {len(numbers):,} of "
          f"{args.count:,} imported ({ours['bookings_rejected']} rejected), true pairs {len(truth):,}; "
          f"review threshold {REVIEW}")  # fmt: skip
    for p in ours["bookings_problems"]:
        print(f"  booking import: {p}")
    if ours.get("training_refusal"):
        print(f"  model trained on the stored bookings REFUSED by the gates: {ours['training_refusal']}")
    print(f"holdtrack model: {ours['training']}; {ours['model']['version']}; {ours['model']['notes']}")
    print(f"holdtrack weights (bits): prior {ours['model']['prior_weight']}; {ours['model']['weights']}")
    print(f"holdtrack: import registry {ours['t_registry_import']:.1f} s, bookings {ours['t_bookings_import']:.1f} s,"
          f" train {ours['t_train']:.1f} s, rescreen {ours['t_screen']:.1f} s; {ours['biometric']:,} biometric; "
          f"{ours['candidates']:,} candidates, {ours['wide']:,} bookings probed by the wide rules, {ours['deep']:,} by "
          f"the deep rules; "
          f"candidate recall (every stage) {ours['candidate_recall']:.4f}")  # fmt: skip
    for name, res in splinks.items():
        print(f"{name} weights (bits): {res['weights']}")
        print(f"{name}: train {res['t_train']:.1f} s, predict {res['t_predict']:.1f} s")

    systems = {"holdtrack": ours, **splinks}
    rows: dict[str, dict[str, Any]] = {}
    for system, res in systems.items():
        ht = system == "holdtrack"
        f = figures(res["proposals"], truth, fbi, 1, ours["model"]["threshold"] if ht else 0.0)
        # splink scores every blocked pair: its recall over all proposals is its candidate (blocking) recall.
        f["blocking_recall"] = ours["candidate_recall"] if ht else f["recall_all"]
        f["candidates"] = res["candidates"]
        f["seconds"] = res["t_train"] + (res["t_screen"] if ht else res["t_predict"])
        rows[system] = f
    print(
        "\n| system | best F1 (threshold) | P / R at 0.2 | recall, all proposals | candidate recall "
        "| links across conflicting FBI numbers at ≥ 0.2 (wrong) | candidate pairs | seconds (train + link) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for system, f in rows.items():
        p, rc, _ = f["sweep"][REVIEW]
        print(f"| {system} | {f['best'][0]:.4f} ({f['best'][1]}) | {p:.4f} / {rc:.4f} | {f['recall_all']:.4f} | "
              f"{f['blocking_recall']:.4f} | {f['conflicts'][0]} ({f['conflicts'][1]}) | {f['candidates']:,} | "
              f"{f['seconds']:.1f} |")  # fmt: skip
    print("\nP / R / F1 by threshold:")
    print("| system | " + " | ".join(str(t) for t in THRESHOLDS) + " |")
    print("|---|" + "---|" * len(THRESHOLDS))
    for system, f in rows.items():
        print(f"| {system} | " + " | ".join(f"{p:.3f} / {r:.3f} / {f1:.3f}" for p, r, f1 in f["sweep"].values())
              + " |")  # fmt: skip
    best_splink = max(splinks, key=lambda k: rows[k]["best"][0])
    ours_f1, theirs_f1 = rows["holdtrack"]["best"][0], rows[best_splink]["best"][0]
    print(f"\nbest F1 holdtrack / {best_splink} (the better splink) = {ours_f1:.4f} / {theirs_f1:.4f} = "
          f"{ours_f1 / theirs_f1 if theirs_f1 else float('nan'):.3f} (difference {100 * (ours_f1 - theirs_f1):+.1f}"
          f" points; target ≥ +2)")  # fmt: skip

    fams = {system: by_family(res["proposals"], gen, numbers, FAMILY_THRESHOLD) for system, res in systems.items()}
    not_retrieved = Counter(k for n, ok in ours["retrieved"].items() if not ok for k in gen.families[n])
    with_truth = Counter(k for n in ours["retrieved"] for k in gen.families[n])
    print(f"\nPer family, at {FAMILY_THRESHOLD}: recall of the bookings with a true subject; candidates = holdtrack's "
          "candidate recall (every stage); wrong = bookings linked to another subject:")  # fmt: skip
    names = list(systems)
    print("| family | bookings | " + " | ".join(f"recall {s}" for s in names) + " | candidates holdtrack | "
          + " | ".join(f"wrong {s}" for s in names) + " |")  # fmt: skip
    print("|---|---:|" + "---:|" * (2 * len(names) + 1))

    def cell(x: float) -> str:
        return "—" if x < 0 else f"{x:.3f}"

    order = sorted(
        fams["holdtrack"], key=lambda k: (k.startswith("near_miss"), k == "outsider", k != "all bookings", k)
    )
    family_table: dict[str, dict[str, Any]] = {}
    for k in order:
        n = fams["holdtrack"][k][0]
        blk = 1 - not_retrieved[k] / with_truth[k] if with_truth[k] else -1.0
        entry: dict[str, Any] = {"bookings": n, "blocking_holdtrack": blk}
        for s in names:
            _, recall, wrong = fams[s].get(k, (n, -1.0, 0))
            entry[f"recall {s}"], entry[f"wrong {s}"] = recall, wrong
        family_table[k] = entry
        print(f"| {k} | {n:,} | " + " | ".join(cell(entry[f"recall {s}"]) for s in names) + f" | {cell(blk)} | "
              + " | ".join(str(entry[f"wrong {s}"]) for s in names) + " |")  # fmt: skip
    print(f"\nfamilies drawn: {family_counts(gen)}")
    print(f"total {time.perf_counter() - started:.0f} s; load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "size": args.size,
                    "count": args.count,
                    "seed": args.seed,
                    "figures": rows,
                    "families": family_table,
                    "holdtrack_model": ours["model"],
                    "splink_weights": {k: v["weights"] for k, v in splinks.items()},
                    "seconds": {k: v for k, v in ours.items() if k.startswith("t_")},
                },
                default=str,
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
