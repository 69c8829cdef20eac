"""The blocking rules added for issue 10's recall holes: each finds the registry subject that no older rule
could, through the real index on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import date

import pytest

from holdtrack.screening import candidates as cand
from holdtrack.screening.keys import keys_for, month_shifted
from holdtrack.screening.models import RegistryKey
from holdtrack.screening.services import registry_subject_add

pytestmark = pytest.mark.django_db

D = date(1979, 5, 17)


@pytest.fixture
def subject(world):
    return registry_subject_add(
        actor=world.supervisor, first_name="Rocío", middle_name="Itzel", last_name="Martínez",
        second_last_name="Ruiz", date_of_birth=D, sex="F", birth_country="Mexico",
    )  # fmt: skip


def _found(subject, **kw) -> bool:  # type: ignore[no-untyped-def]
    return subject.pk in {sid for sid, _ in cand.retrieve([keys_for(**kw)])[0]}


@pytest.mark.parametrize(
    "booked",
    [
        # month off by one, either way, with another given name (no sounds rule reaches it)
        {"first_name": "Maria", "last_name": "Martinez", "date_of_birth": date(1979, 6, 17)},
        {"first_name": "Maria", "last_name": "Martinez", "date_of_birth": date(1979, 4, 17)},
        # the feed holds 1 January for an unknown day
        {"first_name": "Rocio", "last_name": "Martinez", "date_of_birth": date(1979, 1, 1)},
        # a DOB wrong in the year and the month and day: exact names still find it
        {"first_name": "Rocio", "last_name": "Martinez Ruiz", "date_of_birth": date(1997, 1, 15)},
        # no DOB at all
        {"first_name": "ROCIO", "last_name": "MARTINEZ RUIZ", "date_of_birth": None},
        # no DOB and a misspelt given name
        {"first_name": "Rocia", "last_name": "Martínez Ruiz", "date_of_birth": None},
        # only the registry's second surname, another given name
        {"first_name": "Maria", "last_name": "Ruiz", "date_of_birth": D},
    ],
)
def test_each_new_rule_finds_the_subject(subject, booked):
    assert _found(subject, **booked)


def test_the_registry_holds_a_default_first_of_january(world):
    s = registry_subject_add(
        actor=world.supervisor, first_name="Tuan", last_name="Nguyen", date_of_birth=date(1990, 1, 1), sex="M"
    )
    assert _found(s, first_name="Minh", last_name="Nguyen", date_of_birth=date(1990, 8, 23))


def test_the_second_surname_sound_is_stored_for_compound_surnames_only(subject, world):
    single = registry_subject_add(actor=world.supervisor, first_name="Ana", last_name="Soto", date_of_birth=D)
    assert subject.registry_key.last2_sound == "R200"
    assert RegistryKey.objects.get(pk=single.pk).last2_sound == ""


def test_a_very_common_exact_name_keeps_the_nearest_birth_dates_under_the_cap(world, monkeypatch):
    monkeypatch.setattr(cand, "MAX_CANDIDATES", 3)
    made = [
        registry_subject_add(
            actor=world.supervisor, first_name="Jose", last_name="Garcia", date_of_birth=date(1950 + i, 3, 3)
        )
        for i in range(8)
    ]
    found = cand.retrieve([keys_for(first_name="Jose", last_name="Garcia", date_of_birth=date(1957, 3, 4))])[0]
    assert next(sid for sid, _ in found) == made[7].pk  # one digit away first
    assert len(found) == 3


def test_month_shifted_stays_in_the_year_and_on_real_dates():
    assert month_shifted(date(1980, 12, 5), 1) is None
    assert month_shifted(date(1980, 1, 31), 1) is None  # no 31 February
    assert month_shifted(date(1980, 3, 31), -1) is None
    assert month_shifted(date(1980, 3, 30), -1) is None  # no 30 February
    assert month_shifted(date(1980, 5, 30), -1) == date(1980, 4, 30)
