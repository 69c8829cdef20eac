"""Term-frequency adjustments: the registry's name counts, kept current, and what they do to a score."""

from __future__ import annotations

from datetime import date

import pytest

from holdtrack.custody.models import IdentityMatch
from holdtrack.screening.frequencies import frequencies_for, name_frequencies_refresh
from holdtrack.screening.fs_model import TF_MAX_BITS, TermFrequencies
from holdtrack.screening.models import NameFrequency, RegistryKey
from holdtrack.screening.services import registry_subject_add, screen_booking
from tests.screening.factories_screening import booking_of
from tests.screening.test_services import reg  # noqa: F401 - the registry fixture

pytestmark = pytest.mark.django_db


def _add(world, first: str, last: str, dob: date):  # type: ignore[no-untyped-def]
    return registry_subject_add(actor=world.supervisor, first_name=first, last_name=last, date_of_birth=dob, sex="M")


def test_refresh_counts_every_registry_name_and_the_size(world):
    RegistryKey.objects.all().delete()
    for i in range(3):
        _add(world, "José", "García", date(1980 + i, 1, 2))
    _add(world, "Ximeno", "Quirarte", date(1981, 3, 4))
    assert name_frequencies_refresh() == 4
    tf = frequencies_for([("last_name", "garcia"), ("last_name", "quirarte"), ("first_name", "jose")])
    assert tf is not None and tf.total == 4
    assert [tf.counts[k] for k in (("last_name", "garcia"), ("last_name", "quirarte"), ("first_name", "jose"))] == [
        3,
        1,
        3,
    ]


def test_adding_one_subject_keeps_the_counts_current_once_built(world):
    NameFrequency.objects.all().delete()
    _add(world, "Ana", "Soto", date(1980, 1, 2))
    assert not NameFrequency.objects.exists()  # never built: stays empty, no adjustment
    RegistryKey.objects.exclude(subject__last_name="Soto").delete()
    name_frequencies_refresh()
    _add(world, "Ana", "Soto", date(1990, 1, 2))
    _add(world, "Ana", "Ybarra", date(1990, 1, 2))
    tf = frequencies_for([("last_name", "soto"), ("last_name", "ybarra"), ("first_name", "ana")])
    assert tf is not None and tf.total == RegistryKey.objects.count() == 3
    assert tf.counts[("last_name", "soto")] == 2 and tf.counts[("last_name", "ybarra")] == 1
    assert tf.counts[("first_name", "ana")] == 3


def test_a_rare_name_counts_more_and_a_common_one_less_within_the_bound():
    tf = TermFrequencies(1_000_000, {("last_name", "rare"): 1, ("last_name", "common"): 20_000})
    u = 0.001  # two random records share a surname one time in a thousand
    assert tf.adjustment("last_name", "rare", u) == TF_MAX_BITS  # log2(1000) bounded
    assert tf.adjustment("last_name", "common", u) == pytest.approx(-4.3219, abs=1e-3)  # log2(0.001 × 1e6 / 2e4)
    assert tf.adjustment("last_name", "unknown", u) == 0.0


def test_screening_applies_the_adjustment_and_the_explanation_still_adds_up(world, reg):  # noqa: F811
    people, _ = reg
    p = people[3]
    name_frequencies_refresh()
    b = booking_of(world, first=p.first_name, middle=p.middle_name, last=p.last_name, dob=p.date_of_birth,
                   sex=p.sex, country=p.birth_country)  # fmt: skip
    screen_booking(actor=world.booking_clerk, booking=b)
    m = IdentityMatch.objects.get(booking=b, subject_id=p.subject_id)
    terms = {t["comparison"]: t for t in m.explanation["comparisons"]}
    assert "tf_adjustment" in terms["last_name"] and "tf_adjustment" in terms["first_name"]
    assert terms["last_name"]["tf_adjustment"] != 0
    total = m.explanation["prior"]["weight"] + sum(t["weight"] for t in m.explanation["comparisons"])
    assert total == pytest.approx(m.explanation["total_weight"], abs=1e-5)


def test_a_common_name_exact_never_weighs_less_than_the_same_name_one_letter_off():
    """The adjustment lowers an exact agreement on a very common given name; it stops at what the near-spelling
    level weighs ("Juan" against "Juan" no less than against "Jun", ADR 0063), in the weight and the explanation."""
    from holdtrack.screening.fs_model import TF_FLOOR_LEVEL, Scorer
    from tests.screening.factories_screening import trained_model
    from tests.screening.test_fs_model import _rec

    scorer = Scorer.from_splink(trained_model())
    first = next(c for c in scorer.comparisons if c.name == "first_name")
    near = first.weights[first.labels.index(TF_FLOOR_LEVEL)]
    booking, same, typo = (_rec(f, "Quirarte", date(1991, 1, 1)) for f in ("Juan", "Juan", "Jun"))
    crowded = TermFrequencies(1_000_000, {("first_name", "juan"): 200_000, ("last_name", "quirarte"): 1})
    assert first.weights[1] + crowded.adjustment("first_name", "juan", first.u_exact) < near  # the floor binds
    assert scorer.weight(booking, same, crowded) == pytest.approx(scorer.weight(booking, typo, crowded))
    total, terms = scorer.explain(booking, same, crowded)
    assert total == pytest.approx(scorer.weight(booking, same, crowded))
    assert terms[0]["weight"] == pytest.approx(near, abs=1e-6)
    rare = TermFrequencies(1_000_000, {("first_name", "juan"): 10, ("last_name", "quirarte"): 1})
    assert scorer.weight(booking, same, rare) > scorer.weight(booking, typo, rare)  # above the floor: adjusted
