"""Training: splink estimates the model from a registry sample and unlabelled bookings; we store it.

The prior is re-scaled from the training sample to the full registry: a booking has (about) the same number
of true matches whatever the registry size, so the probability that a random booking–registry pair matches
falls in proportion to the registry size.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from holdtrack.accounts.models import User
from holdtrack.cases.services._base import when
from holdtrack.custody.models import Booking, Subject
from holdtrack.screening.keys import splink_record
from holdtrack.screening.models import RegistryKey, ScreeningModel
from holdtrack.screening.services import DEFAULT_REVIEW_THRESHOLD, screening_model_store, subject_keys

MIN_STORED_BOOKINGS = 2000


def rescale_prior(model: dict[str, Any], training_registry: int, registry_size: int) -> dict[str, Any]:
    out = json.loads(json.dumps(model))
    lam = float(out["probability_two_random_records_match"]) * training_registry / max(registry_size, 1)
    out["probability_two_random_records_match"] = min(max(lam, 1e-12), 0.5)
    return out


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
) -> ScreeningModel:
    from holdtrack.screening.splink_io import train

    at = when(at)
    raw = train(registry_records, booking_records, seed=seed)
    model = rescale_prior(raw, len(registry_records), registry_size)
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
    )


def screening_model_train(
    *,
    actor: User,
    sample: int = 100_000,
    bookings: int = 20_000,
    seed: int = 1,
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    at: datetime | None = None,
) -> ScreeningModel:
    """Train from the stored registry (a random sample of it) and unlabelled bookings: the stored bookings
    when there are at least ``MIN_STORED_BOOKINGS``, else synthetic bookings generated from the sample
    (a fresh synthetic deployment has no booking history yet)."""
    from holdtrack.simulation.registry import RegistryPerson, generate_bookings

    total = RegistryKey.objects.count()
    if total < 100:
        from holdtrack.core.errors import ValidationFailed

        raise ValidationFailed(f"The registry holds {total} subjects; at least 100 are needed to train a model.")
    ids = list(RegistryKey.objects.order_by("subject_id").values_list("subject_id", flat=True))
    rng = random.Random(f"train-{seed}")
    chosen = sorted(rng.sample(ids, min(sample, len(ids))))
    subjects: list[Subject] = []
    for start in range(0, len(chosen), 5000):
        subjects.extend(Subject.objects.filter(id__in=chosen[start : start + 5000]).order_by("id"))
    registry_records = [splink_record(f"r{s.pk}", subject_keys(s)) for s in subjects]

    stored = (
        Booking.objects.filter(subject__registry_key__isnull=True).select_related("subject").order_by("-id")[:bookings]
    )
    booking_subjects = [b.subject for b in stored]
    source = "stored bookings"
    if len(booking_subjects) < MIN_STORED_BOOKINGS:
        people = [
            RegistryPerson(0, s.first_name, s.middle_name, s.last_name, s.date_of_birth, s.sex, s.birth_country, s.pk)
            for s in subjects
            if s.date_of_birth is not None
        ]
        gen = generate_bookings(registry_sample=people, count=bookings, seed=seed, prefix="TRAIN")
        booking_records = [
            splink_record(
                f"b{i}",
                subject_keys(
                    RegistryPerson(
                        0,
                        r["first_name"],
                        r["middle_name"],
                        r["last_name"],
                        datetime.fromisoformat(r["date_of_birth"]).date() if r["date_of_birth"] else None,  # type: ignore[arg-type]
                        r["sex"],
                        r["birth_country"],
                    )
                ),
            )
            for i, r in enumerate(gen.rows)
        ]
        source = "synthetic bookings generated from the sample (no labels used)"
    else:
        booking_records = [splink_record(f"b{s.pk}", subject_keys(s)) for s in booking_subjects]
    return train_and_store(
        actor=actor,
        registry_records=registry_records,
        booking_records=booking_records,
        registry_size=total,
        seed=seed,
        review_threshold=review_threshold,
        at=at,
        notes=f"trained on {len(registry_records)} registry subjects and {len(booking_records)} {source}",
    )
