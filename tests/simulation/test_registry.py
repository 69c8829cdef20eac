"""``simulate registry`` / ``simulate bookings`` and the booking generator."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from holdtrack.custody.ingest.canonical import COLUMNS
from holdtrack.custody.models import IdentifierType, Subject, SubjectIdentifier
from holdtrack.screening.models import RegistryKey
from holdtrack.screening.services import subject_keys
from holdtrack.simulation.registry import (
    CORRUPTIONS,
    corrupt,
    generate_bookings,
    registry_people,
    write_bookings,
)


def test_registry_people_are_a_function_of_the_seed():
    a, b, c = registry_people(500, 3), registry_people(500, 3), registry_people(500, 4)
    assert a == b and a != c
    # Common names are shared (realistic name frequency), yet most full identities are distinct.
    surnames = [p.last_name.split(" ")[0] for p in a]
    assert len(set(surnames)) < len(surnames) / 3
    assert max(surnames.count(x) for x in surnames) >= 15
    identities = {(p.first_name, p.last_name, p.date_of_birth) for p in a}
    assert len(identities) > 490


@pytest.mark.smoke
@pytest.mark.django_db
def test_registry_command_builds_subjects_identifiers_and_keys():
    out = io.StringIO()
    call_command("simulate", "registry", "--size", "60", "--seed", "3", "--no-train", stdout=out, stderr=io.StringIO())
    assert "60 synthetic subjects" in out.getvalue()
    keys = RegistryKey.objects.select_related("subject").order_by("subject_id")
    assert keys.count() == 60
    expected = registry_people(60, 3)
    for k, p in zip(keys, expected, strict=True):
        s = k.subject
        assert (s.first_name, s.last_name, s.date_of_birth, s.synthetic) == (
            p.first_name, p.last_name, p.date_of_birth, True,
        )  # fmt: skip
        assert k.last_sound == subject_keys(s).last_sound and k.dob == s.date_of_birth
        assert k.fbi_number == SubjectIdentifier.objects.get(subject=s, type=IdentifierType.FBI_UCN).value
    assert SubjectIdentifier.objects.filter(type=IdentifierType.A_NUMBER).count() == 60
    # A second registry gets new ids and identifiers (no collision with the first).
    call_command("simulate", "registry", "--size", "10", "--seed", "3", "--no-train", stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    assert Subject.objects.count() == 70 and RegistryKey.objects.count() == 70


def test_generated_bookings_carry_ground_truth_and_corruption():
    people = registry_people(2000, 5)
    from holdtrack.simulation.registry import RegistryPerson

    people = [RegistryPerson(p.index, p.first_name, p.middle_name, p.last_name, p.date_of_birth, p.sex,
                             p.birth_country, 1000 + p.index) for p in people]  # fmt: skip
    gen = generate_bookings(registry_sample=people, count=3000, seed=9, agency_ori="ZZ0000001", facility_code="F1")
    assert gen == generate_bookings(
        registry_sample=people, count=3000, seed=9, agency_ori="ZZ0000001", facility_code="F1"
    )
    assert len(gen.rows) == 3000 and set(gen.truth) == {r["booking_number"] for r in gen.rows}
    share = sum(1 for v in gen.truth.values() if v) / 3000
    assert 0.65 < share < 0.75
    seen = {k for kinds in gen.corruptions.values() for k in kinds}
    assert seen == set(CORRUPTIONS)
    # Every canonical column but the A-number, which this generator never fills (its output stays unchanged).
    assert all(set(COLUMNS) - {"a_number"} <= set(r) for r in gen.rows)
    assert any(r["fbi_number"] for r in gen.rows)


def test_each_corruption_changes_what_it_says():
    import random

    p = registry_people(1, 1)[0]
    from holdtrack.simulation.registry import RegistryPerson

    p = RegistryPerson(0, "José", "Luis", "García López", date(1990, 3, 7), "M", "Mexico", 1)
    rng = random.Random(1)
    assert corrupt(rng, p, ["swapped_names"])["first_name"] == "García López"
    assert corrupt(rng, p, ["dob_day_month_swap"])["date_of_birth"] == date(1990, 7, 3)
    assert corrupt(rng, p, ["nickname"])["first_name"] in ("Pepe", "Chepe", "Joe")
    assert corrupt(rng, p, ["compound_surname"])["last_name"] in ("García", "García-López", "López")
    assert corrupt(rng, p, ["missing_dob"])["date_of_birth"] is None
    assert corrupt(rng, p, ["accents_and_case"])["last_name"] == "GARCIA LOPEZ"
    assert corrupt(rng, p, ["typo"]) != corrupt(rng, p, [])


def test_writer_produces_csv_and_ndjson_with_the_canonical_columns(tmp_path):
    people = registry_people(50, 2)
    gen = generate_bookings(registry_sample=people, count=20, seed=1)
    write_bookings(gen.rows, tmp_path / "b.csv")
    write_bookings(gen.rows, tmp_path / "b.ndjson")
    rows = list(csv.DictReader((tmp_path / "b.csv").open(encoding="utf-8")))
    assert len(rows) == 20 and list(rows[0])[: len(COLUMNS)] == list(COLUMNS) and "fbi_number" in rows[0]
    lines = (tmp_path / "b.ndjson").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["booking_number"] for x in lines] == [r["booking_number"] for r in rows]


@pytest.mark.django_db
def test_bookings_command_writes_a_file_and_its_truth(world, tmp_path):
    call_command("simulate", "registry", "--size", "40", "--seed", "2", "--no-train", stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    out, truth = tmp_path / "feed.csv", tmp_path / "truth.json"
    call_command("simulate", "bookings", "--count", "25", "--out", str(out), "--truth", str(truth), "--seed", "4",
                 "--facility-code", world.facility.code, stdout=io.StringIO())  # fmt: skip
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    data = json.loads(truth.read_text())
    assert len(rows) == 25 and set(data["truth"]) == {r["booking_number"] for r in rows}
    assert {r["agency_ori"] for r in rows} == {world.lea.ori}
    ids = {v for v in data["truth"].values() if v}
    assert ids and ids <= set(RegistryKey.objects.values_list("subject_id", flat=True))
