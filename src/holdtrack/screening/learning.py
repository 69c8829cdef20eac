"""Learning from the officers' decisions: labelled pairs, m estimated from them, and the shadow comparison that
decides whether a new model version may replace the active one.

Labels. Every biographic identity match an officer decided is a labelled pair: CONFIRMED is a true match,
REJECTED a false one. A match confirmed and later revoked ends REJECTED (the records were found to be two
people) and counts as a negative: the last decision is the one the agency stands by. Biometric matches (an
equal FBI number) are left out: biographic scoring never ran on them.

Both records of a pair are rebuilt the way screening builds them (``services.subject_keys`` and
``candidates.booking_rec`` on each side, the registry side with its stored FBI number), and their comparison
levels come from the scorer's own level functions, so what is counted here is exactly what is scored.

Caveat: the labels are the pairs screening proposed, so confirmed pairs over-represent high agreement (a true
match that no model proposed is never labelled). m from labels is therefore blended with the unsupervised m
(``PSEUDO_PAIRS``), and the shadow comparison measures recall among the proposals officers confirmed, not
recall over all true matches.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from holdtrack.accounts.models import User
from holdtrack.audit.services import audit_record
from holdtrack.core.errors import ValidationFailed
from holdtrack.custody.models import IdentityMatch, MatchBasis, MatchStatus
from holdtrack.kernel.parties import authorize
from holdtrack.kernel.steps import when
from holdtrack.screening import candidates as cand
from holdtrack.screening.frequencies import frequencies_for
from holdtrack.screening.fs_model import TF_FIELDS, Rec, Scorer, TermFrequencies, weight_for_probability
from holdtrack.screening.gates import model_gate_failures
from holdtrack.screening.models import RegistryKey, ScreeningModel
from holdtrack.screening.services import BIOMETRIC_VERSION, NO_DOB_REVIEW_THRESHOLD, scorer_for, subject_keys
from holdtrack.screening.splink_io import settle_unseen_levels

# Fewer confirmed decisions than this and `train --labels` refuses: with 30 pairs a level seen in 90% of
# true matches is estimated within about ±0.05 (one standard error), the least that moves m usefully.
MIN_CONFIRMED_LABELS = 30
# Weight of the unsupervised (EM) m as a prior on the label counts, in pairs: a level no confirmed pair showed
# keeps a share of its EM m instead of 0, and with hundreds of labels the counts dominate.
PSEUDO_PAIRS = 10.0
UNSEEN = 1e-6  # the smallest probability a stored level holds (splink_io.UNSEEN)
_CHUNK = 2000


@dataclass(frozen=True)
class LabelledPair:
    match_id: int
    confirmed: bool
    booking: Rec
    registry: Rec
    has_dob: bool  # the booking carries a DOB (else the stricter no-DOB threshold applies, as in screening)


def labelled_pairs(*, actor: User) -> list[LabelledPair]:
    """Every decided biographic match as a labelled pair (see the module docstring). System-wide, for training:
    the roles that may store a model (the command line runs as the system account)."""
    authorize(actor, "labelled_pairs")

    ids = list(
        IdentityMatch.objects.filter(
            status__in=[MatchStatus.CONFIRMED, MatchStatus.REJECTED], basis=MatchBasis.BIOGRAPHIC
        )
        .exclude(model_version=BIOMETRIC_VERSION)
        .order_by("id")
        .values_list("id", flat=True)
    )
    out: list[LabelledPair] = []
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        matches = list(
            IdentityMatch.objects.filter(id__in=part).select_related("booking__subject", "subject").order_by("id")
        )
        ids_of = {
            sid: (fbi, anum)
            for sid, fbi, anum in RegistryKey.objects.filter(
                subject_id__in={m.subject_id for m in matches}
            ).values_list("subject_id", "fbi_number", "a_number")
        }
        for m in matches:
            booked = subject_keys(m.booking.subject)
            out.append(
                LabelledPair(
                    match_id=m.pk,
                    confirmed=m.status == MatchStatus.CONFIRMED,
                    booking=cand.booking_rec(booked, m.booking.fbi_number.strip(), m.booking.a_number),
                    registry=cand.booking_rec(subject_keys(m.subject), *ids_of.get(m.subject_id, ("", ""))),
                    has_dob=booked.dob is not None,
                )
            )
    return out


# ------------------------------------------------------------------------------------------ m from labels


def require_enough_labels(pairs: Sequence[LabelledPair]) -> list[LabelledPair]:
    """The confirmed pairs, or a clear refusal when there are too few to estimate m from."""
    confirmed = [p for p in pairs if p.confirmed]
    if len(confirmed) < MIN_CONFIRMED_LABELS:
        raise ValidationFailed(
            f"Training with labels needs at least {MIN_CONFIRMED_LABELS} confirmed identity matches; "
            f"officers have confirmed {len(confirmed)} biographic matches so far ({len(pairs) - len(confirmed)} "
            "rejected). Train without --labels until more proposals are reviewed."
        )
    return confirmed


def m_from_labels(
    splink_model: dict[str, Any], pairs: Sequence[LabelledPair], *, pseudo_pairs: float = PSEUDO_PAIRS
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model with m of every estimated level replaced by its share among the confirmed pairs, and a report
    (counts per comparison and level, no personal data).

    Per comparison, over the confirmed pairs whose level is not null: m = (count + k·m_EM) / (n + k) with
    k = ``pseudo_pairs``, spread over the levels whose m is estimated. Null levels stay null (no evidence).
    Levels with a fixed m (the FBI-number levels: fingerprints make them near-certain, and officers decide too
    few pairs with two FBI numbers to learn from) keep it; the free levels share what the fixed ones leave."""

    confirmed = require_enough_labels(pairs)
    model = copy.deepcopy(splink_model)
    scorer = Scorer.from_splink(model, complete=True)
    counts: list[Counter[int]] = [Counter() for _ in scorer.comparisons]
    for p in confirmed:
        for i, level in enumerate(scorer.levels(p.booking, p.registry)):
            counts[i][level] += 1
    stored = {c["output_column_name"]: c for c in model["comparisons"]}
    report: dict[str, Any] = {"confirmed": len(confirmed), "pseudo_pairs": pseudo_pairs, "comparisons": {}}
    for comp, seen in zip(scorer.comparisons, counts, strict=True):
        levels = stored[comp.name]["comparison_levels"]
        free = [j for j, lv in enumerate(levels) if not lv.get("is_null_level") and not lv.get("fix_m_probability")]
        fixed_mass = sum(
            float(lv["m_probability"]) for lv in levels if lv.get("fix_m_probability") and not lv.get("is_null_level")
        )
        n = sum(seen[j] for j in free)
        report["comparisons"][comp.name] = {
            "pairs": n,
            "levels": {comp.labels[j]: seen[j] for j in range(len(levels)) if not levels[j].get("is_null_level")},
            "estimated": bool(free and n),
        }
        if not free or n == 0:
            continue  # nothing to learn here: the unsupervised m stays
        em = [max(float(levels[j]["m_probability"]), UNSEEN) for j in free]
        em_total = sum(em)
        share = max(1.0 - fixed_mass, UNSEEN)
        for j, m_em in zip(free, em, strict=True):
            m = share * (seen[j] + pseudo_pairs * m_em / em_total) / (n + pseudo_pairs)
            levels[j]["m_probability"] = min(max(m, UNSEEN), 1 - UNSEEN)
    # The same settling as unsupervised training: a "different" level never counts for a match.
    return settle_unseen_levels(model), report


# ------------------------------------------------------------------------------------------ shadow scoring


def pairs_frequencies(pairs: Sequence[LabelledPair]) -> TermFrequencies | None:
    """The registry's name frequencies for the labelled pairs: scored as screening scores them."""
    return frequencies_for((n, p.registry[f]) for p in pairs for n, f in TF_FIELDS.items())


def shadow_figures(scorer: Scorer, threshold: float, pairs: Sequence[LabelledPair]) -> dict[str, Any]:
    """How a model would have proposed the labelled pairs at its review threshold (a booking without a DOB at
    the no-DOB threshold, as ``screen_bookings`` does)."""

    bar = weight_for_probability(threshold)
    bar_no_dob = weight_for_probability(NO_DOB_REVIEW_THRESHOLD)
    tf = pairs_frequencies(pairs)
    confirmed = rejected = tp = fp = 0
    for p in pairs:
        proposed = scorer.weight(p.booking, p.registry, tf) >= (bar if p.has_dob else bar_no_dob)
        if p.confirmed:
            confirmed += 1
            tp += proposed
        else:
            rejected += 1
            fp += proposed
    return {
        "review_threshold": threshold,
        "confirmed": confirmed,
        "rejected": rejected,
        "true_positives": tp,
        "false_positives": fp,
        "recall": tp / confirmed if confirmed else None,
        "precision": tp / (tp + fp) if tp + fp else None,
    }


def shadow_evaluation(
    *,
    splink_model: dict[str, Any],
    review_threshold: float,
    incumbent: ScreeningModel | None,
    pairs: Sequence[LabelledPair],
    event: str,
    at: datetime,
) -> dict[str, Any]:
    """Score every labelled pair with the candidate model and the active one; the candidate may be activated
    when it proposes at least as many of the confirmed pairs at its review threshold (no recall lost), or when
    there is nothing to compare with (no active model, or no confirmed decision yet)."""

    mine = shadow_figures(Scorer.from_splink(splink_model), review_threshold, pairs)
    theirs: dict[str, Any] | None = None
    unfit = False
    if incumbent is not None:
        try:
            scorer = scorer_for(incumbent)
        except (KeyError, TypeError, ValueError):
            unfit = True  # stored before this code's comparisons changed: it cannot score (or screen) any more
        else:
            theirs = {"version": incumbent.version, **shadow_figures(scorer, incumbent.review_threshold, pairs)}
    if theirs is None:
        ok, reason = (
            True,
            (
                f"the active model {incumbent.version} no longer fits this code's comparisons"
                if unfit and incumbent is not None
                else "no active model to compare with"
            ),
        )
    elif not mine["confirmed"]:
        ok, reason = True, "no confirmed decisions to compare on yet"
    elif mine["true_positives"] >= theirs["true_positives"]:
        ok, reason = (
            True,
            (
                f"recall at the review threshold {_pct(mine['recall'])} ≥ {_pct(theirs['recall'])} of "
                f"{theirs['version']} on {mine['confirmed']} confirmed decisions"
            ),
        )
    else:
        ok, reason = (
            False,
            (
                f"recall at the review threshold {_pct(mine['recall'])} < {_pct(theirs['recall'])} of "
                f"{theirs['version']} on {mine['confirmed']} confirmed decisions: "
                f"{theirs['true_positives'] - mine['true_positives']} confirmed matches would no longer be proposed"
            ),
        )
    return {
        "event": event,
        "at": at.isoformat(),
        "candidate": mine,
        "incumbent": theirs,
        "activate": ok,
        "reason": reason,
    }


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


# ------------------------------------------------------------------------------------------ activation


def screening_model_activate(*, actor: User, version: str, at: datetime | None = None) -> ScreeningModel:
    """Make a stored version the active one — only if it passes the sanity gates and, on the labelled decisions
    of today, loses no recall at the review threshold against the active model (the same rule as at storing).
    A refusal changes nothing and says why."""
    authorize(actor, "screening_model_activate")

    at = when(at)
    with transaction.atomic():
        m = ScreeningModel.objects.select_for_update().filter(version=version).first()
        if m is None:
            raise ValidationFailed(f"No screening model version {version!r} (`holdtrack screening models` lists them).")
        if m.active:
            raise ValidationFailed(f"Screening model {version} is already the active one.")
        problems = model_gate_failures(m.splink_model, m.registry_size)
        if problems:
            raise ValidationFailed(
                f"Screening model {version} has implausible parameters: " + "; ".join(problems) + "."
            )
        incumbent = (
            ScreeningModel.objects.select_for_update().filter(active=True).order_by("-trained_at", "-id").first()
        )
        try:
            evaluation = shadow_evaluation(
                splink_model=m.splink_model, review_threshold=m.review_threshold, incumbent=incumbent,
                pairs=labelled_pairs(actor=actor), event="activate", at=at,
            )  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationFailed(f"Screening model {version} does not fit this code's comparisons: {exc}") from exc
        if not evaluation["activate"]:
            raise ValidationFailed(f"Screening model {version} was not activated: {evaluation['reason']}.")
        ScreeningModel.objects.filter(active=True).update(active=False)
        m.active = True
        m.evaluations = [*m.evaluations, evaluation]
        m.save(update_fields=["active", "evaluations"])
        audit_record(
            actor=actor,
            action="screening_model.activate",
            entity_type="screening_model",
            entity_id=m.pk,
            data={
                "version": version,
                "previous": incumbent.version if incumbent else None,
                "reason": evaluation["reason"],
                "recall": evaluation["candidate"]["recall"],
                "previous_recall": (evaluation["incumbent"] or {}).get("recall"),
            },
            at=at,
        )
        return m
