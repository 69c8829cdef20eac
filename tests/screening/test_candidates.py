"""The blocking rules added for issue 10's recall holes: each finds the registry subject that no older rule
could, through the real index on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import date

import pytest

from holdtrack.screening import bounds
from holdtrack.screening import candidates as cand
from holdtrack.screening.keys import compound_surnames, keys_for, month_shifted
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
        # month off by one, either way (neither year-month nor month-day is left to the sounds rules)
        {"first_name": "ROCIO", "last_name": "Martinez", "date_of_birth": date(1979, 6, 17)},
        {"first_name": "Rocio", "last_name": "Martinez", "date_of_birth": date(1979, 4, 17)},
        # the feed holds 1 January for an unknown day
        {"first_name": "Rocio", "last_name": "Martinez", "date_of_birth": date(1979, 1, 1)},
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
    assert _found(s, first_name="TUAN", last_name="Nguyen", date_of_birth=date(1990, 8, 23))


def test_the_second_surname_sound_is_stored_for_compound_surnames_only(subject, world):
    single = registry_subject_add(actor=world.supervisor, first_name="Ana", last_name="Soto", date_of_birth=D)
    assert subject.registry_key.last2_sound == "R200"
    assert RegistryKey.objects.get(pk=single.pk).last2_sound == ""


def test_over_the_cap_the_nearest_birth_dates_are_kept(world, monkeypatch):
    monkeypatch.setattr(cand, "MAX_CANDIDATES", 3)
    made = [
        registry_subject_add(
            actor=world.supervisor, first_name="Jose", last_name="Garcia", date_of_birth=date(1950 + i, 3, 3)
        )
        for i in range(8)
    ]
    # the month-day rule brings all eight namesakes
    found = cand.retrieve([keys_for(first_name="Jose", last_name="Garcia", date_of_birth=date(1957, 3, 3))])[0]
    assert len(found) == 3 and found[0][0] == made[7].pk  # the equal DOB first, then one digit away
    made_far = registry_subject_add(
        actor=world.supervisor, first_name="Jose", last_name="Garcia", date_of_birth=date(1911, 3, 3)
    )
    found = cand.retrieve([keys_for(first_name="Jose", last_name="Garcia", date_of_birth=date(1957, 3, 3))])[0]
    assert made_far.pk not in {sid for sid, _ in found}  # three digits away: cut


def test_over_the_cap_a_first_of_january_is_near_every_day_of_its_year(world, monkeypatch):
    """A 1 January DOB is the feeds' default for an unknown day: the records of its birth year are all as near, so
    the cap keeps the one bearing most of the booking's name words, not the ones born in early January."""
    for day in range(2, 6):
        registry_subject_add(
            actor=world.supervisor, first_name="Jose", last_name="Hernandez", date_of_birth=date(1993, 1, day)
        )
    person = registry_subject_add(
        actor=world.supervisor, first_name="Jose", last_name="Hernández García", date_of_birth=date(1993, 10, 23)
    )
    booked = keys_for(first_name="Jose", last_name="Hernandes Garcia", date_of_birth=date(1993, 1, 1))
    assert person.pk in {sid for sid, _ in cand.retrieve([booked])[0]}  # rule 14: both sounds, the birth year
    monkeypatch.setattr(cand, "MAX_CANDIDATES", 2)
    assert cand.retrieve([booked])[0][0][0] == person.pk


def test_over_the_cap_a_dateless_booking_keeps_the_records_bearing_its_name_words(world, monkeypatch):
    """Without a DOB the cap ranks by the booking's name words found anywhere in the record's names: a record
    whose given name differs but whose middle name and compound surname hold the booking's names (the dateless
    "Rosa López García" for "Elena Rosa García López", found by D7) is kept before the surname's namesakes (D5)
    whose given names are nearer."""
    for first in ("Rosaura", "Rosalia", "Roxana"):
        registry_subject_add(actor=world.supervisor, first_name=first, last_name="Garcia", date_of_birth=D)
    moved = registry_subject_add(
        actor=world.supervisor, first_name="Elena", middle_name="Rosa", last_name="García López", date_of_birth=D
    )
    booked = keys_for(first_name="Rosa", middle_name="Lopez", last_name="Garcia", date_of_birth=None)
    assert len(cand.retrieve([booked], deep=True)[0]) == 4
    monkeypatch.setattr(cand, "MAX_CANDIDATES", 2)
    kept = cand.retrieve([booked], deep=True)[0]
    assert len(kept) == 2 and kept[0][0] == moved.pk


def test_over_the_cap_records_of_the_bookings_sex_and_country_are_kept_before_others(world, monkeypatch):
    """Records bearing the booking's name words alike are kept first where they do not differ on the sex and
    birth country the booking carries (ADR 0063): at 1,000,000 subjects a dateless "Juan Hernández López" of El
    Salvador brought 220 records bearing those words from every country, and the cap kept 200 by subject id."""
    elsewhere = [
        registry_subject_add(actor=world.supervisor, first_name="Juan", last_name="López Hernández",
                             date_of_birth=date(1980 + n, 3, 4), sex=sex, birth_country=country)
        for n, (sex, country) in enumerate((("M", "Mexico"), ("M", "Honduras"), ("F", "El Salvador")))
    ]  # fmt: skip
    person = registry_subject_add(
        actor=world.supervisor,
        first_name="Juan",
        last_name="López Hernández",
        date_of_birth=date(1986, 4, 20),
        sex="M",
        birth_country="El Salvador",
    )
    booked = keys_for(first_name="Juan", middle_name="Hernandez", last_name="Lopez", date_of_birth=None, sex="M",
                      birth_country="El Salvador")  # fmt: skip
    found = {sid for sid, _ in cand.retrieve([booked], deep=True)[0]}
    assert {person.pk, *(s.pk for s in elsewhere)} <= found  # D7: the surname and the middle name joined
    monkeypatch.setattr(cand, "MAX_CANDIDATES", 1)
    assert [sid for sid, _ in cand.retrieve([booked], deep=True)[0]] == [person.pk]


def test_exact_names_are_probed_only_when_the_registry_holds_few_of_them(world):
    from holdtrack.screening.frequencies import name_frequencies_refresh

    for i in range(3 * bounds.EXACT_NAMES_MAX_ROWS):
        registry_subject_add(
            actor=world.supervisor, first_name="Ana", last_name="Soto", date_of_birth=date(1960, 1, 2 + i % 20)
        )
    rare = registry_subject_add(actor=world.supervisor, first_name="Itzel", last_name="Quirarte", date_of_birth=None)
    name_frequencies_refresh()
    common = keys_for(first_name="Ana", last_name="Soto", date_of_birth=date(1999, 9, 9))
    common_no_dob = keys_for(first_name="Ana", last_name="Soto")
    rare_keys = keys_for(first_name="Itzel", last_name="Quirarte", date_of_birth=date(1999, 9, 9))
    assert bounds.exact_name_probes([common, common_no_dob, rare_keys]) == [False, True, True]
    # the rare name is found though the registry has no DOB for it
    assert rare.pk in {sid for sid, _ in cand.retrieve([rare_keys])[0]}


def test_month_shifted_stays_in_the_year_and_on_real_dates():
    assert month_shifted(date(1980, 12, 5), 1) is None
    assert month_shifted(date(1980, 1, 31), 1) is None  # no 31 February
    assert month_shifted(date(1980, 3, 31), -1) is None
    assert month_shifted(date(1980, 3, 30), -1) is None  # no 30 February
    assert month_shifted(date(1980, 5, 30), -1) == date(1980, 4, 30)


def _found_wide(subject, **kw) -> tuple[bool, bool]:  # type: ignore[no-untyped-def]
    """(found by the first stage, found by the wide rules)."""
    k = keys_for(**kw)
    return (
        subject.pk in {sid for sid, _ in cand.retrieve([k])[0]},
        subject.pk in {sid for sid, _ in cand.retrieve([k], wide=True)[0]},
    )


@pytest.mark.parametrize(
    "booked",
    [
        # W1: the month and the day both wrong (a month digit off and a day off)
        {"first_name": "Rocio", "last_name": "Martinez", "date_of_birth": date(1979, 8, 27)},
        # W2: swapped names together with a wrong month and day
        {"first_name": "Martinez", "last_name": "Rocio", "date_of_birth": date(1979, 12, 5)},
        # W3: both names changed, same DOB, sex and country
        {"first_name": "Chio", "last_name": "Hernandez", "date_of_birth": D, "sex": "F", "birth_country": "Mexico"},
        # W3 on a feed without sex and country: the DOB alone
        {"first_name": "Chio", "last_name": "Hernandez", "date_of_birth": D},
        # W7: the same names, a DOB wrong in several places
        {"first_name": "Rocio", "last_name": "Martinez Ruiz", "date_of_birth": date(1950, 2, 3)},
        # W4: no DOB, a misspelt surname and the second surname in the middle name
        {"first_name": "Rocio", "middle_name": "Ruiz", "last_name": "Martines", "date_of_birth": None},
        # W5: no DOB and the names swapped
        {"first_name": "Martinez", "last_name": "Rocio", "date_of_birth": None},
        # W6: no DOB, the middle name used as the given name
        {"first_name": "Itzel", "last_name": "Martinez Ruiz", "date_of_birth": None},
    ],
)
def test_the_wide_rules_find_what_the_first_stage_cannot(subject, booked):
    assert _found_wide(subject, **booked) == (False, True)


def test_the_dob_rule_keeps_to_the_sex_and_country_the_booking_carries(subject):
    other = {"first_name": "Chio", "last_name": "Hernandez", "date_of_birth": D}
    assert _found_wide(subject, **other, sex="M") == (False, False)
    assert _found_wide(subject, **other, birth_country="Peru") == (False, False)


def test_the_wide_rules_leave_a_common_surname_without_a_dob_alone(world):
    from holdtrack.screening.frequencies import name_frequencies_refresh

    for i in range(5):
        registry_subject_add(
            actor=world.supervisor, first_name="Luis", last_name="Soto", date_of_birth=date(1960, 1, 2 + i)
        )
    name_frequencies_refresh()
    booked = keys_for(first_name="Lius", last_name="Sotto")
    assert cand.retrieve([booked], wide=True)[0]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bounds, "EXACT_NAMES_NO_DOB_MAX_SURNAME", 4)
        booked_common = keys_for(first_name="Lius", last_name="Soto")
        assert cand.retrieve([booked_common], wide=True)[0] == []


def _found_deep(subject, **kw) -> tuple[bool, bool]:  # type: ignore[no-untyped-def]
    """(found by the first two stages, found by the deep rules)."""
    k = keys_for(**kw)
    earlier = {sid for sid, _ in cand.retrieve([k])[0]} | {sid for sid, _ in cand.retrieve([k], wide=True)[0]}
    return subject.pk in earlier, subject.pk in {sid for sid, _ in cand.retrieve([k], deep=True)[0]}


@pytest.mark.smoke  # SQLite has no left(): the deep rules' SQL is rewritten for it
@pytest.mark.parametrize(
    "booked",
    [
        # three errors: the middle name used as given name, the month one later, the second surname dropped
        {"first_name": "Itzel", "last_name": "Martinez", "date_of_birth": date(1979, 6, 17)},
        # a typo that changes the given name's sound and the month one earlier
        {"first_name": "Romio", "last_name": "Martinez Ruiz", "date_of_birth": date(1979, 4, 17)},
        # a typo that changes the surname's sound and a default 1 January for the DOB
        {"first_name": "Rocio", "last_name": "Maxtinez", "date_of_birth": date(1979, 1, 1)},
    ],
)
def test_the_deep_rules_find_a_booking_of_a_three_error_family(subject, booked):
    assert _found_deep(subject, **booked) == (False, True)


def test_the_deep_rules_want_an_initial_of_the_other_name_and_a_dob(subject):
    # the surname sound and a near DOB, but a given name with another initial: a stranger, not probed
    assert _found_deep(subject, first_name="Gloria", last_name="Martinez", date_of_birth=date(1979, 6, 17)) == (
        False, False,
    )  # fmt: skip
    # without a DOB the names' initials must agree too: a surname alone brings no stranger
    assert cand.retrieve([keys_for(first_name="Gloria", last_name="Martinez")], deep=True) == [[]]


@pytest.mark.smoke  # SQLite has no left(): the deep rules' SQL is rewritten for it
@pytest.mark.parametrize(
    "booked",
    [
        # D5: the exact surname, a misspelt given name whose sound changed (R200 → R250)
        {"first_name": "Rocnio", "last_name": "Martinez Ruiz"},
        # D6: the exact given name, a misspelt surname whose sound changed (M635 → M235), the second one dropped
        {"first_name": "Rocio", "last_name": "Mastinez"},
    ],
)
def test_a_booking_without_a_dob_is_probed_by_one_exact_name_and_the_other_initial(subject, booked):
    assert _found_deep(subject, **booked) == (False, True)


def test_the_no_dob_probes_leave_names_the_registry_holds_many_of(subject, monkeypatch):
    from holdtrack.screening.frequencies import name_frequencies_refresh

    name_frequencies_refresh()
    booked = keys_for(first_name="Rocio", last_name="Mastinez")
    assert bounds.deep_no_dob_probes([booked]) == [(True, True)]
    # one record of the given name is more than the bound: D6 does not probe and the misspelt surname is not found
    monkeypatch.setattr(bounds, "DEEP_NO_DOB_MAX_ROWS", 0)
    assert bounds.deep_no_dob_probes([booked]) == [(True, False)]
    assert cand.retrieve([booked], deep=True) == [[]]
    # a booking with a DOB is never probed by them
    assert bounds.deep_no_dob_probes([keys_for(first_name="Rocio", last_name="Mastinez", date_of_birth=D)]) == [
        (False, False)
    ]


def test_dob_slips_are_the_month_either_side_and_the_defaults():
    from holdtrack.screening.keys import dob_slips

    assert dob_slips(date(1979, 5, 7)) == (date(1979, 1, 1), date(1979, 4, 7), date(1979, 6, 7))
    assert dob_slips(date(1979, 12, 31)) == (date(1979, 1, 1),)  # no 31 November, no month 13
    assert dob_slips(date(1980, 1, 1)) == (date(1980, 2, 1),)  # the feed's default: the year is probed instead
    # the last day of a month may be a month slip from a later day of the next or previous one
    assert dob_slips(date(1979, 4, 30)) == (date(1979, 1, 1), date(1979, 3, 30), date(1979, 3, 31), date(1979, 5, 30),
                                            date(1979, 5, 31))  # fmt: skip


def test_month_digit_slips_keep_the_year_and_day_and_leave_the_months_either_side_to_dob_slips():
    from holdtrack.screening.keys import month_digit_slips

    # "09": its second digit keyed as any other ("08" and "10" are dob_slips' month either side)
    assert month_digit_slips(date(2006, 9, 18)) == tuple(date(2006, m, 18) for m in range(1, 8))
    assert month_digit_slips(date(1990, 12, 5)) == (date(1990, 2, 5), date(1990, 10, 5))  # "02", "10"
    assert month_digit_slips(date(1990, 1, 31)) == tuple(date(1990, m, 31) for m in (3, 5, 7, 8))  # real dates only


@pytest.mark.smoke  # SQLite has no left(): the deep rules' SQL is rewritten for it
@pytest.mark.parametrize("first", ["Rocio", "Itzel"])  # the record's given name, or its second given name
def test_a_slip_of_one_month_digit_is_found_by_the_deep_rules(subject, monkeypatch, first):
    from holdtrack.screening.frequencies import name_frequencies_refresh

    name_frequencies_refresh()
    # the wide rules that would also find it (the sounds or the names over the birth year) bounded out, as a common
    # name is at 1,000,000 subjects
    monkeypatch.setattr(bounds, "WIDE_MAX_ROWS", -1)
    monkeypatch.setattr(bounds, "WIDE_EXACT_MAX_ROWS", -1)
    booked = {"first_name": first, "last_name": "Martinez", "date_of_birth": date(1979, 8, 17)}  # "05" keyed "08"
    assert _found_deep(subject, **booked) == (False, True)
    monkeypatch.setattr(cand, "MONTH_DIGIT_RULE", False)
    assert _found_deep(subject, **booked) == (False, False)


@pytest.mark.smoke  # SQLite has no left(): the deep rules' SQL is rewritten for it
@pytest.mark.parametrize(
    "booked",
    [
        # D9: given and middle names exchanged, a day slip in the DOB
        {
            "first_name": "Itzel",
            "middle_name": "Rocio",
            "last_name": "Martinez Ruiz",
            "date_of_birth": date(1979, 5, 19),
        },
        # D10: the same with a year slip
        {"first_name": "Itzel", "middle_name": "Rocio", "last_name": "Martinez", "date_of_birth": date(1978, 5, 17)},
        # D11: given name and surname swapped, a year slip
        {"first_name": "Martinez", "last_name": "Rocio", "date_of_birth": date(1969, 5, 17)},
        # D12: the second given name used as given name, a day slip
        {"first_name": "Itzel", "last_name": "Martinez Ruiz", "date_of_birth": date(1979, 5, 11)},
        # D13: the same with a year slip, the second surname dropped
        {"first_name": "Itzel", "last_name": "Martinez", "date_of_birth": date(1970, 5, 17)},
    ],
)
def test_exchanged_names_with_a_dob_slip_are_found_by_the_deep_rules(subject, booked):
    assert _found_deep(subject, **booked) == (False, True)


def test_the_exchanged_name_probes_are_bounded_by_the_counts(subject, monkeypatch):
    from holdtrack.screening.frequencies import name_frequencies_refresh

    name_frequencies_refresh()
    booked = keys_for(first_name="Itzel", middle_name="Rocio", last_name="Martinez", date_of_birth=date(1978, 5, 17))
    assert bounds.deep_swap_probes([booked]) == [(True,) * 5]
    monkeypatch.setattr(bounds, "WIDE_MAX_ROWS", -1)
    assert bounds.deep_swap_probes([booked]) == [(False,) * 5]
    assert subject.pk not in {sid for sid, _ in cand.retrieve([booked], deep=True)[0]}
    assert bounds.deep_swap_probes([keys_for(first_name="Itzel", last_name="Martinez")]) == [(False,) * 5]


@pytest.mark.parametrize(
    "booked",
    [
        # D7: the compound surname reversed
        {"first_name": "Rocio", "last_name": "Ruiz Martinez"},
        # D7: the second surname moved to the end of the middle name
        {"first_name": "Rocio", "middle_name": "Itzel Ruiz", "last_name": "Martinez"},
        # D8: the names swapped, the compound surname in the given-name fields
        {"first_name": "Martinez", "middle_name": "Ruiz", "last_name": "Rocio"},
        # D7: the second given name used as given name, the second surname moved to the middle name
        {"first_name": "Itzel", "middle_name": "Ruiz", "last_name": "Martinez"},
    ],
)
def test_a_booking_without_a_dob_finds_a_compound_surname_written_another_way(subject, monkeypatch, booked):
    from holdtrack.screening.frequencies import name_frequencies_refresh

    # D5 and D6 bounded out (as for a common name): only D7 and D8 are left to find it among the deep rules
    name_frequencies_refresh()
    monkeypatch.setattr(bounds, "DEEP_NO_DOB_MAX_ROWS", -1)
    assert _found_deep(subject, **booked)[1]
    # and without them nothing in the deep stage does
    monkeypatch.setattr(cand, "_DEEP_RULES", cand._DEEP_RULES[:6] + cand._DEEP_RULES[8:])  # D7 and D8 out
    assert not _found_deep(subject, **booked)[1]


def test_a_second_surname_of_two_words_moved_after_a_second_given_name_is_found(world, monkeypatch):
    from holdtrack.screening.frequencies import name_frequencies_refresh

    valle = registry_subject_add(
        actor=world.supervisor, first_name="José", middle_name="Raúl", last_name="Sánchez",
        second_last_name="del Valle", date_of_birth=D, sex="M", birth_country="Mexico",
    )  # fmt: skip
    name_frequencies_refresh()
    monkeypatch.setattr(bounds, "DEEP_NO_DOB_MAX_ROWS", -1)
    booked = {"first_name": "Jose", "middle_name": "Raul del Valle", "last_name": "Sanchez"}
    assert compound_surnames(keys_for(**booked))[5:] == ("sanchez del valle", "del valle sanchez")
    assert _found_deep(valle, **booked)[1]
    monkeypatch.setattr(cand, "_DEEP_RULES", cand._DEEP_RULES[:6] + cand._DEEP_RULES[8:])  # D7 and D8 out
    assert not _found_deep(valle, **booked)[1]


def test_single_surnames_do_not_probe_as_compound_ones(subject):
    # a single given name or surname is common: D7 and D8 probe only compound surnames
    k = keys_for(first_name="Rocio", last_name="Martinez")
    assert compound_surnames(k) == (None,) * 7


def test_a_first_of_january_is_probed_over_the_year_only_for_sounds_the_registry_holds_few_of(subject, monkeypatch):
    from holdtrack.screening.frequencies import name_frequencies_refresh

    name_frequencies_refresh()
    booked = keys_for(first_name="Rocio", last_name="Maxtinez", date_of_birth=date(1979, 1, 1))
    assert bounds.deep_year_probes([booked]) == [(True, True)]
    assert subject.pk in {sid for sid, _ in cand.retrieve([booked], deep=True)[0]}
    # one record of the given-name sound is already more than a year may bring: not probed (the misspelt
    # surname's sound, which no record holds, still is — and finds nothing)
    monkeypatch.setattr(bounds, "DEEP_YEAR_MAX_ROWS", 0)
    assert bounds.deep_year_probes([booked]) == [(True, False)]
    assert cand.retrieve([booked], deep=True) == [[]]
