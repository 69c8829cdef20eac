"""Unlabelled bookings for training a screening model where none are stored yet (a fresh synthetic
deployment): the simulator's generator corrupts the sampled registry subjects as feeds do. Passed to
``screening.training.screening_model_train(synthetic_bookings=…)``, which sits below the simulator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from holdtrack.custody.models import Subject
from holdtrack.screening.keys import splink_record
from holdtrack.screening.services import subject_keys
from holdtrack.simulation.registry import RegistryPerson, generate_bookings


def synthetic_training_bookings(
    subjects: Sequence[Subject], fbi_of: dict[int, str], *, count: int, seed: int
) -> list[dict[str, object]]:
    people = [
        # The second surname joins the surname, as the keys compare it (the generator has no field for it).
        RegistryPerson(
            0,
            s.first_name,
            s.middle_name,
            f"{s.last_name} {s.second_last_name}".strip(),
            s.date_of_birth,
            s.sex,
            s.birth_country,
            s.pk,
        )
        for s in subjects
        if s.date_of_birth is not None
    ]
    gen = generate_bookings(registry_sample=people, count=count, seed=seed, prefix="TRAIN")
    return [
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
            # The generator derives an FBI number from the subject id, which only the simulated registry uses:
            # carry the subject's stored number instead, or every synthetic match would "conflict".
            fbi_of.get(gen.truth[r["booking_number"]] or 0, "") if r["fbi_number"] else "",
        )
        for i, r in enumerate(gen.rows)
    ]
