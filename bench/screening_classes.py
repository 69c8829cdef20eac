"""Recall per class of booking at other review thresholds (issue 10: "recall ≥ 0.99 over all proposals, whatever
threshold each class of booking uses"), on a database loaded through the CLI as an agency would
(``import agencies``, ``import registry``, ``import bookings``, ``screening train``), with the truth file of
``holdtrack simulate bookings --hard --truth``.

For each pair of thresholds (bookings with a DOB / without one) every stored booking is screened again with the
active model inside a transaction that is rolled back: nothing is stored. Prints, per class, the true pairs,
the recall over all proposals and the proposals made, and the best F1 over thresholds from the lower one up.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ht_cli .venv/bin/python bench/screening_classes.py \\
        --truth truth.json [--pairs 0.2/0.5/5,0.2/0.1/10,0.05/0.1/10] [--misses] [--set SPELLING_STAGE=0]

``--misses``: after the first pair, each true pair it did not propose is read again — whether any stage's rules
retrieve it (the booking's keys and their spelling corrections, all three rule sets) and its probability against
the booking as written or corrected (without the term-frequency adjustment) — and counted by class. Then its
*namesakes*: the registry records that agree with the booking on every field it carries (given name, middle name
if any, surname, sex, birth country, DOB if any; a DOB of 1 January, the feeds' default for an unknown day, as
its birth year only). A booking with N namesakes, the true record among them, cannot
have it proposed by any screening that keeps fewer than N proposals for it; the line "recall ceiling" counts the
pairs a screening keeping at most 10 / 30 / 100 proposals for a booking could still reach at best.

``--compared``: candidate recall per class — the true pairs whose registry record some stage of screening compared
with the booking (``_linkage.compared_as_screened``, every stage, ``--set`` applied), and the seconds that pass took.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django

django.setup()

from _linkage import compared_as_screened  # noqa: E402 - bench/ is the script's directory
from _settings import apply as apply_settings  # noqa: E402
from django.db import transaction  # noqa: E402

from holdtrack.accounts.services import system_user  # noqa: E402
from holdtrack.custody.models import Booking, IdentifierType, IdentityMatch, SubjectIdentifier  # noqa: E402
from holdtrack.screening import candidates as cand  # noqa: E402
from holdtrack.screening import namesakes, services, spelling, stages  # noqa: E402
from holdtrack.screening.fs_model import probability  # noqa: E402
from holdtrack.screening.services import active_model, screen_bookings  # noqa: E402

BATCH = 2000


def proposals(
    threshold: float, no_dob: float, bookings: list[Booking], no_dob_keep: int | None = None
) -> dict[tuple[str, int], float]:
    """(booking number, registry subject id) → probability, screened at these thresholds (and, for bookings
    without a DOB, keeping at most ``no_dob_keep`` proposals) and rolled back."""
    model = active_model()
    assert model is not None, "train a screening model first (holdtrack screening train)"
    model.review_threshold = threshold  # in memory only: the stored model is not changed
    kept, stages.NO_DOB_REVIEW_THRESHOLD = stages.NO_DOB_REVIEW_THRESHOLD, no_dob
    kept_keep = stages.MAX_PROPOSALS_NO_DOB
    stages.MAX_PROPOSALS_NO_DOB = no_dob_keep or kept_keep
    try:
        with transaction.atomic():
            IdentityMatch.objects.filter(booking__in=bookings).delete()
            for start in range(0, len(bookings), BATCH):
                screen_bookings(actor=system_user(), bookings=bookings[start : start + BATCH], model=model)
            rows = IdentityMatch.objects.values_list("booking__booking_number", "subject_id", "score")
            out = {(number, sid): float(score or 0.0) for number, sid, score in rows}
            transaction.set_rollback(True)
    finally:
        stages.NO_DOB_REVIEW_THRESHOLD = kept
        stages.MAX_PROPOSALS_NO_DOB = kept_keep
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--truth", type=Path, required=True, help="the truth JSON of simulate bookings --hard")
    ap.add_argument(
        "--pairs",
        default="0.2/0.5/5,0.2/0.2/5,0.2/0.1/5,0.2/0.1/10,0.2/0.05/10,0.05/0.1/10",
        help="DOB threshold/no-DOB threshold[/proposals kept without a DOB], comma-separated",
    )
    ap.add_argument("--misses", action="store_true", help="classify the true pairs the first pair misses")
    ap.add_argument(
        "--list", action="store_true", help="with --misses: one line per missed pair (booking, record, families)"
    )
    ap.add_argument("--compared", action="store_true", help="candidate recall per class (every stage)")
    ap.add_argument(
        "--set",
        default="",
        help="screening settings for this run, e.g. SPELLING_STAGE=0,bounds.WIDE_MAX_ROWS=50 (what a part brings)",
    )
    args = ap.parse_args()
    apply_settings(args.set)
    truth_file = json.loads(args.truth.read_text())
    truth: dict[str, str | None] = truth_file["truth"]
    families: dict[str, list[str]] = truth_file.get("families", {})  # screening_hard.py --truth-out writes them
    key_of = dict(SubjectIdentifier.objects.filter(type=IdentifierType.AGENCY_KEY).values_list("subject_id", "value"))
    bookings = list(Booking.objects.select_related("subject").order_by("pk"))
    no_dob = {b.booking_number for b in bookings if b.subject.date_of_birth is None}
    true = {(number, key) for number, key in truth.items() if key}
    print(f"{len(bookings):,} bookings, {len(true):,} true pairs ({sum(n in no_dob for n, _ in true):,} without a DOB)")
    if args.compared:
        candidate_recall(bookings, true, no_dob, key_of)
    for pair in args.pairs.split(","):
        parts = pair.split("/")
        dob_t, no_dob_t = float(parts[0]), float(parts[1])
        keep = int(parts[2]) if len(parts) > 2 else None
        found = {(n, key_of.get(sid)): p for (n, sid), p in proposals(dob_t, no_dob_t, bookings, keep).items()}
        recall = sum(p in found for p in true) / len(true)
        line = [
            f"thresholds {dob_t} / {no_dob_t} (no DOB, {keep or stages.MAX_PROPOSALS_NO_DOB} kept): "
            f"proposals {len(found):,}, recall {recall:.4f}"
        ]
        for label, member in (("with a DOB", lambda n: n not in no_dob), ("without", lambda n: n in no_dob)):
            cls = [p for p in true if member(p[0])]
            made = sum(1 for n, _ in found if member(n))
            line.append(f"{label}: recall {sum(p in found for p in cls) / max(1, len(cls)):.4f}, proposals {made:,}")
        best = 0.0
        for cut in sorted({dob_t, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95}):
            chosen = {p for p, v in found.items() if v >= cut}
            tp = len(chosen & true)
            if chosen and tp:
                prec, rec = tp / len(chosen), tp / len(true)
                best = max(best, 2 * prec * rec / (prec + rec))
        print("; ".join(line) + f"; best F1 {best:.4f}")
        if args.misses and pair == args.pairs.split(",")[0]:
            listing = families if args.list else None
            missed(sorted(true - set(found)), bookings, dob_t, no_dob_t, len(true), listing)


def candidate_recall(
    bookings: list[Booking], true: set[tuple[str, str]], no_dob: set[str], key_of: dict[int, str]
) -> None:
    started = time.perf_counter()
    keys = [services.subject_keys(b.subject) for b in bookings]
    compared, _ = compared_as_screened(bookings, keys)
    seconds = time.perf_counter() - started
    seen = {
        (b.booking_number, key_of.get(sid)) for b, found in zip(bookings, compared, strict=True) for sid, _ in found
    }
    line = [f"candidate recall (every stage) {sum(p in seen for p in true) / len(true):.4f}"]
    for label, member in (("with a DOB", lambda n: n not in no_dob), ("without", lambda n: n in no_dob)):
        cls = [p for p in true if member(p[0])]
        line.append(f"{label} {sum(p in seen for p in cls) / max(1, len(cls)):.4f} ({len(cls):,} pairs)")
    pairs = sum(len(found) for found in compared)
    print("; ".join(line) + f"; {pairs:,} compared pairs in {seconds:.1f} s")


def missed(
    pairs: list[tuple[str, str]],
    bookings: list[Booking],
    dob_t: float,
    no_dob_t: float,
    n_true: int,
    listing: dict[str, list[str]] | None = None,
) -> None:
    """Why each missed pair was missed: never retrieved, or retrieved and scored below (or beyond the proposals
    kept at) its class's threshold. ``listing`` (the truth file's families, possibly empty): also one line per
    pair — the booking's keys, the record's, the families applied, retrieval, probability and namesakes."""
    model = active_model()
    assert model is not None
    scorer, vocab = services.scorer_for(model), spelling.vocabulary()
    by_number = {b.booking_number: b for b in bookings}
    sid_of = dict(SubjectIdentifier.objects.filter(type=IdentifierType.AGENCY_KEY).values_list("value", "subject_id"))
    counts: dict[str, int] = {}
    crowded = {10: 0, 30: 0, 100: 0}  # missed pairs whose true record is one of more than N namesakes
    for number, key in pairs:
        b, target = by_number[number], sid_of[key]
        k = services.subject_keys(b.subject)
        if k.dob is not None and (k.dob.month, k.dob.day) == (1, 1):
            # the feeds' default for an unknown day and month: its namesakes are every record of the birth year
            year = namesakes.matching(replace(k, dob=None)).filter(dob__year=k.dob.year)
            ids = set(year.values_list("subject_id", flat=True))
        else:
            ids = set(namesakes.matching(k).values_list("subject_id", flat=True))  # every field the booking carries
        if target in ids:
            for bound in crowded:
                crowded[bound] += len(ids) > bound
        readings = [k, *(spelling.corrected(k, vocab) if vocab else [])]
        found = any(
            target in {sid for sid, _ in cand.retrieve([r], **stage)[0]}
            for r in readings
            for stage in ({}, {"wide": True}, {"deep": True})
        )
        rec = cand.registry_rec(target)
        p = max(probability(scorer.weight(cand.booking_rec(r, b.fbi_number, b.a_number), rec)) for r in readings)
        bar = dob_t if k.dob else no_dob_t
        label = (
            f"{'with a DOB' if k.dob else 'without a DOB'}, "
            f"{'retrieved' if found else 'not retrieved'}, {'p ≥' if p >= bar else 'p <'} its threshold"
        )
        counts[label] = counts.get(label, 0) + 1
        if listing is not None:
            shown = "|".join(str(v) for v in cand.booking_rec(k, b.fbi_number)[:9])
            print(
                f"    {number} [{', '.join(listing.get(number, []))}] {label}, p {p:.3f}, namesakes {len(ids)}\n"
                f"      booking {shown}\n      record  {'|'.join(str(v) for v in rec[:9])}"
            )
    print("  missed pairs, by class / retrieval / probability (without term frequencies):")
    for label, n in sorted(counts.items()):
        print(f"    {label}: {n}")
    print(
        "  recall ceiling (missed pairs whose true record is one of more than N namesakes of the booking, which no "
        "screening keeping N proposals for it tells apart; recall without them by chance): "
        + ", ".join(f"N = {bound}: {crowded[bound]} pairs, {1 - crowded[bound] / n_true:.4f}" for bound in crowded)
    )


if __name__ == "__main__":
    main()
