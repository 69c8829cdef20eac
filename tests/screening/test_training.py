"""Training with splink stores a versioned model; a new version replaces the active one."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from holdtrack.core.errors import ValidationFailed
from holdtrack.screening.fs_model import Scorer
from holdtrack.screening.models import ScreeningModel
from holdtrack.screening.services import active_model, screening_model_store
from holdtrack.screening.training import rescale_prior, screening_model_train
from holdtrack.simulation.registry import registry_build
from holdtrack.simulation.training import synthetic_training_bookings


@pytest.mark.slow
def test_training_stores_a_versioned_active_model(world):
    registry_build(size=1500, seed=6)
    m = screening_model_train(
        synthetic_bookings=synthetic_training_bookings, actor=world.supervisor, sample=1500, bookings=1500, seed=2
    )
    assert m.active and m.version.startswith("fs-") and m.registry_size == 1500
    assert m.training_registry == 1500 and m.training_bookings == 1500 and "synthetic bookings" in m.notes
    scorer = Scorer.from_splink(m.splink_model)  # every level trained
    assert [c.name for c in scorer.comparisons][:2] == ["first_name", "last_name"]
    # Agreement counts for a match, disagreement against it.
    dob = scorer.comparisons[3]
    assert dob.weights[1] > 0 and dob.weights[1] > dob.weights[-1]
    assert active_model() == m

    out = io.StringIO()
    call_command("screening", "train", "--sample", "1500", "--bookings", "1500", "--seed", "3", stdout=out,
                 stderr=io.StringIO())  # fmt: skip
    newer = active_model()
    assert newer is not None and newer.pk != m.pk and newer.version in out.getvalue()
    m.refresh_from_db()
    assert not m.active and ScreeningModel.objects.count() == 2


def test_prior_is_rescaled_to_the_registry_size():
    model = {"probability_two_random_records_match": 1e-4, "comparisons": []}
    assert rescale_prior(model, 100_000, 1_000_000)["probability_two_random_records_match"] == pytest.approx(1e-5)


def test_a_model_whose_comparisons_differ_is_refused(world):
    with pytest.raises(ValidationFailed):
        screening_model_store(
            actor=world.supervisor,
            splink_model={"probability_two_random_records_match": 0.001, "comparisons": []},
            version="bad",
            registry_size=1,
        )


def test_training_refuses_an_empty_registry(world):
    with pytest.raises(ValidationFailed):
        screening_model_train(synthetic_bookings=synthetic_training_bookings, actor=world.supervisor)


# ------------------------------------------------------------------------------------------ sanity gates


def _good_model() -> dict:  # type: ignore[type-arg]
    import copy

    from tests.screening.factories_screening import TRAIN_SIZE, trained_model

    return copy.deepcopy(rescale_prior(trained_model(), TRAIN_SIZE, 1000))


def _level(model: dict, comparison: str, label: str) -> dict:  # type: ignore[type-arg]
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == comparison)
    return next(lv for lv in comp["comparison_levels"] if lv.get("label_for_charts") == label)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda m: _level(m, "date_of_birth", "exact").update(m_probability=0.13), "m(date_of_birth: exact) = 0.13"),
        (lambda m: _level(m, "last_name", "exact").update(m_probability=0.2), "m(last_name: exact) = 0.2"),
        (lambda m: _level(m, "sex", "exact").update(u_probability=1.5), "u(sex: exact) = 1.5 is outside (0, 1)"),
        (lambda m: _level(m, "first_name", "different").update(m_probability=0), "m(first_name: different) = 0"),
        (
            lambda m: _level(m, "birth_country", "exact").update(m_probability=0.9, u_probability=0.95),
            "u(birth_country: exact) = 0.95 exceeds m(birth_country: exact) = 0.9",
        ),
        (
            lambda m: _level(m, "sex", "different").update(m_probability=0.001, u_probability=1e-6),
            "a different value would count for a match",
        ),
        (lambda m: m.update(probability_two_random_records_match=0.3), "expected matches per booking"),
        (lambda m: m.update(probability_two_random_records_match=1e-9), "expected matches per booking"),
    ],
)
def test_an_implausible_model_is_refused_with_the_parameter_named(world, spoil, message):
    model = _good_model()
    spoil(model)
    with pytest.raises(ValidationFailed, match=re.escape(message)):
        screening_model_store(actor=world.supervisor, splink_model=model, version="spoilt", registry_size=1000)
    assert not ScreeningModel.objects.filter(version="spoilt").exists()
    # The good model passes the same gates.
    assert screening_model_store(actor=world.supervisor, splink_model=_good_model(), version="ok", registry_size=1000)


def test_screening_train_exits_non_zero_and_stores_nothing_when_a_gate_refuses(world, monkeypatch):
    from django.core.management.base import CommandError

    from holdtrack.screening import splink_io

    registry_build(size=300, seed=6)
    # trained before the patch: run first in its process, the session's model would be trained by the patch itself
    model = _good_model()
    _level(model, "date_of_birth", "exact").update(m_probability=0.04)

    def spoilt_train(*args, **kwargs):  # type: ignore[no-untyped-def]
        return model

    monkeypatch.setattr(splink_io, "train", spoilt_train)  # a degenerate EM result, not a database mock
    with pytest.raises(CommandError, match=re.escape("m(date_of_birth: exact) = 0.04")):
        call_command("screening", "train", "--sample", "300", "--bookings", "300", stdout=io.StringIO(),
                     stderr=io.StringIO())  # fmt: skip
    assert not ScreeningModel.objects.exists()


# ------------------------------------------------------------------------------------------ prior


def _records(people, rows):  # type: ignore[no-untyped-def]
    from holdtrack.screening.keys import splink_record
    from tests.screening.factories_screening import person_record, row_keys

    return [person_record(p) for p in people], [
        splink_record(f"b{i}", row_keys(r), r["fbi_number"]) for i, r in enumerate(rows)
    ]


def test_prior_is_right_whether_bookings_come_from_the_whole_registry_or_the_sample():
    import random

    from holdtrack.screening.training import estimate_prior
    from holdtrack.simulation.registry import generate_bookings, registry_people
    from tests.screening.factories_screening import with_ids

    registry = with_ids(registry_people(40_000, 31))
    sample = random.Random(1).sample(registry, 4_000)  # training sample: a tenth of the registry
    share = 0.7  # registry people among the bookings: 0.7 true matches per booking
    truth = share / len(registry)

    # Bookings from the whole registry (stored bookings): the sample holds a tenth of their matches.
    whole = generate_bookings(registry_sample=registry, count=20_000, seed=3, in_registry_share=share)
    reg_recs, book_recs = _records(sample, whole.rows)
    est = estimate_prior(reg_recs, book_recs, registry_size=len(registry), bookings_from_sample=False)
    assert est.prior == pytest.approx(truth, rel=0.35) and est.recall_measured_on >= 50
    # The former scaling (sample / registry applied again) was ten times too small.
    # What splink's deterministic-rule estimate saw: matches per (booking, sampled subject) pair.
    raw = estimate_prior(reg_recs, book_recs, registry_size=len(sample), bookings_from_sample=True).prior
    old = rescale_prior({"probability_two_random_records_match": raw, "comparisons": []}, len(sample), len(registry))
    assert old["probability_two_random_records_match"] == pytest.approx(truth / 10, rel=0.35)
    fixed = rescale_prior({"probability_two_random_records_match": est.prior, "comparisons": []}, len(sample),
                          len(registry), bookings_from_sample=False)  # fmt: skip
    assert fixed["probability_two_random_records_match"] == pytest.approx(est.prior)

    # Bookings made from the sample (synthetic training bookings): the sample holds all their matches.
    own = generate_bookings(registry_sample=sample, count=20_000, seed=4, in_registry_share=share)
    reg_recs, book_recs = _records(sample, own.rows)
    est2 = estimate_prior(reg_recs, book_recs, registry_size=len(registry), bookings_from_sample=True)
    assert est2.prior == pytest.approx(truth, rel=0.35)


@pytest.mark.slow
def test_training_on_stored_bookings_gives_em_the_fbi_matched_subjects(world, monkeypatch):
    """A sample of a tenth of the registry holds a tenth of the stored bookings' FBI matches: too few for the
    FBI-blocked EM session, which then falls back and (here) degenerates. Their matched subjects are added."""
    from datetime import date as date_

    from holdtrack.screening import training
    from holdtrack.simulation.registry import generate_bookings
    from holdtrack.simulation.training import synthetic_training_bookings
    from tests.screening.factories_screening import booking_of

    people = registry_build(size=3000, seed=7)
    gen = generate_bookings(registry_sample=people, count=400, seed=8, fbi_share=0.6)
    for r in gen.rows:
        booking_of(
            world, first=r["first_name"], middle=r["middle_name"], last=r["last_name"],
            dob=date_.fromisoformat(r["date_of_birth"]) if r["date_of_birth"] else None, sex=r["sex"] or "U",
            country=r["birth_country"], fbi=r["fbi_number"],
        )  # fmt: skip
    monkeypatch.setattr(training, "MIN_STORED_BOOKINGS", 300)  # a small deployment's threshold, for speed
    m = screening_model_train(
        synthetic_bookings=synthetic_training_bookings, actor=world.supervisor, sample=300, bookings=400, seed=2
    )
    assert "FBI-matched, for EM only" in m.notes and "400 stored bookings" in m.notes
    assert m.training_registry == 300
    dob = next(c for c in m.splink_model["comparisons"] if c["output_column_name"] == "date_of_birth")
    assert float(dob["comparison_levels"][1]["m_probability"]) > 0.8


def test_levels_training_never_saw_are_neutral_and_a_different_value_never_counts_for_a_match():
    """A field the training data never filled (FEBRL4 has no sex) leaves its levels unobserved on both sides: they
    are no evidence; the last ("different") level never weighs for a match, whatever was observed."""
    from holdtrack.screening.splink_io import NOT_OBSERVED, settle_unseen_levels

    model = _good_model()
    sex = next(c for c in model["comparisons"] if c["output_column_name"] == "sex")
    for level in sex["comparison_levels"]:
        if not level.get("is_null_level"):
            level["m_probability"] = level["u_probability"] = NOT_OBSERVED
    settle_unseen_levels(model)
    for level in sex["comparison_levels"]:
        if not level.get("is_null_level"):
            assert level["m_probability"] == level["u_probability"]
    for comp in model["comparisons"]:
        last = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")][-1]
        assert last["m_probability"] <= last["u_probability"], comp["output_column_name"]


def test_an_m_that_em_drove_to_nothing_counts_as_unseen():
    """EM can saturate the m of a level true pairs do reach (FEBRL4's wholly different DOB came out 1e-6, -19.9
    bits): no training sample tells an m under the unseen level's from 0, so it is raised to it (ADR 0058). A
    fixed m (an FBI number more than two characters off) stays below."""
    from holdtrack.screening.splink_io import UNSEEN_M, settle_unseen_levels

    model = _good_model()
    different = _level(model, "date_of_birth", "different")
    different["m_probability"], different["u_probability"] = 1e-9, 0.98
    settle_unseen_levels(model)
    assert different["m_probability"] == UNSEEN_M
    assert _level(model, "fbi_number", "different")["m_probability"] < UNSEEN_M


def test_training_without_stored_or_synthetic_bookings_is_refused(world):
    registry_build(size=200, seed=6)
    with pytest.raises(ValidationFailed, match="stored bookings; training needs at least"):
        screening_model_train(actor=world.supervisor, sample=200, bookings=200)
    assert not ScreeningModel.objects.exists()
