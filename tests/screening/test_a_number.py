"""The A-number comparison: a keyed identifier whose levels (null / exact / one / two characters / different) EM
measures, unlike the FBI number's fixed m; the equal-A-number candidate probe; models stored without it."""

from __future__ import annotations

import copy
import random
from datetime import date
from functools import cache
from typing import Any

import pytest

from holdtrack.custody.models import IdentifierType, IdentityMatch
from holdtrack.screening import stages
from holdtrack.screening.candidates import booking_rec
from holdtrack.screening.fs_model import COMPARISONS, Scorer
from holdtrack.screening.keys import keys_for, splink_record
from holdtrack.screening.models import RegistryKey
from holdtrack.screening.services import registry_subject_add, screen_booking, screening_model_store
from holdtrack.screening.training import rescale_prior
from holdtrack.simulation.registry import generate_bookings, registry_people
from tests.screening.factories_screening import (
    booking_of,
    person_record,
    plain_model,
    row_keys,
    splink_score_pairs,
    trained_model,
    with_ids,
)

NAMES = [c["output_column_name"] for c in COMPARISONS]
ANUM, FBI = NAMES.index("a_number"), NAMES.index("fbi_number")
TRAIN = 5000
REGISTRY = 300


@cache
def anum_model() -> dict[str, Any]:
    """A model trained (unsupervised) on bookings that carry A-numbers as a keyed feed does: most equal, a few
    mis-keyed in one or two digits, 4 % another number of the same person; outsiders carry their own."""
    from holdtrack.screening.splink_io import train

    rng = random.Random(7)
    people = with_ids(registry_people(TRAIN, 31))
    gen = generate_bookings(registry_sample=people, count=3000, seed=32, prefix="AN")

    def keyed(sid: int | None) -> str:
        if sid is None:
            return f"{rng.randrange(10**9):09d}" if rng.random() < 0.5 else ""
        if rng.random() < 0.3:
            return ""
        n = f"{800_000_000 + sid:09d}"
        x = rng.random()
        if x < 0.05:  # one digit mis-keyed
            j = rng.randrange(9)
            return n[:j] + str((int(n[j]) + 1) % 10) + n[j + 1 :]
        if x < 0.06:  # two
            return n[:3] + str((int(n[3]) + 1) % 10) + n[4:7] + str((int(n[7]) + 3) % 10) + n[8]
        if x < 0.10:  # another A-number of the same person (files not consolidated yet)
            return f"{rng.randrange(10**9):09d}"
        return n

    registry = [{**person_record(p), "anum": p.a_number} for p in people]
    bookings = [
        splink_record(f"b{i}", row_keys(r), r["fbi_number"], keyed(gen.truth[r["booking_number"]]))
        for i, r in enumerate(gen.rows)
    ]
    return train(registry, bookings, seed=1, u_max_pairs=3e5)


def _rec(anum: str = "", fbi: str = "") -> tuple[str, ...]:
    k = keys_for(first_name="Rodrigo", last_name="Salinas", date_of_birth=date(1970, 3, 5), sex="M")
    return booking_rec(k, fbi, anum)


def test_levels():
    scorer = Scorer.from_splink(plain_model())
    assert scorer.comparisons[ANUM].labels == (
        "null", "exact", "one character different", "two characters different", "different",
    )  # fmt: skip
    cases = [
        ("", "123456789", 0), ("123456789", "", 0), ("123456789", "123456789", 1), ("123456789", "123456780", 2),
        ("123456789", "123456798", 2), ("123456789", "103456780", 3), ("123456789", "987654321", 4),
    ]  # fmt: skip
    for a, b, want in cases:
        assert scorer.levels(_rec(a), _rec(b))[ANUM] == want, (a, b)


def test_em_estimates_the_a_number_m_and_different_is_weaker_evidence_than_for_an_fbi_number():
    model = anum_model()
    spec = next(c for c in model["comparisons"] if c["output_column_name"] == "a_number")
    levels = {lv["label_for_charts"]: lv for lv in spec["comparison_levels"]}
    assert not any(lv.get("fix_m_probability") for lv in levels.values())  # m is not fixed in code
    assert levels["exact"]["m_probability"] > 0.7
    # The 4 % other numbers of the same person are measured, not assumed near-impossible.
    assert 1e-3 < levels["different"]["m_probability"] < 0.3
    w = Scorer.from_splink(model).comparisons[ANUM].weights
    _null, exact, one, two, different = w
    assert exact > one > two and exact > 8 and one > 0 > different
    assert different > -10  # the FBI number's "different" is -33 bits when the feed shows no double error
    assert Scorer.from_splink(trained_model()).comparisons[FBI].weights[-1] < different


def test_exact_typo_and_different_a_numbers_move_the_weight_in_the_expected_direction():
    scorer = Scorer.from_splink(anum_model())
    base = scorer.weight(_rec(), _rec("123456789"))  # one side without a number: no evidence
    assert base == pytest.approx(scorer.weight(_rec(), _rec()))
    exact = scorer.weight(_rec("123456789"), _rec("123456789"))
    typo = scorer.weight(_rec("123456789"), _rec("123456780"))
    different = scorer.weight(_rec("123456789"), _rec("987654321"))
    assert exact > typo > base > different
    # A different FBI number counts far more against the same pair than a different A-number.
    assert different > scorer.weight(_rec("123456789", "SY1234567"), _rec("123456789", "ZZ9999000"))
    total, terms = scorer.explain(_rec("123456789"), _rec("123456780"))
    assert total == pytest.approx(typo)
    term = next(t for t in terms if t["comparison"] == "a_number")
    assert term["level"] == "one character different" and term["booking"] == "123456789"


def test_a_model_stored_before_the_a_number_comparison_still_scores():
    old = copy.deepcopy(anum_model())
    old["comparisons"] = [c for c in old["comparisons"] if c["output_column_name"] != "a_number"]
    scorer = Scorer.from_splink(old)
    assert scorer.comparisons[ANUM].name == "a_number" and set(scorer.comparisons[ANUM].weights) == {0.0}
    same = scorer.weight(_rec("123456789"), _rec("123456789"))
    assert same == scorer.weight(_rec("123456789"), _rec("987654321")) == scorer.weight(_rec(), _rec())
    with pytest.raises(ValueError, match="lacks"):
        Scorer.from_splink(old, complete=True)


def test_the_a_number_levels_are_the_same_in_splink_and_ours():
    model = anum_model()
    scorer = Scorer.from_splink(model)
    k = keys_for(first_name="Ana", last_name="Soto", date_of_birth=date(1980, 1, 2))
    pairs = [("123456789", "123456789"), ("123456789", "123456780"), ("123456789", "213456789"),
             ("123456789", "103456780"), ("123456789", "987654321"), ("123456789", ""), ("", "")]  # fmt: skip
    left = [splink_record(f"l{i}", k, "", a) for i, (a, _) in enumerate(pairs)]
    right = [splink_record(f"r{i}", k, "", b) for i, (_, b) in enumerate(pairs)]
    out = splink_score_pairs(model, left, right)
    by_id = {r["unique_id"]: r for r in left + right}
    fields = ("first_norm", "first_canon", "middle_norm", "last_norm", "last_tok1", "last_tok2", "dob", "sex",
              "country", "fbi", "anum")  # fmt: skip
    checked = 0
    for o in out:
        a = tuple(by_id[o["unique_id_l"]][c] or "" for c in fields)
        b = tuple(by_id[o["unique_id_r"]][c] or "" for c in fields)
        assert abs(scorer.weight(a, b) - o["match_weight"]) < 1e-9
        lv = scorer.levels(a, b)[ANUM]
        assert o["gamma_a_number"] == (-1 if lv == 0 else 4 - lv)
        checked += 1
    assert checked == len(pairs) ** 2


@pytest.mark.django_db
def test_an_equal_a_number_brings_a_candidate_no_name_or_dob_rule_reaches(world, monkeypatch):
    screening_model_store(
        actor=world.supervisor, splink_model=rescale_prior(anum_model(), TRAIN, REGISTRY), version="test-anum",
        registry_size=REGISTRY, review_threshold=0.2,
    )  # fmt: skip
    p = registry_subject_add(
        actor=world.supervisor, first_name="Rodrigo", last_name="Salinas", date_of_birth=date(1970, 3, 5), sex="M",
        identifiers={IdentifierType.A_NUMBER: "A123-456-789"},
    )  # fmt: skip
    assert RegistryKey.objects.get(pk=p.pk).a_number == "123456789"
    # A surname two letters off (its first letter, and so its sound, changed: not one edit, so no spelling
    # correction) and a DOB in another year: no blocking rule reaches the registry record.
    far = {"first": "Rodrigo", "last": "Zalinaz", "dob": date(1971, 8, 19), "sex": "M"}
    monkeypatch.setattr(stages, "A_NUMBER_PROBE", False)
    b0 = booking_of(world, **far, a_number="123456789")
    assert screen_booking(actor=world.booking_clerk, booking=b0).candidates == 0
    monkeypatch.setattr(stages, "A_NUMBER_PROBE", True)
    b1 = booking_of(world, **far, a_number="123456789")
    assert screen_booking(actor=world.booking_clerk, booking=b1).candidates == 1
    m = IdentityMatch.objects.get(booking=b1, subject=p)
    assert m.basis == "BIOGRAPHIC" and not m.identifier_conflict  # scored, never a match on the number alone
    term = next(t for t in m.explanation["comparisons"] if t["comparison"] == "a_number")
    assert term["level"] == "exact" and term["weight"] > 8
    # Another A-number: no candidate from the probe.
    b2 = booking_of(world, **far, a_number="987654321")
    assert screen_booking(actor=world.booking_clerk, booking=b2).candidates == 0


def test_an_a_number_one_keying_slip_away_brings_its_record_when_nothing_else_did(world, monkeypatch):
    """Stage four: a mis-keyed A-number (a digit changed, two neighbours swapped) matches nobody exactly; the
    registry's A-numbers one slip away bring their records as candidates to score."""
    screening_model_store(
        actor=world.supervisor, splink_model=rescale_prior(anum_model(), TRAIN, REGISTRY), version="test-anum",
        registry_size=REGISTRY, review_threshold=0.2,
    )  # fmt: skip
    registry_subject_add(
        actor=world.supervisor, first_name="Rodrigo", last_name="Salinas", date_of_birth=date(1970, 3, 5), sex="M",
        identifiers={IdentifierType.A_NUMBER: "123456789"},
    )  # fmt: skip
    far = {"first": "Rodrigo", "last": "Zalinaz", "dob": date(1971, 8, 19), "sex": "M"}
    monkeypatch.setattr(stages, "A_NUMBER_SLIPS", False)
    assert (
        screen_booking(actor=world.booking_clerk, booking=booking_of(world, **far, a_number="123456798")).candidates
        == 0
    )
    monkeypatch.setattr(stages, "A_NUMBER_SLIPS", True)
    for slip in ("123456798", "123450789"):  # two neighbours swapped, a digit changed
        b = booking_of(world, **far, a_number=slip)
        assert screen_booking(actor=world.booking_clerk, booking=b).candidates == 1  # scored (below 0.2 here)
    # two slips: no candidate
    b = booking_of(world, **far, a_number="123465798")
    assert screen_booking(actor=world.booking_clerk, booking=b).candidates == 0
