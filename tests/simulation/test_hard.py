"""The harder synthetic registry and booking feed (``simulation.hard``, issue 10 §3 a) and ``simulate --hard``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import replace
from datetime import date

import pytest
from django.core.management import call_command

from holdtrack.custody.models import IdentifierType, SubjectIdentifier
from holdtrack.simulation.hard import (
    BOOKING_MIX,
    DOB_RATES,
    FAMILIES,
    HABIT_RATES,
    NAME_RATES,
    NEAR_MISS_KINDS,
    HardPerson,
    hard_bookings,
    hard_world,
)
from holdtrack.simulation.hard_names import HARD_NICKNAMES, TRANSLITERATIONS
from holdtrack.simulation.registry import generate_bookings, registry_people

# sha256 of the default generator's output for a fixed seed, computed with the code before the harder generator
# existed: the default output (which tests, benches and training rely on) must not move.
DEFAULT_OUTPUT_SHA256 = "9c804a0c17e9692f7615cd6d0d40c811281acacd1dc5476d770e9622c432cb80"


@pytest.fixture(scope="module")
def generated():
    world = hard_world(20_000, 3)
    return world, hard_bookings(world, count=6000, seed=3)


def _close(hits: int, n: int, rate: float) -> bool:
    """Within four binomial standard deviations (plus half a point) of ``rate``."""
    return n > 0 and abs(hits / n - rate) <= 4 * math.sqrt(rate * (1 - rate) / n) + 0.005


def test_the_default_generator_output_is_unchanged():
    people = [replace(p, subject_id=1000 + p.index) for p in registry_people(300, 7)]
    gen = generate_bookings(registry_sample=people, count=400, seed=11)
    blob = json.dumps([gen.rows, gen.truth, gen.corruptions, [repr(p) for p in people]], sort_keys=True, default=str)
    assert hashlib.sha256(blob.encode()).hexdigest() == DEFAULT_OUTPUT_SHA256


def test_the_hard_set_is_a_function_of_the_seed():
    a, b, c = hard_world(2000, 1), hard_world(2000, 1), hard_world(2000, 2)
    assert a.registry == b.registry and a.registry != c.registry
    assert hard_bookings(a, count=300, seed=1) == hard_bookings(b, count=300, seed=1)


def test_each_family_appears_at_about_its_rate(generated):
    world, gen = generated
    person = {p.key: p for p in world.registry}
    tags = [kinds[0].split(":")[0] for kinds in gen.families.values()]
    for mix, share in BOOKING_MIX:
        assert _close(tags.count(mix), len(tags), share), mix
    matched = [(gen.families[n], person[k]) for n, k in gen.truth.items() if k is not None]

    def rate(family: str, applies) -> tuple[int, int]:
        eligible = [kinds for kinds, p in matched if applies(p)]
        return sum(family in kinds for kinds in eligible), len(eligible)

    def swappable(p: HardPerson) -> bool:
        return p.date_of_birth.day <= 12 and p.date_of_birth.day != p.date_of_birth.month

    conditions = {
        "middle_as_first": lambda p: bool(p.middle_name),
        "nickname": lambda p: not p.middle_name and p.first_name in HARD_NICKNAMES,
        "transliterated_given": lambda p: not p.middle_name and p.first_name in TRANSLITERATIONS
        and p.first_name not in HARD_NICKNAMES,
        "transliterated_surname": lambda p: p.last_name in TRANSLITERATIONS,
        "second_surname_to_middle": lambda p: bool(p.second_last_name),
        "typo": lambda p: True,
        "swapped_names": lambda p: True,
        "missing_dob": lambda p: True,
        "dob_month_off": lambda p: True,
        "dob_digit": lambda p: True,
        "dob_day_month_swap": swappable,
    }  # fmt: skip
    expected = {**NAME_RATES, **DOB_RATES}
    for family, applies in conditions.items():
        hits, n = rate(family, applies)
        assert n >= 100 and _close(hits, n, expected[family]), (family, hits, n)
    everyone = list(gen.families.values())
    for family in ("upper_case", "missing_country", "missing_sex"):
        assert _close(sum(family in k for k in everyone), len(everyone), HABIT_RATES[family]), family
    assert {k for kinds in everyone for k in kinds} >= set(FAMILIES)


def test_families_change_what_they_say(generated):
    _, gen = generated
    rows = {r["booking_number"]: r for r in gen.rows}
    for number, kinds in gen.families.items():
        row = rows[number]
        if "missing_dob" in kinds:
            assert row["date_of_birth"] == ""
        if "dob_jan1" in kinds:
            assert row["date_of_birth"].endswith("-01-01")
        if "upper_case" in kinds:
            assert row["first_name"] == row["first_name"].upper() and row["last_name"] == row["last_name"].upper()
        if kinds[0].startswith("near_miss_outside") or kinds[0] == "outsider":
            assert gen.truth[number] is None
            assert not set(kinds) & {*NAME_RATES, *DOB_RATES}  # people outside get the agency habits only


def test_near_miss_relatives_are_in_the_registry_and_outside(generated):
    world, _ = generated
    person = {p.key: p for p in world.registry}
    assert len(person) == len(world.registry) == 20_000
    fbis = [p.fbi_number for p in world.registry if p.fbi_number]
    assert len(set(fbis)) == len(fbis)
    pairs = [(p, person[p.relative]) for p in world.registry if p.relative]
    outside = [(r, person[r.relative]) for r in world.outside_relatives]
    kinds = {k for k, _ in NEAR_MISS_KINDS}
    assert {p.relation for p, _ in pairs} == kinds == {r.relation for r, _ in outside}
    for a, b in [*pairs, *outside]:
        assert a.relation == b.relation and a != b and a.fbi_number != b.fbi_number
        years = abs((a.date_of_birth - b.date_of_birth).days) / 365.25
        if a.relation == "twin":
            assert (a.last_name, a.date_of_birth) == (b.last_name, b.date_of_birth) and a.first_name != b.first_name
        elif a.relation == "sibling":
            assert a.last_name == b.last_name and a.first_name != b.first_name and 0.5 < years < 7
        elif a.relation == "parent_child":
            assert (a.first_name, a.last_name) == (b.first_name, b.last_name) and 19 < years < 36
        elif a.relation == "same_name_other_dob":
            assert (a.first_name, a.last_name) == (b.first_name, b.last_name) and a.date_of_birth != b.date_of_birth
        else:
            assert (a.first_name, a.last_name, a.date_of_birth) == (b.first_name, b.last_name, b.date_of_birth)
            assert a.fbi_number and b.fbi_number
    assert all(p.relative == q.key and q.relative == p.key for p, q in pairs)  # both registry subjects
    assert all(r.key == "" and r.date_of_birth < date(2026, 1, 1) for r, _ in outside)


@pytest.mark.django_db
def test_hard_commands_import_the_registry_and_write_bookings_with_truth(world, tmp_path):
    out = io.StringIO()
    call_command("simulate", "registry", "--hard", "--size", "150", "--seed", "5", "--no-train", stdout=out,
                 stderr=io.StringIO())  # fmt: skip
    assert "150 synthetic subjects imported" in out.getvalue()
    keys = set(SubjectIdentifier.objects.filter(type=IdentifierType.AGENCY_KEY).values_list("value", flat=True))
    assert keys == {p.key for p in hard_world(150, 5).registry}
    feed, truth = tmp_path / "feed.csv", tmp_path / "truth.json"
    call_command("simulate", "bookings", "--hard", "--size", "150", "--seed", "5", "--count", "60", "--out",
                 str(feed), "--truth", str(truth), "--facility-code", world.facility.code, stdout=io.StringIO())  # fmt: skip
    rows = list(csv.DictReader(feed.open(encoding="utf-8")))
    data = json.loads(truth.read_text())
    assert len(rows) == 60 and set(data["truth"]) == set(data["families"]) == {r["booking_number"] for r in rows}
    named = {v for v in data["truth"].values() if v}
    assert named and named <= keys
    assert data["rates"]["dob"] == DOB_RATES


def test_month_off_keeps_the_day_unless_the_month_is_shorter():
    import random
    from datetime import date

    from holdtrack.simulation.hard import _month_off

    rng = random.Random(3)
    for _ in range(20):
        moved = _month_off(date(1980, 5, 15), rng)
        assert moved.day == 15 and moved.month in (4, 6)
    assert _month_off(date(1981, 1, 31), rng) == date(1981, 2, 28)
    assert _month_off(date(1980, 12, 31), rng) == date(1980, 11, 30)
