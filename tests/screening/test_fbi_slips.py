"""A mis-keyed FBI number: the registry's numbers one keying slip from a booking's are found through their last two
segments (``keys.fbi_segments``, ``identifiers.by_fbi_slips``) and scored as candidates in stage four (issue 10:
a subject whose number was keyed with one character wrong, and whose DOB is missing or wrong, was not retrieved)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from holdtrack.custody.models import IdentifierType, IdentityMatch
from holdtrack.screening import identifiers, stages
from holdtrack.screening.keys import fbi_segments, middle_given_sound
from holdtrack.screening.models import RegistryKey
from holdtrack.screening.services import registry_subject_add, screen_booking
from tests.screening.factories_screening import booking_of
from tests.screening.test_services import reg  # noqa: F401 - the registry fixture with a trained model

pytestmark = pytest.mark.django_db

NUMBER = "HB9KLFARW"


def test_the_segments_are_the_last_two_threes():
    assert fbi_segments(NUMBER) == ("KLF", "ARW")
    assert fbi_segments("12345") == ("", "")  # too short to say


@pytest.mark.parametrize(
    "keyed",
    [
        "HB99LFARW",  # a character changed in the middle segment
        "XB9KLFARW",  # ... before both segments
        "HB9KLFAXW",  # ... in the tail
        "HB9LKFARW",  # two neighbours swapped within a segment
        "HB9KLFRAW",
    ],
)
def test_a_number_one_slip_away_is_found_and_an_unrelated_one_is_not(world, keyed):
    s = registry_subject_add(
        actor=world.supervisor,
        first_name="Felipe",
        last_name="Arce",
        sex="M",
        identifiers={IdentifierType.FBI_UCN: NUMBER},
    )
    other = registry_subject_add(
        actor=world.supervisor,
        first_name="Felipe",
        last_name="Arce",
        sex="M",
        identifiers={IdentifierType.FBI_UCN: "ZZ7QQQARW"},
    )  # shares the tail, three characters apart
    found, none, short = identifiers.by_fbi_slips([keyed, "QQ1234567", ""])
    assert [sid for sid, _ in found] == [s.pk]
    assert other.pk not in {sid for sid, _ in found}
    assert none == [] and short == []


def _booked(world, fbi: str):  # type: ignore[no-untyped-def]
    return booking_of(world, first="JOSE", last="GONZALEZ", dob=None, country="", fbi_number=fbi)


def test_a_booking_without_a_dob_and_a_mis_keyed_fbi_number_is_proposed_in_stage_four(world, reg, monkeypatch):  # noqa: F811
    target = registry_subject_add(
        actor=world.supervisor, first_name="Felipe", last_name="Gonzalez", sex="M",
        date_of_birth=date(1977, 1, 10), birth_country="Mexico", identifiers={IdentifierType.FBI_UCN: NUMBER},
    )  # fmt: skip
    # another given name and no DOB: no name rule reaches the record, only its FBI number
    monkeypatch.setattr(stages, "FBI_SLIPS", False)
    b = _booked(world, "HB99LFARW")
    screen_booking(actor=world.booking_clerk, booking=b)
    assert not IdentityMatch.objects.filter(booking=b, subject=target).exists()

    monkeypatch.setattr(stages, "FBI_SLIPS", True)
    b = _booked(world, "HB99LFARW")
    screen_booking(actor=world.booking_clerk, booking=b)
    m = IdentityMatch.objects.get(booking=b, subject=target)
    levels = {t["comparison"]: t["level"] for t in m.explanation["comparisons"]}
    assert levels["fbi_number"] == "one character different"
    assert m.score is not None and m.score >= m.explanation["review_threshold"]
    assert not m.identifier_conflict


def test_the_migration_fills_the_segments_and_the_second_given_names_sound(world):
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("holdtrack.screening.migrations.0010_registrykey_fbi_segments_middle_given")
    s = registry_subject_add(
        actor=world.supervisor, first_name="Ana", middle_name="Pepa Luz", last_name="Rey", sex="F",
        identifiers={IdentifierType.FBI_UCN: NUMBER},
    )  # fmt: skip
    short = registry_subject_add(
        actor=world.supervisor, first_name="Ana", last_name="Rey", sex="F", identifiers={IdentifierType.FBI_UCN: "AB12"}
    )
    RegistryKey.objects.update(fbi_mid="", fbi_tail="", middle_given_sound="")
    migration.fill(apps, SimpleNamespace(connection=connection))
    assert RegistryKey.objects.values_list("fbi_mid", "fbi_tail").get(pk=s.pk) == fbi_segments(NUMBER)
    assert RegistryKey.objects.values_list("fbi_mid", "fbi_tail").get(pk=short.pk) == ("", "")
    # and the sound of the second given name (the middle name's first word)
    assert RegistryKey.objects.get(pk=s.pk).middle_given_sound == middle_given_sound("pepa luz") != ""
    assert RegistryKey.objects.get(pk=short.pk).middle_given_sound == ""
