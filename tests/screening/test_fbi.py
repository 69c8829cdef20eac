"""The FBI-number comparison: equal / one character different / different / missing, the conflict flag on
proposals, and models stored before the comparison existed."""

from __future__ import annotations

import copy
from itertools import product

import pytest

from holdtrack.custody.models import IdentityMatch
from holdtrack.screening import candidates as cand
from holdtrack.screening.fs_model import COMPARISONS, Scorer, fbi_conflict, probability
from holdtrack.screening.services import screen_booking, screening_model_store, subject_keys
from holdtrack.screening.training import rescale_prior
from holdtrack.simulation.registry import registry_build
from tests.screening.factories_screening import TRAIN_SIZE, booking_of, trained_model

FBI = [c["output_column_name"] for c in COMPARISONS].index("fbi_number")  # its place among the comparisons

REGISTRY = 300
THRESHOLD = 0.2


@pytest.fixture
def reg(world):
    people = registry_build(size=REGISTRY, seed=5)
    screening_model_store(
        actor=world.supervisor,
        splink_model=rescale_prior(trained_model(), TRAIN_SIZE, REGISTRY),
        version="test-fbi",
        registry_size=REGISTRY,
        review_threshold=THRESHOLD,
    )
    return people


def _typo(fbi: str) -> str:
    return fbi[:-1] + ("0" if fbi[-1] != "0" else "1")


def _far(fbi: str) -> str:
    return "ZZ" + fbi[2:-3] + ("000" if fbi[-3:] != "000" else "111")


def test_levels_and_weights():
    scorer = Scorer.from_splink(trained_model())
    fbi = scorer.comparisons[FBI]
    assert fbi.name == "fbi_number"
    assert fbi.labels[1:] == ("exact", "one character different", "two characters different", "different")
    null, exact, typo, two, different = fbi.weights
    assert null == 0 and exact > typo > two > 0 > different
    assert different < -8  # strong evidence against: m(different) is small

    base = cand.booking_rec(subject_keys(_Person()))
    other = cand.booking_rec(subject_keys(_Person()), "SY1234567")
    # (record a, record b) → level
    cases = [("", "SY1234567", 0), ("SY1234567", "SY1234567", 1), ("SY1234567", "SY1234576", 2),
             ("SY1234567", "SY1234568", 2), ("SY1234567", "SY9934567", 3), ("SY1234567", "SY9994567", 4),
             ("sy-123 4567", "SY1234567", 1)]  # fmt: skip
    for fa, fb, want in cases:
        a = cand.booking_rec(subject_keys(_Person()), fa)
        b = cand.booking_rec(subject_keys(_Person()), fb)
        assert scorer.levels(a, b)[FBI] == want, (fa, fb)
        assert fbi_conflict(a, b) == (want >= 3)
    assert scorer.weight(base, other) == pytest.approx(scorer.weight(base, base))  # missing = ignored


class _Person:
    first_name, middle_name, last_name, second_last_name = "Rodrigo", "", "Salinas", ""
    date_of_birth = None
    sex, birth_country, subject_id = "M", "Mexico", None


def _book(world, p, fbi):  # type: ignore[no-untyped-def]
    return booking_of(
        world, first=p.first_name, middle=p.middle_name, last=p.last_name, dob=p.date_of_birth, sex=p.sex,
        country=p.birth_country, fbi=fbi,
    )  # fmt: skip


def _namesake(scorer: Scorer, people):  # type: ignore[no-untyped-def]
    """A registry person and a booking of a near namesake (born on the same day of another year: retrieved by
    the month-day blocking rule) that scores between 0.5 and 0.95 without FBI numbers, as the namesake of
    issue 10 (p = 0.92)."""
    from dataclasses import replace

    for p in people:
        if (p.date_of_birth.month, p.date_of_birth.day) == (2, 29):
            continue
        for years, middle, country in product((1, 2, 10, 11, 20), ("keep", ""), ("keep", "")):
            q = replace(
                p,
                date_of_birth=p.date_of_birth.replace(year=p.date_of_birth.year + years),
                middle_name=p.middle_name if middle else "",
                birth_country=p.birth_country if country else "",
            )
            w = scorer.weight(cand.booking_rec(subject_keys(q)), cand.booking_rec(subject_keys(p)))
            if 0.5 <= probability(w) <= 0.95:
                return p, q
    raise AssertionError("no namesake found")


def test_a_namesake_with_another_fbi_number_falls_well_below_the_threshold_and_an_equal_one_rises(world, reg):
    from holdtrack.screening.models import NameFrequency

    # The namesake is chosen by the model's weights alone: no term-frequency adjustment (tested on its own).
    NameFrequency.objects.all().delete()
    scorer = Scorer.from_splink(rescale_prior(trained_model(), TRAIN_SIZE, REGISTRY))
    p, q = _namesake(scorer, reg)
    plain, conflicting, typo = (_book(world, q, fbi) for fbi in ("", _far(p.fbi_ucn), _typo(p.fbi_ucn)))
    for b in (plain, conflicting, typo):
        screen_booking(actor=world.booking_clerk, booking=b)
    base = IdentityMatch.objects.get(booking=plain, subject_id=p.subject_id)
    assert base.score is not None and 0.5 <= base.score <= 0.95 and not base.identifier_conflict
    # Another FBI number: far below the review threshold, not proposed.
    assert not IdentityMatch.objects.filter(booking=conflicting, subject_id=p.subject_id).exists()
    assert probability(base.explanation["total_weight"] + scorer.comparisons[FBI].weights[-1]) < THRESHOLD / 10
    # One character off (a keying error): far stronger than no number at all.
    m = IdentityMatch.objects.get(booking=typo, subject_id=p.subject_id)
    assert m.score is not None and m.score > base.score and m.score > 0.999
    assert m.explanation["total_weight"] - base.explanation["total_weight"] > 8  # bits
    assert m.explanation["comparisons"][FBI]["level"] == "one character different"
    assert not m.identifier_conflict
    # The equal number is the biometric match (score 1), as before.
    equal = _book(world, q, p.fbi_ucn)
    assert screen_booking(actor=world.booking_clerk, booking=equal).biometric == 1


def test_a_proposal_across_conflicting_fbi_numbers_is_flagged(world, reg):
    # A proposal across conflicting FBI numbers needs overwhelming biographic evidence; a near-zero review
    # threshold makes one here.
    p = reg[20]
    b = _book(world, p, _far(p.fbi_ucn))
    model = copy.deepcopy(rescale_prior(trained_model(), TRAIN_SIZE, REGISTRY))
    screening_model_store(
        actor=world.supervisor, splink_model=model, version="test-fbi-low", registry_size=REGISTRY,
        review_threshold=1e-6,
    )  # fmt: skip
    screen_booking(actor=world.booking_clerk, booking=b)
    m = IdentityMatch.objects.get(booking=b, subject_id=p.subject_id)
    assert m.identifier_conflict
    assert m.explanation["comparisons"][FBI]["level"] == "different"
    assert m.explanation["comparisons"][FBI]["registry"] == p.fbi_ucn
    # Without an FBI number on the booking no conflict is flagged.
    b2 = _book(world, p, "")
    screen_booking(actor=world.booking_clerk, booking=b2)
    assert not IdentityMatch.objects.get(booking=b2, subject_id=p.subject_id).identifier_conflict


def test_a_model_stored_before_the_fbi_comparison_still_scores(world, reg):
    old = copy.deepcopy(rescale_prior(trained_model(), TRAIN_SIZE, REGISTRY))
    old["comparisons"] = [c for c in old["comparisons"] if c["output_column_name"] != "fbi_number"]
    scorer = Scorer.from_splink(old)
    assert scorer.comparisons[FBI].name == "fbi_number" and set(scorer.comparisons[FBI].weights) == {0.0}
    with pytest.raises(ValueError, match="lacks"):
        Scorer.from_splink(old, complete=True)
    # An old row in the database (stored by an earlier release) is still applied.
    from holdtrack.screening.models import ScreeningModel

    ScreeningModel.objects.update(active=False)
    ScreeningModel.objects.create(
        version="old-6", splink_model=old, review_threshold=THRESHOLD, registry_size=REGISTRY,
        trained_at=ScreeningModel.objects.first().trained_at,  # type: ignore[union-attr]
    )  # fmt: skip
    p = reg[30]
    b = _book(world, p, _far(p.fbi_ucn))
    screen_booking(actor=world.booking_clerk, booking=b)
    m = IdentityMatch.objects.get(booking=b, subject_id=p.subject_id)
    assert m.model_version == "old-6" and m.identifier_conflict  # flagged even when the model ignores it
