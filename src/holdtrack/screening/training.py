"""Training: splink estimates m and u from a registry sample and unlabelled bookings; we set the prior and
store the model.

The prior is P(match) for a random (booking, registry subject) pair = (expected true matches per booking) /
(registry size). ``estimate_prior`` counts deterministic matches (same given name, surname and DOB) of the
training bookings in the training sample and scales the count by how the bookings were drawn: stored bookings
come from the whole registry, so the sample holds only sample/registry of their matches; synthetic bookings
are made from the sample itself, so it holds all of them. (The former ``rescale_prior`` multiplied by
sample/registry in both cases: 10× too small at 1M with stored bookings.) The rule's recall is measured on
the bookings whose FBI number equals a sampled subject's (true matches known without labels), else assumed.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from holdtrack.accounts.models import User
from holdtrack.core.errors import ValidationFailed
from holdtrack.custody.models import Booking, Subject
from holdtrack.kernel.parties import authorize
from holdtrack.kernel.steps import when
from holdtrack.screening import splink_io
from holdtrack.screening.frequencies import name_frequencies_refresh
from holdtrack.screening.keys import splink_record
from holdtrack.screening.learning import LabelledPair, labelled_pairs, m_from_labels, require_enough_labels
from holdtrack.screening.models import RegistryKey, ScreeningModel
from holdtrack.screening.services import DEFAULT_REVIEW_THRESHOLD, screening_model_store, subject_keys

MIN_STORED_BOOKINGS = 2000

# Unlabelled bookings made from the sampled subjects (and their stored FBI numbers) when too few are stored:
# (subjects, fbi_of, count=, seed=) -> splink input rows. The simulator provides one (simulation.training).
SyntheticBookings = Callable[..., list[dict[str, object]]]


DEFAULT_RULE_RECALL = 0.6
MIN_RECALL_PAIRS = 50  # FBI-equal pairs needed to measure the deterministic rule's recall


def rescale_prior(
    model: dict[str, Any], training_registry: int, registry_size: int, *, bookings_from_sample: bool = True
) -> dict[str, Any]:
    """A prior estimated on the training sample, for the whole registry. Only bookings made from the sample
    scale by sample/registry; bookings drawn from the whole registry already give the registry's prior."""
    out = json.loads(json.dumps(model))
    lam = float(out["probability_two_random_records_match"])
    if bookings_from_sample:
        lam *= training_registry / max(registry_size, 1)
    out["probability_two_random_records_match"] = min(max(lam, 1e-12), 0.5)
    return out


@dataclass(frozen=True)
class PriorEstimate:
    prior: float
    matches_per_booking: float
    rule_pairs: int
    rule_recall: float
    recall_measured_on: int  # FBI-equal pairs (0: recall assumed)

    def describe(self) -> str:
        how = f"measured on {self.recall_measured_on} FBI-equal pairs" if self.recall_measured_on else "assumed"
        return (
            f"prior {self.prior:.3g} = {self.matches_per_booking:.3f} matches per booking / registry size "
            f"({self.rule_pairs} name+DOB pairs, rule recall {self.rule_recall:.2f} {how})"
        )


def _rule_key(r: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    if not (r.get("first_norm") and r.get("last_norm") and r.get("dob")):
        return None
    return (r["first_norm"], r["last_norm"], r["dob"])


def estimate_prior(
    registry_records: Sequence[dict[str, Any]],
    booking_records: Sequence[dict[str, Any]],
    *,
    registry_size: int,
    bookings_from_sample: bool,
    default_recall: float = DEFAULT_RULE_RECALL,
) -> PriorEstimate:
    """See the module docstring. Records are ``keys.splink_record`` dicts (with ``fbi``)."""
    by_key: Counter[tuple[Any, Any, Any]] = Counter()
    key_of_fbi: dict[str, tuple[Any, Any, Any] | None] = {}
    for r in registry_records:
        k = _rule_key(r)
        if k is not None:
            by_key[k] += 1
        if r.get("fbi"):
            key_of_fbi[str(r["fbi"])] = k
    pairs = 0
    fbi_pairs = fbi_hits = 0
    for b in booking_records:
        k = _rule_key(b)
        if k is not None:
            pairs += by_key.get(k, 0)
        if b.get("fbi") and str(b["fbi"]) in key_of_fbi:
            fbi_pairs += 1
            fbi_hits += k is not None and key_of_fbi[str(b["fbi"])] == k
    recall = default_recall
    if fbi_pairs >= MIN_RECALL_PAIRS and fbi_hits:
        recall = fbi_hits / fbi_pairs
    sample = max(len(registry_records), 1)
    scale = 1.0 if bookings_from_sample else max(registry_size, sample) / sample
    per_booking = pairs * scale / recall / max(len(booking_records), 1)
    prior = min(max(per_booking / max(registry_size, 1), 1e-12), 0.5)
    return PriorEstimate(prior, per_booking, pairs, recall, fbi_pairs if recall != default_recall else 0)


def model_version(model: dict[str, Any], at: datetime) -> str:
    digest = hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()[:8]
    return f"fs-{at:%Y%m%d-%H%M%S}-{digest}"


def train_and_store(
    *,
    actor: User,
    registry_records: Sequence[dict[str, Any]],
    booking_records: Sequence[dict[str, Any]],
    registry_size: int,
    seed: int = 1,
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    at: datetime | None = None,
    notes: str = "",
    bookings_from_sample: bool = True,
    fbi_matched_records: Sequence[dict[str, Any]] = (),
    labelled: Sequence[LabelledPair] | None = None,
) -> ScreeningModel:
    """``registry_records``: the random training sample (the prior is estimated on it alone).
    ``fbi_matched_records``: registry subjects outside the sample whose FBI number a training booking carries,
    added for splink only — they give the FBI-blocked EM session its true pairs.
    ``labelled``: the officers' decisions; m is then estimated from the confirmed ones (``learning``)."""
    authorize(actor, "train_and_store")

    at = when(at)
    try:
        raw = splink_io.train([*registry_records, *fbi_matched_records], booking_records, seed=seed)
    except ValueError as exc:  # splink refuses probabilities that underflow when EM collapses on tiny data
        raise ValidationFailed(
            f"splink could not estimate a model from {len(registry_records)} registry subjects and "
            f"{len(booking_records)} bookings ({exc}); train on a larger registry or more bookings."
        ) from exc
    est = estimate_prior(
        registry_records, booking_records, registry_size=registry_size, bookings_from_sample=bookings_from_sample
    )
    model = {**raw, "probability_two_random_records_match": est.prior}
    notes = f"{notes}; {est.describe()}" if notes else est.describe()
    report = None
    if labelled is not None:
        model, report = m_from_labels(model, labelled)
        notes += f"; m from {report['confirmed']} confirmed decisions (+{report['pseudo_pairs']:g} EM pseudo-pairs)"
    return screening_model_store(
        actor=actor,
        splink_model=model,
        version=model_version(model, at),
        registry_size=registry_size,
        review_threshold=review_threshold,
        training_registry=len(registry_records),
        training_bookings=len(booking_records),
        at=at,
        notes=notes,
        labels_report=report,
    )


def screening_model_train(
    *,
    actor: User,
    sample: int = 100_000,
    bookings: int = 20_000,
    seed: int = 1,
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    at: datetime | None = None,
    labels: bool = False,
    synthetic_bookings: SyntheticBookings | None = None,
) -> ScreeningModel:
    """Train from the stored registry (a random sample of it) and unlabelled bookings: the stored bookings
    when there are at least ``MIN_STORED_BOOKINGS``, else synthetic bookings generated from the sample
    (a fresh synthetic deployment has no booking history yet; the caller passes the simulator's generator as
    ``synthetic_bookings``, which sits above screening). ``labels``: m from the officers' decisions
    (refused before any training when there are too few)."""
    authorize(actor, "screening_model_train")

    total = RegistryKey.objects.count()
    name_frequencies_refresh()  # the scorer's term-frequency adjustments follow the registry it was trained on
    if total < 100:
        raise ValidationFailed(f"The registry holds {total} subjects; at least 100 are needed to train a model.")
    labelled = labelled_pairs(actor=actor) if labels else None
    if labelled is not None:
        require_enough_labels(labelled)
    ids = list(RegistryKey.objects.order_by("subject_id").values_list("subject_id", flat=True))
    rng = random.Random(f"train-{seed}")
    chosen = sorted(rng.sample(ids, min(sample, len(ids))))
    subjects = _subjects(chosen)
    ids_of = _identifiers(chosen)
    registry_records = [splink_record(f"r{s.pk}", subject_keys(s), *ids_of.get(s.pk, ("", ""))) for s in subjects]

    stored = (
        Booking.objects.filter(subject__registry_key__isnull=True).select_related("subject").order_by("-id")[:bookings]
    )
    stored_bookings = list(stored)
    source = "stored bookings"
    from_sample = False
    fbi_matched: list[dict[str, Any]] = []
    if len(stored_bookings) >= MIN_STORED_BOOKINGS:
        # Stored bookings come from the whole registry: a sample of a tenth holds a tenth of their FBI matches,
        # too few for the FBI-blocked EM session at 1M. Their FBI-matched subjects join splink's input.
        extra = sorted(set(_subjects_with_fbi({b.fbi_number.strip() for b in stored_bookings})) - set(chosen))
        extra_ids = _identifiers(extra)
        fbi_matched = [
            splink_record(f"r{s.pk}", subject_keys(s), *extra_ids.get(s.pk, ("", ""))) for s in _subjects(extra)
        ]
    if len(stored_bookings) < MIN_STORED_BOOKINGS:
        from_sample = True
        if synthetic_bookings is None:
            raise ValidationFailed(
                f"{len(stored_bookings)} stored bookings; training needs at least {MIN_STORED_BOOKINGS}, "
                "or synthetic bookings made from the sample."
            )
        fbi_of = {sid: fbi for sid, (fbi, _) in ids_of.items()}
        booking_records = synthetic_bookings(subjects, fbi_of, count=bookings, seed=seed)
        source = "synthetic bookings generated from the sample (no labels used)"
    else:
        booking_records = [
            splink_record(f"b{b.pk}", subject_keys(b.subject), b.fbi_number, b.a_number) for b in stored_bookings
        ]
    return train_and_store(
        actor=actor,
        registry_records=registry_records,
        booking_records=booking_records,
        registry_size=total,
        seed=seed,
        review_threshold=review_threshold,
        at=at,
        notes=f"trained on {len(registry_records)} registry subjects"
        + (f" (+{len(fbi_matched)} FBI-matched, for EM only)" if fbi_matched else "")
        + f" and {len(booking_records)} {source}",
        bookings_from_sample=from_sample,
        fbi_matched_records=fbi_matched,
        labelled=labelled,
    )


def _subjects(ids: Sequence[int]) -> list[Subject]:
    out: list[Subject] = []
    for start in range(0, len(ids), 5000):
        out.extend(Subject.objects.filter(id__in=ids[start : start + 5000]).order_by("id"))
    return out


def _identifiers(ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Subject id → (FBI number, A-number) of the registry keys, in one read."""
    out: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        for sid, fbi, anum in RegistryKey.objects.filter(subject_id__in=part).values_list(
            "subject_id", "fbi_number", "a_number"
        ):
            out[sid] = (fbi, anum)
    return out


def _subjects_with_fbi(numbers: set[str]) -> list[int]:
    wanted = sorted(n for n in numbers if n)
    out: list[int] = []
    for start in range(0, len(wanted), 5000):
        part = wanted[start : start + 5000]
        out.extend(RegistryKey.objects.filter(fbi_number__in=part).values_list("subject_id", flat=True))
    return out
