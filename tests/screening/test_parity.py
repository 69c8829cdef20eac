"""Our match weights equal splink's own scoring of the same pairs (no database involved)."""

from __future__ import annotations

from holdtrack.screening.fs_model import COMPOUND_SLIP, SLIP_DROPPED, Scorer, probability
from holdtrack.screening.splink_io import splink_scores_between
from holdtrack.simulation.registry import generate_bookings, registry_people
from tests.screening.factories_screening import (
    TRAIN_SIZE,
    person_record,
    row_keys,
    splink_score_pairs,
    trained_model,
    with_ids,
)

FIELDS = (
    "first_norm", "first_canon", "middle_norm", "last_norm", "last_tok1", "last_tok2", "dob", "sex", "country", "fbi",
    "anum",
)  # fmt: skip
TOLERANCE = 1e-9


def rec(r: dict) -> tuple:  # type: ignore[type-arg]
    return tuple((r[c] or "") for c in FIELDS)


def test_weights_equal_splink_predict_between_over_thousands_of_pairs():
    from holdtrack.screening.keys import splink_record

    model = trained_model()
    scorer = Scorer.from_splink(model)
    people = with_ids(registry_people(TRAIN_SIZE, 11))
    registry = [person_record(p) for p in people]
    gen = generate_bookings(registry_sample=people, count=5000, seed=13)
    bookings = [splink_record(r["booking_number"], row_keys(r), r["fbi_number"]) for r in gen.rows]
    by_id = {r["unique_id"]: r for r in registry + bookings}

    out = splink_scores_between(model, registry, bookings)
    assert len(out) >= 3000
    worst = 0.0
    for o in out:
        ours = scorer.weight(rec(by_id[o["unique_id_l"]]), rec(by_id[o["unique_id_r"]]))
        worst = max(worst, abs(ours - o["match_weight"]))
        assert abs(probability(ours) - o["match_probability"]) < 1e-9
    assert worst < TOLERANCE
    # Every level of every comparison appears somewhere, so the test covers each branch of our levels.
    seen = {(i, lv) for o in out for i, lv in enumerate(scorer.levels(rec(by_id[o["unique_id_l"]]),
                                                                       rec(by_id[o["unique_id_r"]])))}  # fmt: skip
    assert len({i for i, _ in seen}) == len(scorer.comparisons)


def test_weights_equal_splink_score_pairs_on_unblocked_pairs():
    """Random, mostly non-matching pairs (the cartesian product) reach the fuzzy and 'different' levels."""
    from holdtrack.screening.keys import splink_record

    model = trained_model()
    scorer = Scorer.from_splink(model)
    people = with_ids(registry_people(400, 21))
    gen = generate_bookings(registry_sample=people, count=40, seed=22)
    left = [person_record(p) for p in people[:80]]
    right = [splink_record(r["booking_number"], row_keys(r), r["fbi_number"]) for r in gen.rows]
    out = splink_score_pairs(model, left, right)
    assert len(out) == 80 * 40
    by_id = {r["unique_id"]: r for r in left + right}
    for o in out:
        ours = scorer.weight(rec(by_id[o["unique_id_l"]]), rec(by_id[o["unique_id_r"]]))
        assert abs(ours - o["match_weight"]) < TOLERANCE, o
        # splink's per-comparison weights too
        levels = scorer.levels(rec(by_id[o["unique_id_l"]]), rec(by_id[o["unique_id_r"]]))
        for comp, lv in zip(scorer.comparisons, levels, strict=True):
            assert o[f"gamma_{comp.name}"] == (-1 if lv == 0 else len(comp.weights) - 1 - lv)


def test_the_moved_surname_level_is_the_same_in_splink_and_ours():
    """Hand-made pairs around "same surnames, reordered or one in the middle name" (random pairs rarely reach it)."""
    from datetime import date

    from holdtrack.screening.keys import keys_for, splink_record

    model = trained_model()
    scorer = Scorer.from_splink(model)
    d = date(1970, 3, 5)
    names = [
        ("Jose", "Flores", "García"), ("Jose", "", "García Flores"), ("Jose", "", "Flores García"),
        ("Jose", "Luis López", "Rivera"), ("Jose", "Luis", "Rivera López"), ("Jose", "Luis", "García"),
        ("Jose", "", "García"), ("Jose", "Ruiz", "López"), ("Jose", "", "Garsía Flores"), ("Jose", "", "García Florez"),
        ("Jose", "", "García Pérez"), ("Jose", "", "Garsía"),
    ]  # fmt: skip
    left = [splink_record(f"l{n}", keys_for(first_name=f, middle_name=m, last_name=s, date_of_birth=d))
            for n, (f, m, s) in enumerate(names)]  # fmt: skip
    right = [{**r, "unique_id": "r" + r["unique_id"][1:]} for r in left]
    out = splink_score_pairs(model, left, right)
    by_id = {r["unique_id"]: r for r in left + right}
    last = next(i for i, c in enumerate(scorer.comparisons) if c.name == "last_name")
    labels = scorer.comparisons[last].labels
    moved, slip = labels.index("same surnames, reordered or one in the middle name"), labels.index(COMPOUND_SLIP)
    dropped_slip = labels.index(SLIP_DROPPED)
    reached, slipped, dropped = 0, 0, 0
    for o in out:
        a, b = rec(by_id[o["unique_id_l"]]), rec(by_id[o["unique_id_r"]])
        assert abs(scorer.weight(a, b) - o["match_weight"]) < TOLERANCE, o
        lv = scorer.levels(a, b)[last]
        assert o["gamma_last_name"] == (-1 if lv == 0 else len(scorer.comparisons[last].weights) - 1 - lv)
        reached += lv == moved
        slipped += lv == slip
        dropped += lv == dropped_slip
    assert reached >= 6  # García/Flores ↔ García Flores ↔ Flores García, Rivera/López ↔ Rivera López
    assert slipped == 4  # García Flores ↔ Garsía Flores, García Flores ↔ García Florez (not the two slips apart)
    # Garsía ↔ García Flores, García Florez, García Pérez; García (three records) ↔ Garsía Flores: both ways
    assert dropped == 12


def test_a_middle_name_alone_and_a_1_january_dob_are_the_same_in_splink_and_ours():
    """Hand-made pairs around ADR 0063: a middle name that is one of the other record's surnames when that record
    has no middle name, and a 1 January DOB against every day of its year (before a digit or month slip)."""
    from datetime import date

    from holdtrack.screening.keys import keys_for, splink_record

    model = trained_model()
    scorer = Scorer.from_splink(model)
    rows = [
        ("Daniel", "García", "González", date(1984, 1, 1)), ("Daniel", "", "González García", date(1984, 1, 6)),
        ("Daniel", "Miguel", "González García", date(1984, 2, 1)), ("Miguel", "", "Daniel", date(1984, 10, 1)),
        ("Daniel", "", "García", date(1994, 1, 1)), ("Daniel", "López", "García", date(1984, 6, 1)),
    ]  # fmt: skip
    left = [splink_record(f"l{n}", keys_for(first_name=f, middle_name=m, last_name=s, date_of_birth=d))
            for n, (f, m, s, d) in enumerate(rows)]  # fmt: skip
    right = [{**r, "unique_id": "r" + r["unique_id"][1:]} for r in left]
    out = splink_score_pairs(model, left, right)
    by_id = {r["unique_id"]: r for r in left + right}
    middle, dob = (
        next(i for i, c in enumerate(scorer.comparisons) if c.name == n) for n in ("middle_name", "date_of_birth")
    )
    another = scorer.comparisons[middle].labels.index("another name of the other record")
    jan = scorer.comparisons[dob].labels.index("1 January on one side (a default), same year")
    alone, january = 0, 0
    for o in out:
        a, b = rec(by_id[o["unique_id_l"]]), rec(by_id[o["unique_id_r"]])
        assert abs(scorer.weight(a, b) - o["match_weight"]) < TOLERANCE, o
        levels = scorer.levels(a, b)
        for i in (middle, dob):
            n = len(scorer.comparisons[i].weights)
            assert o[f"gamma_{scorer.comparisons[i].name}"] == (-1 if levels[i] == 0 else n - 1 - levels[i]), o
        alone += levels[middle] == another and not (a[2] and b[2])
        january += levels[dob] == jan
    assert alone >= 2  # García / González ↔ González García, and back
    assert january >= 8  # 1984-01-01 against the other four days of 1984, both ways


def test_a_swap_and_half_a_swap_are_the_same_in_splink_and_ours():
    """Hand-made pairs around ADR 0064: names swapped (with a typo in one), and one name equal across alone."""
    from datetime import date

    from holdtrack.screening.keys import keys_for, splink_record

    model = trained_model()
    scorer = Scorer.from_splink(model)
    d = date(1990, 2, 3)
    names = [("Mohammed", "Abdullah"), ("Bilal", "Mohammed"), ("Garsia", "José"), ("José", "García"), ("Ana", "")]
    left = [splink_record(f"l{n}", keys_for(first_name=f, last_name=s, date_of_birth=d))
            for n, (f, s) in enumerate(names)]  # fmt: skip
    right = [{**r, "unique_id": "r" + r["unique_id"][1:]} for r in left]
    out = splink_score_pairs(model, left, right)
    by_id = {r["unique_id"]: r for r in left + right}
    last = next(i for i, c in enumerate(scorer.comparisons) if c.name == "last_name")
    swap = scorer.comparisons[last].labels.index("swapped with given name")
    swapped = set()
    for o in out:
        a, b = rec(by_id[o["unique_id_l"]]), rec(by_id[o["unique_id_r"]])
        assert abs(scorer.weight(a, b) - o["match_weight"]) < TOLERANCE, o
        lv = scorer.levels(a, b)[last]
        assert o["gamma_last_name"] == (-1 if lv == 0 else len(scorer.comparisons[last].weights) - 1 - lv)
        if lv == swap:
            swapped.add((a[0], b[0]))
    assert swapped == {("garsia", "jose"), ("jose", "garsia")}  # not Mohammed Abdullah / Bilal Mohammed
