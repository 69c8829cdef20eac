"""Screening test data: a synthetic registry, a splink-trained model (trained once per test session on pure
Python records, no database) and bookings made through the custody services."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from functools import cache
from itertools import count
from typing import Any

from holdtrack.custody import services as cs
from holdtrack.custody.models import Booking
from holdtrack.screening.keys import keys_for, splink_record
from holdtrack.simulation.registry import RegistryPerson, generate_bookings, registry_people

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TRAIN_SIZE = 20_000
_numbers = count(1)


def row_keys(r: dict[str, Any]):  # type: ignore[no-untyped-def]
    return keys_for(
        first_name=r["first_name"],
        middle_name=r["middle_name"],
        last_name=r["last_name"],
        date_of_birth=date.fromisoformat(r["date_of_birth"]) if r["date_of_birth"] else None,
        sex=r["sex"],
        birth_country=r["birth_country"],
    )


def with_ids(people: list[RegistryPerson], base: int = 1) -> list[RegistryPerson]:
    return [
        RegistryPerson(
            p.index, p.first_name, p.middle_name, p.last_name, p.date_of_birth, p.sex, p.birth_country, base + p.index
        )
        for p in people
    ]


def person_record(p: RegistryPerson) -> dict[str, Any]:
    k = keys_for(
        first_name=p.first_name,
        middle_name=p.middle_name,
        last_name=p.last_name,
        date_of_birth=p.date_of_birth,
        sex=p.sex,
        birth_country=p.birth_country,
    )
    return splink_record(f"r{p.subject_id}", k, p.fbi_ucn)


@cache
def trained_model() -> dict[str, Any]:
    """A splink model trained (unsupervised) on a 20k synthetic registry and 10k unlabelled bookings."""
    from holdtrack.screening.splink_io import train

    people = with_ids(registry_people(TRAIN_SIZE, 11))
    gen = generate_bookings(registry_sample=people, count=10_000, seed=12, prefix="TR")
    return train(
        [person_record(p) for p in people],
        [splink_record(f"b{i}", row_keys(r), r["fbi_number"]) for i, r in enumerate(gen.rows)],
        seed=1,
        u_max_pairs=5e5,
    )


def plain_model(prior: float = 1e-3) -> dict[str, Any]:
    """Plausible parameters for every level of this code's comparisons, without splink (pages, fast tests): the
    first level of each comparison is strong evidence for a match, the others share the rest, the last one
    counts against. Fixed m (FBI-number levels) stays as the code fixes it."""
    import copy

    from holdtrack.screening.splink_io import splink_settings

    model = copy.deepcopy(splink_settings(prior))
    for comp in model["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        rest = max(len(levels) - 1, 1)
        for i, lv in enumerate(levels):
            if not lv.get("fix_m_probability"):
                lv["m_probability"] = 0.9 if i == 0 else 0.1 / rest
            lv["u_probability"] = 0.01 if i == 0 else 0.99 / rest
    return model


def booking_of(
    w: Any,
    *,
    first: str,
    last: str,
    dob: date | None,
    sex: str = "M",
    country: str = "Mexico",
    middle: str = "",
    fbi: str = "",
    **kwargs: Any,
) -> Booking:
    """A booking made through the services (the booked person is a new, non-registry subject)."""
    n = next(_numbers)
    subject = cs.subject_create(
        actor=w.booking_clerk, first_name=first, middle_name=middle, last_name=last, date_of_birth=dob, sex=sex,
        birth_country=country,
    )  # fmt: skip
    b = cs.booking_create(
        actor=w.booking_clerk, subject=subject, facility=w.facility, booking_number=f"SCRT{n:06d}",
        booked_at=T0, stated_birth_country=kwargs.pop("stated_birth_country", country), **kwargs,
    )  # fmt: skip
    if fbi:
        Booking.objects.filter(pk=b.pk).update(fbi_number=fbi)
        b.refresh_from_db()
    return b


def splink_score_pairs(model: dict[str, Any], left: list[dict[str, Any]], right: list[dict[str, Any]]) -> list[Any]:
    """splink's own scores of every pair of ``left`` × ``right`` under ``model`` (no blocking)."""
    import duckdb
    from splink import DuckDBAPI, Linker

    from holdtrack.screening.splink_io import duckdb_table

    con = duckdb.connect()
    duckdb_table(con, "registry", left)
    duckdb_table(con, "bookings", right)
    db_api = DuckDBAPI(connection=con)
    linker = Linker(
        [db_api.register("registry", dataset_display_name="registry"),
         db_api.register("bookings", dataset_display_name="bookings")],
        model,
        log_level=logging.WARNING,
    )  # fmt: skip
    return list(linker.inference.score_pairs(left, right).as_record_list())
