"""Learning from the officers' decisions: the labels, m estimated from them, and the shadow comparison that keeps a
model losing recall on the labelled decisions from being activated."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from holdtrack.audit.models import AuditEvent
from holdtrack.core.errors import NotPermitted, ValidationFailed
from holdtrack.custody import services as cs
from holdtrack.custody.models import IdentityMatch, MatchBasis, MatchStatus
from holdtrack.screening import learning
from holdtrack.screening.fs_model import Scorer
from holdtrack.screening.learning import (
    LabelledPair,
    labelled_pairs,
    m_from_labels,
    screening_model_activate,
    shadow_figures,
)
from holdtrack.screening.models import ScreeningModel
from holdtrack.screening.services import active_model, screen_booking, screening_model_store
from holdtrack.screening.training import rescale_prior, screening_model_train
from holdtrack.simulation.registry import RegistryPerson, registry_build
from holdtrack.simulation.training import synthetic_training_bookings
from tests.factories import UserFactory
from tests.screening.factories_screening import TRAIN_SIZE, booking_of, trained_model

REGISTRY = 300


def _digit_off(d: date) -> date:
    """The same DOB with the last digit of the day changed (one character apart in ISO form)."""
    return d.replace(day=d.day + 1 if d.day % 10 < 8 and d.day < 28 else d.day - 1)


def _propose(world, p: RegistryPerson, *, dob: date | None = None, fbi: str = "") -> list[IdentityMatch]:  # type: ignore[no-untyped-def]
    b = booking_of(
        world, first=p.first_name, middle=p.middle_name, last=p.last_name, dob=dob or p.date_of_birth, sex=p.sex,
        country=p.birth_country, fbi=fbi,
    )  # fmt: skip
    screen_booking(actor=world.booking_clerk, booking=b)
    return list(IdentityMatch.objects.filter(booking=b).order_by("id"))


def _decide(world, matches: list[IdentityMatch], p: RegistryPerson) -> None:  # type: ignore[no-untyped-def]
    """The officer confirms the proposal of the right registry subject and rejects the others."""
    for m in matches:
        cs.identity_match_review(
            actor=world.officer, match=m, confirm=m.subject_id == p.subject_id, reason="checked the records"
        )


@pytest.fixture
def reg(world):  # type: ignore[no-untyped-def]
    people = registry_build(size=REGISTRY, seed=5)
    model = screening_model_store(
        actor=world.supervisor,
        splink_model=rescale_prior(trained_model(), TRAIN_SIZE, REGISTRY),
        version="test-v1",
        registry_size=REGISTRY,
        review_threshold=0.2,
    )
    return people, model


def _decided(world, people: list[RegistryPerson], n: int, *, digit_off_every: int = 0) -> int:  # type: ignore[no-untyped-def]
    """Book and decide ``n`` registry people (every k-th with a DOB one digit off); the confirmed count."""
    confirmed = 0
    for i, p in enumerate(people[:n]):
        dob = _digit_off(p.date_of_birth) if digit_off_every and p.date_of_birth and i % digit_off_every == 0 else None
        matches = _propose(world, p, dob=dob)
        _decide(world, matches, p)
        confirmed += any(m.subject_id == p.subject_id for m in matches)
    return confirmed


# ------------------------------------------------------------------------------------------------ labels


def test_labels_are_decided_biographic_matches_and_a_revoked_match_counts_against(world, reg):
    people, _model = reg
    p, q, r, s = [x for x in people if x.date_of_birth][:4]
    confirmed = _propose(world, p)
    _decide(world, confirmed, p)
    revoked = next(m for m in _propose(world, q) if m.subject_id == q.subject_id)
    cs.identity_match_review(actor=world.officer, match=revoked, confirm=True, reason="same person")
    cs.identity_match_revoke(actor=world.supervisor, match=revoked, reason="fingerprints say otherwise")
    undecided = _propose(world, r)  # still PROPOSED: no label
    biometric = [m for m in _propose(world, s, fbi=s.fbi_ucn) if m.basis == MatchBasis.BIOMETRIC]
    assert biometric
    cs.identity_match_review(actor=world.officer, match=biometric[0], confirm=True, reason="fingerprints")

    pairs = {lp.match_id: lp for lp in labelled_pairs(actor=world.supervisor)}
    assert {m.pk for m in confirmed} <= set(pairs)
    right = next(m for m in confirmed if m.subject_id == p.subject_id)
    assert pairs[right.pk].confirmed and pairs[right.pk].has_dob
    assert not pairs[revoked.pk].confirmed  # confirmed, then revoked: the last decision is a negative
    assert not {m.pk for m in undecided} & set(pairs)
    assert biometric[0].pk not in pairs
    # The pair is rebuilt as screening scores it: the score stored with the proposal comes back.
    scorer = Scorer.from_splink(ScreeningModel.objects.get(version="test-v1").splink_model)
    from holdtrack.screening.fs_model import probability
    from holdtrack.screening.learning import pairs_frequencies

    tf = pairs_frequencies([pairs[right.pk]])
    assert tf is not None  # the registry's names are counted: screening applied term frequencies
    score = probability(scorer.weight(pairs[right.pk].booking, pairs[right.pk].registry, tf))
    assert score == pytest.approx(right.score)


def test_labels_are_for_the_roles_that_store_models(world):
    analyst = UserFactory(role="ANALYST", organization=None)
    with pytest.raises(NotPermitted):
        labelled_pairs(actor=analyst)


# ------------------------------------------------------------------------------------------ m from labels


def _level(model: dict, comparison: str, label: str) -> dict:  # type: ignore[type-arg]
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == comparison)
    return next(lv for lv in comp["comparison_levels"] if lv.get("label_for_charts") == label)


def _pairs_from_people(people: list[RegistryPerson], *, digit_off_share: int) -> list[LabelledPair]:
    from holdtrack.screening import candidates as cand
    from holdtrack.screening.services import subject_keys

    out = []
    for i, p in enumerate(people):
        off = i % digit_off_share == 0
        booked = RegistryPerson(
            0, p.first_name, p.middle_name, p.last_name, _digit_off(p.date_of_birth) if off else p.date_of_birth,
            p.sex, p.birth_country,
        )  # fmt: skip
        out.append(
            LabelledPair(i, True, cand.booking_rec(subject_keys(booked)), cand.booking_rec(subject_keys(p)), True)
        )
    return out


def test_m_is_estimated_from_the_confirmed_pairs():
    from holdtrack.simulation.registry import registry_people

    people = [p for p in registry_people(400, 3) if p.date_of_birth][:200]
    model = rescale_prior(trained_model(), TRAIN_SIZE, 1000)
    em_digit = float(_level(model, "date_of_birth", "one digit different")["m_probability"])
    em_exact = float(_level(model, "date_of_birth", "exact")["m_probability"])
    # A third of the confirmed pairs have a DOB one digit off: far more than EM assumed.
    pairs = _pairs_from_people(people, digit_off_share=3)
    learned, report = m_from_labels(model, pairs)
    digit = float(_level(learned, "date_of_birth", "one digit different")["m_probability"])
    exact = float(_level(learned, "date_of_birth", "exact")["m_probability"])
    n = report["comparisons"]["date_of_birth"]["pairs"]
    seen = report["comparisons"]["date_of_birth"]["levels"]["one digit different"]
    assert n == 200 and seen >= 60
    assert digit == pytest.approx(
        (seen + learning.PSEUDO_PAIRS * em_digit / _free_m(model)) / (n + learning.PSEUDO_PAIRS)
    )
    assert digit > 0.25 > em_digit and exact < em_exact
    # A level no confirmed pair showed keeps a share of its EM m: never 0.
    assert 0 < float(_level(learned, "date_of_birth", "day and month swapped")["m_probability"]) < 0.05
    # Fixed levels (FBI number) and null levels are untouched.
    assert (
        _level(learned, "fbi_number", "exact")["m_probability"] == _level(model, "fbi_number", "exact")["m_probability"]
    )
    assert "m_probability" not in _level(learned, "date_of_birth", "null")
    # The learned model still passes the sanity gates and the input model is not changed.
    from holdtrack.screening.gates import model_gate_failures

    assert model_gate_failures(learned, 1000) == []
    assert float(_level(model, "date_of_birth", "one digit different")["m_probability"]) == em_digit
    # Rejected pairs do not move m.
    negatives = [LabelledPair(p.match_id + 1000, False, p.booking, p.booking, True) for p in pairs]
    assert m_from_labels(model, pairs + negatives)[0] == learned


def _free_m(model: dict) -> float:  # type: ignore[type-arg]
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == "date_of_birth")
    return sum(float(lv["m_probability"]) for lv in comp["comparison_levels"] if not lv.get("is_null_level"))


def test_too_few_confirmed_decisions_are_refused_before_training(world, reg):
    people, _model = reg
    _decided(world, [p for p in people if p.date_of_birth], 3)
    with pytest.raises(CommandError, match=re.escape(f"at least {learning.MIN_CONFIRMED_LABELS} confirmed")):
        call_command("screening", "train", "--labels", "--sample", "300", "--bookings", "300",
                     stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert ScreeningModel.objects.count() == 1


@pytest.mark.slow
def test_train_with_labels_moves_m_and_keeps_the_figures(world):
    people = registry_build(size=1500, seed=6)
    first = screening_model_train(
        synthetic_bookings=synthetic_training_bookings, actor=world.supervisor, sample=1500, bookings=1500, seed=2
    )
    with_dob = [p for p in people if p.date_of_birth]
    confirmed = _decided(world, with_dob, 45, digit_off_every=3)
    assert confirmed >= learning.MIN_CONFIRMED_LABELS

    out = io.StringIO()
    call_command("screening", "train", "--labels", "--sample", "1500", "--bookings", "1500", "--seed", "2",
                 stdout=out, stderr=io.StringIO())  # fmt: skip
    m = ScreeningModel.objects.exclude(pk=first.pk).get()
    used = m.evaluations[0]["labels_used"]
    assert used["confirmed"] == confirmed and "m from" in m.notes
    seen = used["comparisons"]["date_of_birth"]["levels"]["one digit different"]
    n = used["comparisons"]["date_of_birth"]["pairs"]
    assert seen / n > 0.25
    # The same seed gives the same EM estimate: only the labels moved m.
    before = float(_level(first.splink_model, "date_of_birth", "one digit different")["m_probability"])
    after = float(_level(m.splink_model, "date_of_birth", "one digit different")["m_probability"])
    assert after > 0.2 > before
    figures = m.evaluations[0]
    assert figures["incumbent"]["version"] == first.version and figures["candidate"]["confirmed"] == confirmed
    said = out.getvalue()
    assert m.version in said and ("Shadow comparison" in said if m.active else "did NOT activate" in said)


# ------------------------------------------------------------------------------------------ shadow scoring


@pytest.mark.slow
def test_a_model_that_loses_recall_is_stored_inactive_and_cannot_be_activated(world, reg):
    people, old = reg
    confirmed = _decided(world, [p for p in people if p.date_of_birth], 12, digit_off_every=2)
    assert confirmed >= 8
    pairs = labelled_pairs(actor=world.supervisor)
    base = shadow_figures(Scorer.from_splink(old.splink_model), old.review_threshold, pairs)
    assert base["recall"] == 1.0  # every confirmed pair was proposed by this model

    # The same parameters with a review threshold so high that the DOB-off pairs fall below it.
    strict = screening_model_store(
        actor=world.supervisor,
        splink_model=old.splink_model,
        version="test-strict",
        registry_size=REGISTRY,
        review_threshold=0.999999,
    )
    assert not strict.active and active_model() == old
    ev = strict.evaluations[0]
    assert ev["incumbent"]["version"] == "test-v1" and ev["incumbent"]["true_positives"] == confirmed
    assert ev["candidate"]["true_positives"] < confirmed and not ev["activate"]
    assert ev["candidate"]["recall"] < ev["incumbent"]["recall"] and "no longer be proposed" in ev["reason"]
    event = AuditEvent.objects.filter(action="screening_model.store", entity_id=str(strict.pk)).get()
    assert event.data["activated"] is False
    listing = io.StringIO()
    call_command("screening", "models", stdout=listing, stderr=io.StringIO())
    line = next(x for x in listing.getvalue().splitlines() if x.startswith("test-strict"))
    assert "inactive" in line and "would no longer be proposed" in line

    with pytest.raises(ValidationFailed, match="was not activated: recall"):
        screening_model_activate(actor=world.supervisor, version="test-strict")
    with pytest.raises(CommandError, match="was not activated"):
        call_command("screening", "activate", "test-strict", stdout=io.StringIO(), stderr=io.StringIO())
    strict.refresh_from_db()
    assert not strict.active and len(strict.evaluations) == 1

    # A version that proposes the same confirmed pairs is activated, and the activation is audited.
    same = screening_model_store(
        actor=world.supervisor, splink_model=old.splink_model, version="test-same", registry_size=REGISTRY,
        review_threshold=0.2, notes="stored while another is active",
    )  # fmt: skip
    assert same.active and active_model() == same
    out = io.StringIO()
    call_command("screening", "activate", "test-v1", stdout=out, stderr=io.StringIO())
    assert "Activated screening model test-v1" in out.getvalue() and active_model() == old
    old.refresh_from_db()
    assert old.evaluations[-1]["event"] == "activate" and old.evaluations[-1]["incumbent"]["version"] == "test-same"
    assert AuditEvent.objects.filter(action="screening_model.activate", entity_id=str(old.pk)).exists()


def test_rejected_pairs_count_as_false_positives(world, reg):
    people, old = reg
    p = next(x for x in people if x.date_of_birth)
    matches = _propose(world, p)
    for m in matches:
        cs.identity_match_review(actor=world.officer, match=m, confirm=False, reason="not the same person")
    assert IdentityMatch.objects.filter(status=MatchStatus.REJECTED).count() == len(matches) > 0
    figures = shadow_figures(Scorer.from_splink(old.splink_model), 0.2, labelled_pairs(actor=world.supervisor))
    assert figures["false_positives"] == figures["rejected"] == len(matches)
    assert figures["recall"] is None and figures["precision"] == 0.0
