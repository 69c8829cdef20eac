"""Training with splink stores a versioned model; a new version replaces the active one."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from holdtrack.core.errors import ValidationFailed
from holdtrack.screening.fs_model import Scorer
from holdtrack.screening.models import ScreeningModel
from holdtrack.screening.services import active_model, screening_model_store
from holdtrack.screening.training import rescale_prior, screening_model_train
from holdtrack.simulation.registry import registry_build


def test_training_stores_a_versioned_active_model(world):
    registry_build(size=1500, seed=6)
    m = screening_model_train(actor=world.supervisor, sample=1500, bookings=1500, seed=2)
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
        screening_model_train(actor=world.supervisor)
