"""Blocking rules: what each buys in recall and costs in candidates and time (issue 10: "the recall-versus-
throughput trade-off of the blocking rules measured and written down").

Against the registry stored in the database DATABASE_URL names (e.g. 1,000,000 subjects from
``holdtrack simulate registry``), bookings of registry people and of others are generated with their truth
(``simulation.registry.generate_bookings``), and the candidate retrieval of ``screening.candidates`` runs over
them in batches of 2,000, as screening does:

- with every rule;
- with the ten rules screening had before issue 10's blocking work;
- with every probe but one, for each probe (leave one out): the recall only that probe brings, and its cost
  (a probe is one or more rules on the same index, ``candidates._RULES``).

For each: blocking recall (the true subject among the candidates), candidates per booking, retrieval seconds
and bookings per second of retrieval alone; then the scoring cost of the candidates with the active model.
Nothing is written to the database. Prints figures only.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ht_b1m HOLDTRACK_VAR_DIR=/tmp/var_b1m
    .venv/bin/python bench/blocking_rules.py --bookings 5000 --seed 21
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import django

django.setup()

from ingest import machine  # noqa: E402

from holdtrack.screening import candidates as cand  # noqa: E402
from holdtrack.screening.frequencies import frequencies_for  # noqa: E402
from holdtrack.screening.fs_model import TF_FIELDS  # noqa: E402
from holdtrack.screening.keys import Keys, keys_for  # noqa: E402
from holdtrack.screening.models import RegistryKey  # noqa: E402
from holdtrack.screening.services import active_model, scorer_for  # noqa: E402
from holdtrack.simulation.registry import generate_bookings, registry_sample_from_db  # noqa: E402

BATCH = 2000
# Screening's blocking before issue 10's work, one probe per rule (for the comparison).
BEFORE = (
    "k.dob = b.dob AND k.last_sound = b.ls",
    "k.dob = b.dob AND k.first_sound = b.fs",
    "k.dob = b.dob_sw AND k.last_sound = b.ls",
    "k.dob = b.dob_sw AND k.first_sound = b.fs",
    "k.dob = b.dob AND k.last_sound = b.fs",
    "k.dob = b.dob AND k.first_sound = b.ls",
    "k.last_sound = b.ls AND k.first_sound = b.fs AND k.dob_ym = b.ym",
    "k.last_sound = b.ls AND k.first_sound = b.fs AND k.dob_md = b.md",
    "k.dob = b.dob AND k.last_sound = b.ls2",
    "k.dob = b.dob AND k.last_sound = b.ms",
)


def booking_keys(rows: list[dict[str, str]]) -> list[Keys]:
    return [
        keys_for(
            first_name=r["first_name"],
            middle_name=r["middle_name"],
            last_name=r["last_name"],
            date_of_birth=date.fromisoformat(r["date_of_birth"]) if r["date_of_birth"] else None,
            sex=r["sex"],
            birth_country=r["birth_country"],
        )
        for r in rows
    ]


def run(keys: list[Keys], rules: tuple[str, ...]) -> tuple[list[list[tuple[int, tuple[str, ...]]]], float]:
    saved = cand._RULES
    cand._RULES = rules
    try:
        started = time.perf_counter()
        out = []
        for start in range(0, len(keys), BATCH):
            out.extend(cand.retrieve(keys[start : start + BATCH]))
        return out, time.perf_counter() - started
    finally:
        cand._RULES = saved


def slips_with_digits(d: date) -> tuple[date, ...]:
    """``keys.dob_slips`` and every valid date one digit of the ISO date away (years 1900–2029)."""
    from holdtrack.screening.keys import dob_slips

    iso, out = d.isoformat(), set(dob_slips(d))
    for pos in (0, 1, 2, 3, 5, 6, 8, 9):
        for digit in "0123456789":
            try:
                near = date.fromisoformat(iso[:pos] + digit + iso[pos + 1 :])
            except ValueError:
                continue
            if near != d and 1900 <= near.year <= 2029:
                out.add(near)
    return tuple(sorted(out))


def deep_report(keys: list[Keys], truth: list[int | None], known: list[int]) -> None:
    """The deep rules as screening runs them: first and wide rules for every booking, the active model scores
    their candidates, and the deep rules probe the bookings with a DOB left without a candidate at the review
    threshold. Their cost is given per probed booking and spread over all bookings; plus the recall they add."""
    import math

    model = active_model()
    if model is None:
        sys.exit("no active screening model")
    scorer = scorer_for(model)
    bar = math.log2(model.review_threshold / (1 - model.review_threshold))
    earlier: list[set[int]] = [set() for _ in keys]
    deep: list[set[int]] = [set() for _ in keys]
    seconds = {"first": 0.0, "wide": 0.0, "deep": 0.0}
    probed = 0
    for start in range(0, len(keys), BATCH):
        part = list(range(start, min(start + BATCH, len(keys))))
        best = dict.fromkeys(part, -math.inf)
        for stage, flags in (("first", {}), ("wide", {"wide": True})):
            t = time.perf_counter()
            got = cand.retrieve([keys[i] for i in part], **flags)
            seconds[stage] += time.perf_counter() - t
            tf = frequencies_for((n, o[f]) for c in got for _, o in c for n, f in TF_FIELDS.items())
            for i, cands in zip(part, got, strict=True):
                earlier[i].update(sid for sid, _ in cands)
                rec = cand.booking_rec(keys[i])
                best[i] = max([best[i], *(scorer.weight(rec, o, tf) for _, o in cands)])
        which = [i for i in part if keys[i].dob is not None and best[i] < bar]
        probed += len(which)
        t = time.perf_counter()
        got = cand.retrieve([keys[i] for i in which], deep=True)
        seconds["deep"] += time.perf_counter() - t
        for i, cands in zip(which, got, strict=True):
            deep[i].update(sid for sid, _ in cands)
    new = [i for i in known if truth[i] in deep[i] and truth[i] not in earlier[i]]
    added = sum(len(deep[i] - earlier[i]) for i in range(len(keys)))
    print(f"deep rules: {probed:,} of {len(keys):,} bookings probed (a DOB, no candidate at {model.review_threshold}); "
          f"{added / max(probed, 1):.1f} new candidates per probed booking; {seconds['deep']:.2f} s = "
          f"{seconds['deep'] / max(probed, 1) * 1000:.2f} ms per probed booking = "
          f"{seconds['deep'] / len(keys) * 1000:.3f} ms per booking; first stage {seconds['first']:.2f} s, wide rules "
          f"{seconds['wide']:.2f} s (run here for all {len(keys):,}); true subjects found only by the deep rules: "
          f"{len(new)} of {len(known):,}")  # fmt: skip
    print(f"load average at end {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bookings", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument(
        "--deep", action="store_true",
        help="only the stage-three (deep) rules: their cost over every booking with a DOB (an upper bound: "
        "screening probes only the bookings left without a proposal) and the recall they add to the first two stages",
    )  # fmt: skip
    ap.add_argument(
        "--deep-digits", action="store_true",
        help="with --deep: probe every one-digit slip of the DOB too (about 35 dates; the variant not shipped)",
    )  # fmt: skip
    args = ap.parse_args()
    if args.deep_digits:
        cand.dob_slips = slips_with_digits  # type: ignore[assignment]

    print(f"machine: {machine()}")
    registry = RegistryKey.objects.count()
    sample = registry_sample_from_db(50_000, args.seed)
    gen = generate_bookings(registry_sample=sample, count=args.bookings, seed=args.seed, prefix="BR")
    rows = gen.rows
    truth = [gen.truth[r["booking_number"]] for r in rows]
    keys = booking_keys(rows)
    known = [i for i, t in enumerate(truth) if t is not None]
    no_dob = [i for i in known if keys[i].dob is None]
    print(
        f"registry {registry:,} subjects; {len(rows):,} bookings (seed {args.seed}), "
        f"{len(known):,} of registry people ({len(no_dob):,} of them without a DOB)"
    )

    def report(label: str, found: list[list[tuple[int, tuple[str, ...]]]], seconds: float) -> float:
        hits = sum(1 for i in known if truth[i] in {sid for sid, _ in found[i]})
        per = sum(len(c) for c in found) / len(found)
        recall = hits / len(known)
        print(
            f"| {label} | {recall:.4f} | {per:.1f} | {seconds:.2f} | {len(found) / seconds:,.0f} |",
            flush=True,
        )
        return recall

    if args.deep:
        deep_report(keys, truth, known)
        return
    all_rules = cand._RULES
    print("| rules | blocking recall | candidates per booking | retrieval s | bookings/s (retrieval) |")
    print("|---|---|---|---|---|")
    found_all, s_all = run(keys, all_rules)
    r_all = report(f"all {len(all_rules)}", found_all, s_all)
    found_old, s_old = run(keys, BEFORE)
    report(f"the {len(BEFORE)} rules before issue 10", found_old, s_old)
    print()
    print("Leave one out (what each probe alone adds):")
    print("| probe left out | recall lost | candidates per booking saved | retrieval s saved |")
    print("|---|---|---|---|")
    per_all = sum(len(c) for c in found_all) / len(found_all)
    for n, rule in enumerate(all_rules, 1):
        found, secs = run(keys, tuple(r for r in all_rules if r != rule))
        hits = sum(1 for i in known if truth[i] in {sid for sid, _ in found[i]})
        per = sum(len(c) for c in found) / len(found)
        print(f"| {n}. `{rule}` | {r_all - hits / len(known):.4f} | {per_all - per:.2f} | {s_all - secs:.2f} |")

    model = active_model()
    if model is not None:
        scorer = scorer_for(model)
        started = time.perf_counter()
        pairs = 0
        for start in range(0, len(keys), BATCH):
            part = found_all[start : start + BATCH]
            tf = frequencies_for((n, o[f]) for c in part for _, o in c for n, f in TF_FIELDS.items())
            for k, cands in zip(keys[start : start + BATCH], part, strict=True):
                rec = cand.booking_rec(k)
                for _sid, other in cands:
                    scorer.weight(rec, other, tf)
                    pairs += 1
        secs = time.perf_counter() - started
        print(
            f"\nscoring with {model.version} and term frequencies: {pairs:,} pairs in {secs:.2f} s = "
            f"{pairs / secs:,.0f} pairs/s = {len(keys) / secs:,.0f} bookings/s (scoring alone)"
        )
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
