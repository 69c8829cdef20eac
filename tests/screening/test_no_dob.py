"""Bookings without a date of birth are screened on names and the other fields, as their own class with its own
threshold and number of proposals kept (issue 10), instead of not at all."""

from __future__ import annotations

from datetime import date

import pytest

from holdtrack.custody import services as cs
from holdtrack.custody.models import IdentityMatch, MatchBasis
from holdtrack.screening import bounds, candidates, namesakes, stages
from holdtrack.screening.frequencies import name_frequencies_refresh
from holdtrack.screening.services import registry_subject_add, screen_booking
from holdtrack.screening.stages import (
    MAX_PROPOSALS_NO_DOB,
    MAX_PROPOSALS_PER_BOOKING,
    MAX_TIED_NO_DOB,
    NO_DOB_REVIEW_THRESHOLD,
)
from tests.factories import T0
from tests.screening.test_services import reg  # noqa: F401 - the registry fixture

pytestmark = pytest.mark.django_db


def _book_without_dob(world, first: str, last: str, number: str, fbi: str = "", **person):  # type: ignore[no-untyped-def]
    """A booking without a DOB (``person``: middle name, sex — M unless given —, birth country)."""
    subject = cs.subject_create(actor=world.booking_clerk, first_name=first, last_name=last, **{"sex": "M", **person})
    return cs.booking_create(
        actor=world.booking_clerk, subject=subject, facility=world.facility, booking_number=number, booked_at=T0,
        fbi_number=fbi,
    )  # fmt: skip


def test_a_booking_without_a_dob_gets_candidates_by_name_and_its_own_threshold(world, reg):  # noqa: F811
    people, _ = reg
    p = people[7]
    b = _book_without_dob(world, p.first_name, p.last_name, "NODOB-1")
    result = screen_booking(actor=world.booking_clerk, booking=b)
    assert result.candidates >= 1  # retrieved, not skipped
    for m in IdentityMatch.objects.filter(booking=b):
        assert m.basis == MatchBasis.BIOGRAPHIC
        assert m.score is not None and m.score >= NO_DOB_REVIEW_THRESHOLD
        assert m.explanation["review_threshold"] == NO_DOB_REVIEW_THRESHOLD


def test_a_booking_without_a_dob_and_an_unknown_name_gets_no_candidates(world, reg):  # noqa: F811
    b = _book_without_dob(world, "Zzyzx", "Qwertyuiop", "NODOB-2")
    result = screen_booking(actor=world.booking_clerk, booking=b)
    assert result.candidates == 0
    assert not IdentityMatch.objects.filter(booking=b).exists()


def test_a_booking_without_a_dob_keeps_more_tied_namesakes_than_one_with_a_dob(world, reg):  # noqa: F811
    """Without a DOB nothing separates namesakes: the class keeps up to ``MAX_PROPOSALS_NO_DOB`` of them, where a
    booking with a DOB keeps ``MAX_PROPOSALS_PER_BOOKING``."""
    for day in range(1, 9):
        registry_subject_add(
            actor=world.supervisor, first_name="Wenjun", last_name="Qiaolin", sex="M", date_of_birth=date(1980, 3, day)
        )
    b = _book_without_dob(world, "Wenjun", "Qiaolin", "NODOB-3")
    screen_booking(actor=world.booking_clerk, booking=b)
    scores = list(IdentityMatch.objects.filter(booking=b).values_list("score", flat=True))
    assert MAX_PROPOSALS_PER_BOOKING < len(scores) <= MAX_PROPOSALS_NO_DOB
    assert all(s is not None and s >= NO_DOB_REVIEW_THRESHOLD for s in scores)


def _wenjuns(world, n: int) -> None:  # type: ignore[no-untyped-def]
    """``n`` registry namesakes of a dateless "Wenjun Qiaolin", each born another year: nothing tells them apart."""
    for year in range(1950, 1950 + n):
        registry_subject_add(
            actor=world.supervisor, first_name="Wenjun", last_name="Qiaolin", sex="M", date_of_birth=date(year, 3, 1)
        )


@pytest.mark.parametrize("namesakes", [MAX_PROPOSALS_NO_DOB + 4, MAX_TIED_NO_DOB + 3])
def test_namesakes_tied_with_the_last_kept_are_all_proposed_up_to_a_bound(world, reg, namesakes, monkeypatch):  # noqa: F811
    """Cutting a tie no field breaks would drop a namesake by subject id, at random: the whole tie is proposed,
    up to ``MAX_TIED_NO_DOB`` (the scoring's tie alone: stage five, which proposes every namesake, off)."""
    monkeypatch.setattr(stages, "NAMESAKES_NO_DOB", False)
    _wenjuns(world, namesakes)
    b = _book_without_dob(world, "Wenjun", "Qiaolin", "NODOB-TIE")
    screen_booking(actor=world.booking_clerk, booking=b)
    scores = set(IdentityMatch.objects.filter(booking=b).values_list("score", flat=True))
    assert len(scores) == 1  # one tie
    assert IdentityMatch.objects.filter(booking=b).count() == min(namesakes, MAX_TIED_NO_DOB)


def test_every_namesake_is_proposed_past_a_tie_up_to_the_bound(world, reg):  # noqa: F811
    """Stage five proposes every namesake up to ``namesakes.MAX_NAMESAKES`` (60, ADR 0062): 33 of them are more
    than the scoring's tie keeps (30), and the three it would leave out by subject id are proposed too."""
    _wenjuns(world, MAX_TIED_NO_DOB + 3)
    b = _book_without_dob(world, "Wenjun", "Qiaolin", "NODOB-ALL")
    screen_booking(actor=world.booking_clerk, booking=b)
    assert IdentityMatch.objects.filter(booking=b).count() == MAX_TIED_NO_DOB + 3


def _bound_out_name_rules(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """As at 1,000,000 subjects for a common given name and surname: every name-only rule skips the booking."""
    name_frequencies_refresh()
    for name in (
        "EXACT_NAMES_NO_DOB_MAX_SURNAME",
        "WIDE_NO_DOB_MAX_ROWS",
        "WIDE_EXACT_MAX_ROWS",
        "DEEP_NO_DOB_MAX_ROWS",
    ):
        monkeypatch.setattr(bounds, name, 0)


def test_a_dateless_booking_with_three_names_finds_the_record_bearing_all_three(world, reg, monkeypatch):  # noqa: F811
    """D14: every name-only rule is bounded out (at 1,000,000 subjects a common given name and surname each skip
    them), yet the record bearing the same given name, middle name and surname is retrieved and proposed (the
    namesakes of stage five, which would find it too, off)."""
    monkeypatch.setattr(stages, "NAMESAKES_NO_DOB", False)
    _bound_out_name_rules(monkeypatch)
    person = registry_subject_add(
        actor=world.supervisor, first_name="Claudia", middle_name="Maribel", last_name="Garzaluque", sex="F",
        date_of_birth=date(1984, 5, 9),
    )  # fmt: skip

    def booked(number: str):  # type: ignore[no-untyped-def]
        return _book_without_dob(world, "Claudia", "Garzaluque", number, middle_name="Maribel", sex="F")

    monkeypatch.setattr(candidates, "THREE_NAMES_NO_DOB_RULE", False)
    without = booked("NODOB-14A")
    screen_booking(actor=world.booking_clerk, booking=without)
    assert not IdentityMatch.objects.filter(booking=without, subject_id=person.pk).exists()  # bounded out

    monkeypatch.setattr(candidates, "THREE_NAMES_NO_DOB_RULE", True)
    with_rule = booked("NODOB-14B")
    screen_booking(actor=world.booking_clerk, booking=with_rule)
    m = IdentityMatch.objects.get(booking=with_rule, subject_id=person.pk)
    assert m.score is not None and m.score >= NO_DOB_REVIEW_THRESHOLD


def _namesake(world, year: int, day: int, **kw):  # type: ignore[no-untyped-def]
    return registry_subject_add(
        actor=world.supervisor, first_name="Beatriz", last_name="Lopezcano", sex="F", birth_country="CO",
        date_of_birth=date(year, 3, day), **kw,
    )  # fmt: skip


def _booked(world, number: str, fbi: str = "", last: str = "Lopezcano"):  # type: ignore[no-untyped-def]
    return _book_without_dob(world, "Beatriz", last, number, fbi, sex="F", birth_country="CO")


def test_a_dateless_bookings_few_namesakes_are_all_proposed(world, reg, monkeypatch):  # noqa: F811
    """Stage five (ADR 0042): the name rules bounded out, the three records sharing every field the dateless
    booking carries are proposed; a fourth, whose FBI number differs from the
    booking's, is told apart by it; another sex or country is no namesake."""
    _bound_out_name_rules(monkeypatch)
    three = {_namesake(world, 1980 + n, 5).pk for n in range(3)}
    other_fbi = _namesake(world, 1990, 7, identifiers={"FBI_UCN": "912345AB7"}).pk
    registry_subject_add(
        actor=world.supervisor, first_name="Beatriz", last_name="Lopezcano", sex="F", birth_country="MX",
        date_of_birth=date(1970, 1, 9),
    )  # fmt: skip

    monkeypatch.setattr(stages, "NAMESAKES_NO_DOB", False)
    off = _booked(world, "NS-OFF", fbi="123456CD9")
    screen_booking(actor=world.booking_clerk, booking=off)
    assert not IdentityMatch.objects.filter(booking=off).exists()  # nothing retrieves them

    monkeypatch.setattr(stages, "NAMESAKES_NO_DOB", True)
    on = _booked(world, "NS-ON", fbi="123456CD9")
    screen_booking(actor=world.booking_clerk, booking=on)
    found = {m.subject_id: m for m in IdentityMatch.objects.filter(booking=on)}
    assert set(found) == three and other_fbi not in found
    assert all("one of 4 registry records" in m.explanation["namesakes"] for m in found.values())


def test_more_namesakes_than_the_bound_are_none_proposed(world, reg, monkeypatch):  # noqa: F811
    """Past ``namesakes.MAX_NAMESAKES`` nothing on the booking tells the person from the others: none is
    proposed by this stage."""
    _bound_out_name_rules(monkeypatch)
    monkeypatch.setattr(namesakes, "MAX_NAMESAKES", 2)
    for n in range(3):
        _namesake(world, 1980 + n, 5)
    b = _booked(world, "NS-MANY")
    screen_booking(actor=world.booking_clerk, booking=b)
    assert not IdentityMatch.objects.filter(booking=b).exists()


def test_a_misspelt_dateless_booking_finds_the_namesakes_of_its_corrected_name(world, reg, monkeypatch):  # noqa: F811
    """A surname the registry holds nowhere ("Lopezcanp") is read as the spelling stage corrects it: the namesakes
    of the corrected name are proposed, each explanation recording the reading."""
    _bound_out_name_rules(monkeypatch)
    two = {_namesake(world, 1980 + n, 5).pk for n in range(2)}
    name_frequencies_refresh()  # the spelling stage's vocabulary holds the new surname

    monkeypatch.setattr(stages, "NAMESAKES_SPELLED", False)
    off = _booked(world, "NS-SP-OFF", last="Lopezcanp")
    screen_booking(actor=world.booking_clerk, booking=off)
    assert not two & set(IdentityMatch.objects.filter(booking=off).values_list("subject_id", flat=True))

    monkeypatch.setattr(stages, "NAMESAKES_SPELLED", True)
    on = _booked(world, "NS-SP-ON", last="Lopezcanp")
    screen_booking(actor=world.booking_clerk, booking=on)
    found = {m.subject_id: m for m in IdentityMatch.objects.filter(booking=on)}
    assert two <= set(found)
    assert all(found[sid].explanation["read_as"]["last_name"] == "lopezcano" for sid in two)


def test_a_crowd_of_namesakes_is_proposed_by_no_stage(world, reg, monkeypatch):  # noqa: F811
    """More than ``namesakes.CROWD`` records bear every field of a dateless booking: the first stage retrieves and
    scores them alike, and whichever it kept would be drawn by lot, so none is proposed. Without the rule the first
    stage proposes them all."""
    monkeypatch.setattr(namesakes, "MAX_NAMESAKES", 2)
    monkeypatch.setattr(namesakes, "CROWD", 3)
    crowd = {_namesake(world, 1980 + n, 5).pk for n in range(4)}
    name_frequencies_refresh()

    monkeypatch.setattr(stages, "NO_CROWD", False)
    off = _booked(world, "NS-CROWD-OFF")
    screen_booking(actor=world.booking_clerk, booking=off)
    assert set(IdentityMatch.objects.filter(booking=off).values_list("subject_id", flat=True)) == crowd

    monkeypatch.setattr(stages, "NO_CROWD", True)
    on = _booked(world, "NS-CROWD-ON")
    result = screen_booking(actor=world.booking_clerk, booking=on)
    assert result.candidates >= 4  # compared, and none proposed
    assert not IdentityMatch.objects.filter(booking=on).exists()


def test_a_record_outside_the_crowd_is_still_proposed(world, reg, monkeypatch):  # noqa: F811
    """The crowd rule drops only the records that agree on every field the booking carries: one whose birth
    country is not recorded is not of the crowd, and stays proposed."""
    monkeypatch.setattr(namesakes, "MAX_NAMESAKES", 2)
    monkeypatch.setattr(namesakes, "CROWD", 3)
    for n in range(4):
        _namesake(world, 1980 + n, 5)
    apart = registry_subject_add(
        actor=world.supervisor, first_name="Beatriz", last_name="Lopezcano", sex="F", date_of_birth=date(1975, 3, 9)
    ).pk
    name_frequencies_refresh()
    b = _booked(world, "NS-CROWD-APART")
    screen_booking(actor=world.booking_clerk, booking=b)
    assert set(IdentityMatch.objects.filter(booking=b).values_list("subject_id", flat=True)) == {apart}


def test_a_namesake_whose_fbi_number_is_a_slip_away_is_not_of_the_crowd(world, reg, monkeypatch):  # noqa: F811
    """A crowd's namesake whose FBI number is one keying slip from the booking's is told apart by it (ADR 0063):
    it stays proposed, where the rest of the crowd is not."""
    monkeypatch.setattr(namesakes, "MAX_NAMESAKES", 2)
    monkeypatch.setattr(namesakes, "CROWD", 3)
    crowd = {_namesake(world, 1980 + n, 5).pk for n in range(4)}
    slipped = _namesake(world, 1990, 7, identifiers={"FBI_UCN": "912345AB7"}).pk
    name_frequencies_refresh()
    b = _booked(world, "NS-CROWD-FBI", fbi="912345AB1")
    screen_booking(actor=world.booking_clerk, booking=b)
    found = set(IdentityMatch.objects.filter(booking=b).values_list("subject_id", flat=True))
    assert slipped in found and not crowd & found


def test_a_dateless_booking_finds_the_records_its_names_fit_as_a_feed_shortens_them(world, reg, monkeypatch):  # noqa: F811
    """ADR 0067: the name rules bounded out, a dateless "Beatriz Lopezcano" gets beside her namesake "Beatriz
    Lopezcano Ruiz" (the second surname dropped) and "Ana Beatriz Lopezcano" (the middle name used as given
    name); not such a record of another country; and only her namesake once they are more than
    ``namesakes.KIN_MAX`` together, as before the change."""
    _bound_out_name_rules(monkeypatch)
    same = _namesake(world, 1980, 5).pk
    person = {"actor": world.supervisor, "sex": "F", "birth_country": "CO"}
    dropped = registry_subject_add(
        first_name="Beatriz", last_name="Lopezcano", second_last_name="Ruiz", date_of_birth=date(1981, 3, 5), **person
    ).pk
    middle = registry_subject_add(
        first_name="Ana", middle_name="Beatriz", last_name="Lopezcano", date_of_birth=date(1982, 3, 5), **person
    ).pk
    registry_subject_add(
        **{**person, "birth_country": "MX"}, first_name="Beatriz", last_name="Lopezcano", second_last_name="Ruiz",
        date_of_birth=date(1983, 3, 5),
    )  # fmt: skip

    def proposed(number: str) -> dict[int, IdentityMatch]:
        b = _booked(world, number)
        screen_booking(actor=world.booking_clerk, booking=b)
        return {m.subject_id: m for m in IdentityMatch.objects.filter(booking=b)}

    monkeypatch.setattr(namesakes, "KIN", False)
    assert set(proposed("KIN-OFF")) == {same}
    monkeypatch.setattr(namesakes, "KIN", True)
    found = proposed("KIN-ON")
    assert set(found) == {same, dropped, middle}
    assert "the booking lacks" in found[dropped].explanation["namesakes"]
    assert "the booking lacks" in found[middle].explanation["namesakes"]
    assert "the booking lacks" not in found[same].explanation["namesakes"]
    monkeypatch.setattr(namesakes, "KIN_MAX", 2)
    assert set(proposed("KIN-CAP")) == {same}
