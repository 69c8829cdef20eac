"""Screening services on the database: candidates through the indexed keys, proposals with explanations,
biometric matches, idempotence, the audit trail, the review queue and the citizenship safeguard."""

from __future__ import annotations

import random
from datetime import date

import pytest

from holdtrack.audit.models import AuditEvent, CaseType, Transition
from holdtrack.audit.services import audit_verify
from holdtrack.custody import services as cs
from holdtrack.custody.identity import person_has_open_claim, person_subject_ids
from holdtrack.custody.models import CitizenshipClaim, ClaimBasis, ClaimStatus, IdentityMatch, MatchBasis
from holdtrack.screening import candidates as cand
from holdtrack.screening.fs_model import probability
from holdtrack.screening.selectors import review_queue
from holdtrack.screening.services import (
    registry_subject_add,
    screen_booking,
    screen_bookings,
    screening_model_store,
    subject_keys,
)
from holdtrack.screening.training import rescale_prior
from holdtrack.simulation.registry import CORRUPTIONS, corrupt, registry_build
from tests.factories import other_aor_world
from tests.screening.factories_screening import TRAIN_SIZE, booking_of, row_keys, trained_model

REGISTRY = 300
THRESHOLD = 0.2


@pytest.fixture
def reg(world):
    people = registry_build(size=REGISTRY, seed=5)
    model = screening_model_store(
        actor=world.supervisor,
        splink_model=rescale_prior(trained_model(), TRAIN_SIZE, REGISTRY),
        version="test-v1",
        registry_size=REGISTRY,
        review_threshold=THRESHOLD,
    )
    return people, model


def _book_as(world, p, **kw):  # type: ignore[no-untyped-def]
    return booking_of(
        world, first=p.first_name, middle=p.middle_name, last=p.last_name, dob=p.date_of_birth, sex=p.sex,
        country=p.birth_country, **kw,
    )  # fmt: skip


def test_registry_person_is_proposed_with_an_explanation_that_adds_up(world, reg):
    people, _model = reg
    p = people[7]
    b = _book_as(world, p)
    result = screen_booking(actor=world.booking_clerk, booking=b)
    assert result.screened == 1 and result.proposed >= 1 and result.biometric == 0
    m = IdentityMatch.objects.get(booking=b, subject_id=p.subject_id)
    assert m.basis == MatchBasis.BIOGRAPHIC and m.status == "PROPOSED" and m.model_version == "test-v1"
    e = m.explanation
    assert e["model_version"] == "test-v1" and e["review_threshold"] == THRESHOLD
    assert [t["comparison"] for t in e["comparisons"]] == [
        "first_name", "last_name", "middle_name", "date_of_birth", "sex", "birth_country", "fbi_number", "a_number",
    ]  # fmt: skip
    assert {"level", "booking", "registry", "weight"} <= set(e["comparisons"][0])
    assert e["comparisons"][3]["level"] == "exact" and e["comparisons"][3]["booking"] == p.date_of_birth.isoformat()
    total = e["prior"]["weight"] + sum(t["weight"] for t in e["comparisons"])
    assert total == pytest.approx(e["total_weight"], abs=1e-5)
    assert e["probability"] == pytest.approx(probability(e["total_weight"]))
    assert m.score == pytest.approx(e["probability"]) and m.score >= THRESHOLD


def test_a_person_not_in_the_registry_gets_no_proposal(world, reg):
    b = booking_of(world, first="Zebulon", last="Quackenbush", dob=date(1931, 2, 3), country="Jamaica")
    result = screen_booking(actor=world.booking_clerk, booking=b)
    assert result.proposed == 0
    assert not IdentityMatch.objects.filter(booking=b).exists()


def test_equal_fbi_number_is_a_biometric_match_and_skips_biographic_scoring(world, reg):
    people, _ = reg
    p = people[3]
    # Same biographic data too: only the biometric match is proposed.
    b = _book_as(world, p, fbi=p.fbi_ucn)
    other = booking_of(world, first="Unrelated", last="Name", dob=date(1950, 1, 1), fbi=people[4].fbi_ucn)
    result = screen_bookings(actor=world.booking_clerk, bookings=[b, other])
    assert result.biometric == 2 and result.proposed == 2
    m = IdentityMatch.objects.get(booking=b)
    assert m.subject_id == p.subject_id and m.basis == MatchBasis.BIOMETRIC and m.score == 1.0
    assert m.explanation["basis"] == "BIOMETRIC" and m.explanation["value"] == p.fbi_ucn
    assert "biographic scoring was skipped" in m.explanation["summary"]
    assert IdentityMatch.objects.get(booking=other).subject_id == people[4].subject_id


def test_rescreening_creates_no_duplicates(world, reg):
    people, _ = reg
    bookings = [_book_as(world, p) for p in people[10:15]]
    first = screen_bookings(actor=world.booking_clerk, bookings=bookings)
    matches = IdentityMatch.objects.count()
    transitions = Transition.objects.filter(case_type=CaseType.IDENTITY_MATCH).count()
    again = screen_bookings(actor=world.booking_clerk, bookings=bookings)
    assert first.proposed >= 5 and again.proposed == 0
    assert IdentityMatch.objects.count() == matches
    assert Transition.objects.filter(case_type=CaseType.IDENTITY_MATCH).count() == transitions
    # The per-booking results still name the existing matches.
    assert all(again.bookings[b.pk].proposals for b in bookings)


def test_a_batch_records_each_proposal_and_one_audit_event(world, reg):
    people, _ = reg
    bookings = [_book_as(world, p) for p in people[20:24]]
    before = AuditEvent.objects.filter(action="identity_match.screen").count()
    result = screen_bookings(actor=world.booking_clerk, bookings=bookings)
    assert AuditEvent.objects.filter(action="identity_match.screen").count() == before + 1
    event = AuditEvent.objects.filter(action="identity_match.screen").last()
    assert event is not None and event.data["proposed"] == result.proposed and event.data["bookings"] == 4
    for m in IdentityMatch.objects.filter(booking__in=bookings):
        t = Transition.objects.get(case_type=CaseType.IDENTITY_MATCH, case_id=m.pk)
        assert (t.seq, t.name, t.source, t.target) == (1, "propose", "", "PROPOSED")
    assert audit_verify().ok


def test_review_queue_is_scoped_to_the_office_and_ordered_by_score(world, reg):
    people, _ = reg
    bookings = [_book_as(world, p) for p in people[30:36]]
    screen_bookings(actor=world.booking_clerk, bookings=bookings)
    queue = list(review_queue(world.officer))
    assert len(queue) >= 6
    assert [m.score for m in queue] == sorted((m.score for m in queue), reverse=True)
    assert all(m.score >= THRESHOLD for m in queue)
    other = other_aor_world()
    assert not review_queue(other.officer).exists()
    assert not review_queue(world.booking_clerk).exists()
    # Reviewed matches leave the queue.
    cs.identity_match_review(actor=world.officer, match=queue[0], confirm=False, reason="different person")
    assert queue[0].pk not in {m.pk for m in review_queue(world.officer)}


def test_confirming_a_booking_with_a_us_birthplace_opens_a_citizenship_claim(world, reg):
    people, _ = reg
    p = people[40]
    b = _book_as(world, p, stated_birth_country="United States")
    screen_booking(actor=world.booking_clerk, booking=b)
    m = IdentityMatch.objects.get(booking=b, subject_id=p.subject_id)
    assert not CitizenshipClaim.objects.filter(subject_id=p.subject_id).exists()
    cs.identity_match_review(actor=world.officer, match=m, confirm=True, reason="photo and tattoos agree")
    # The claim the booking raised on the booked record now covers the confirmed person: one open claim, on
    # either record, and the registry record's holds are frozen by it (ADR 0014).
    claim = CitizenshipClaim.objects.get(subject_id__in=person_subject_ids(p.subject_id))
    assert claim.status == ClaimStatus.OPEN and claim.basis == ClaimBasis.US_BIRTHPLACE
    assert person_has_open_claim(p.subject_id)


def test_rejecting_opens_no_claim(world, reg):
    people, _ = reg
    p = people[41]
    b = _book_as(world, p, citizenship_asserted=True)
    screen_booking(actor=world.booking_clerk, booking=b)
    m = IdentityMatch.objects.get(booking=b, subject_id=p.subject_id)
    cs.identity_match_review(actor=world.officer, match=m, confirm=False, reason="different person")
    assert not CitizenshipClaim.objects.filter(subject_id=p.subject_id).exists()


@pytest.mark.parametrize("kind", [k for k in CORRUPTIONS if k != "missing_dob"])
def test_blocking_keys_survive_each_corruption(world, reg, kind):
    people, _ = reg
    rng = random.Random(kind)
    keys, truth = [], []
    for p in people[:120]:
        fields = corrupt(rng, p, [kind])
        keys.append(row_keys({**fields, **_dob(fields)}))
        truth.append(p.subject_id)
    found = cand.retrieve(keys)
    hits = sum(1 for t, c in zip(truth, found, strict=True) if t in {sid for sid, _ in c})
    # A one-day DOB typo that crosses a month end leaves no shared key (documented); all else must survive.
    assert hits / len(truth) >= (0.95 if kind == "dob_digit" else 1.0)
    assert max(len(c) for c in found) <= cand.MAX_CANDIDATES


def _dob(fields: dict) -> dict:  # type: ignore[type-arg]
    d = fields["date_of_birth"]
    return {"date_of_birth": d.isoformat() if d else ""}


def test_nicknames_compound_and_swapped_names_still_score_above_threshold(world, reg):
    people, _ = reg
    rng = random.Random(9)
    proposed = 0
    tried = 0
    for kind in ("nickname", "compound_surname", "swapped_names", "dob_day_month_swap", "typo", "transposition"):
        for p in people[50:60]:
            f = corrupt(rng, p, [kind])
            b = booking_of(world, first=f["first_name"], middle=f["middle_name"], last=f["last_name"],
                           dob=f["date_of_birth"], sex=f["sex"], country=f["birth_country"])  # fmt: skip
            screen_booking(actor=world.booking_clerk, booking=b)
            tried += 1
            proposed += IdentityMatch.objects.filter(booking=b, subject_id=p.subject_id).exists()
    assert proposed / tried >= 0.9


def test_registry_subject_add_makes_the_subject_findable(world, reg):
    s = registry_subject_add(
        actor=world.supervisor, first_name="Ximena", last_name="Quintanilla-Oyarzún", date_of_birth=date(1984, 7, 9),
        sex="F", birth_country="Chile", identifiers={"FBI_UCN": "SYTEST001"},
    )  # fmt: skip
    assert subject_keys(s).last_sound == s.registry_key.last_sound
    b = booking_of(world, first="XIMENA", last="Quintanilla", dob=date(1984, 9, 7), sex="F", country="Chile")
    screen_booking(actor=world.booking_clerk, booking=b)
    assert IdentityMatch.objects.filter(booking=b, subject=s).exists()
    b2 = booking_of(world, first="Other", last="Person", dob=date(1990, 1, 1), fbi="SYTEST001")
    assert screen_booking(actor=world.booking_clerk, booking=b2).biometric == 1


def test_without_a_model_only_biometric_matches_are_proposed(world):
    people = registry_build(size=20, seed=8)
    b = _book_as(world, people[0])
    b2 = _book_as(world, people[1], fbi=people[1].fbi_ucn)
    result = screen_bookings(actor=world.booking_clerk, bookings=[b, b2])
    assert result.model_version == "" and result.proposed == 1 and result.biometric == 1


def test_an_analyst_may_not_screen(world, reg):
    from holdtrack.accounts.models import Role
    from holdtrack.core.errors import NotPermitted
    from tests.factories import UserFactory

    analyst = UserFactory(role=Role.ANALYST)
    b = booking_of(world, first="A", last="B", dob=date(1990, 1, 1))
    with pytest.raises(NotPermitted):
        screen_booking(actor=analyst, booking=b)


def test_the_same_booking_twice_in_a_batch_is_proposed_once(world, reg):
    people, _ = reg
    b = _book_as(world, people[60])
    result = screen_bookings(actor=world.booking_clerk, bookings=[b, b])
    assert result.proposed == IdentityMatch.objects.filter(booking=b).count() >= 1


def test_the_second_surname_is_keyed_in_its_own_field_split_from_a_double_surname_and_in_the_middle_name(world, reg):
    from holdtrack.screening.keys import keys_for

    s = registry_subject_add(
        actor=world.supervisor, first_name="Rocío", last_name="Martínez", second_last_name="Ruiz",
        date_of_birth=date(1979, 5, 17), sex="F", birth_country="Mexico",
    )  # fmt: skip
    assert s.registry_key.last_norm == "martinez ruiz"  # the second surname is part of the compared surname
    dob = date(1979, 5, 17)
    # Another given name (no given-name sound in common): only a surname rule can find the subject.
    reversed_order = keys_for(first_name="Maria", last_name="Ruiz Martínez", date_of_birth=dob)
    in_middle = keys_for(first_name="Maria", middle_name="Martinez", last_name="Ruiz", date_of_birth=dob)
    alone = keys_for(first_name="Rocio", last_name="Ruiz", date_of_birth=dob)
    for k in (reversed_order, in_middle, alone):
        assert s.pk in {sid for sid, _ in cand.retrieve([k])[0]}, k
    assert reversed_order.last2_sound == in_middle.middle_sound == s.registry_key.last_sound


def test_the_wide_rules_run_only_for_a_booking_without_a_confident_proposal(world, reg):
    people, _ = reg
    p = next(q for q in people if q.middle_name and q.date_of_birth.month < 6 and q.date_of_birth.day < 20)
    exact = _book_as(world, p)
    d = p.date_of_birth
    # swapped names and a DOB wrong in month and day together: no first-stage rule reaches the subject
    hard = booking_of(
        world, first=p.last_name, middle=p.middle_name, last=p.first_name, dob=date(d.year, d.month + 6, d.day + 8),
        sex=p.sex, country=p.birth_country,
    )  # fmt: skip
    assert p.subject_id not in {sid for sid, _ in cand.retrieve([subject_keys(hard.subject)])[0]}
    result = screen_bookings(actor=world.booking_clerk, bookings=[exact, hard])
    assert result.wide == 1  # the exact booking was proposed with confidence at the first stage
    assert IdentityMatch.objects.filter(booking=hard, subject_id=p.subject_id).exists()
    assert IdentityMatch.objects.filter(booking=exact, subject_id=p.subject_id).exists()


def three_error_booking(world, people):  # type: ignore[no-untyped-def]
    """A registry person and a booking of them that only the deep rules reach: a typo that changes the given
    name's sound, the month one later, the second surname dropped."""
    from holdtrack.screening.keys import sound

    def typo(name: str) -> str:
        return name[0] + "x" + name[2:]

    p = next(
        q for q in people
        if q.middle_name and q.date_of_birth.month < 12 and q.date_of_birth.day <= 28 and len(q.first_name) > 3
        and sound(typo(q.first_name).lower()) != sound(q.first_name.lower())
    )  # fmt: skip
    d = p.date_of_birth
    hard = booking_of(
        world, first=typo(p.first_name), middle=p.middle_name, last=p.last_name.split()[0],
        dob=date(d.year, d.month + 1, d.day), sex=p.sex, country=p.birth_country,
    )  # fmt: skip
    k = subject_keys(hard.subject)
    assert p.subject_id not in {sid for sid, _ in cand.retrieve([k])[0] + cand.retrieve([k], wide=True)[0]}
    return p, hard


def test_the_deep_rules_run_for_a_booking_without_a_proposal_and_find_a_three_error_family(world, reg):
    people, _ = reg
    p, hard = three_error_booking(world, people)
    stranger = booking_of(world, first="Zebulon", last="Quackenbush", dob=date(1931, 2, 3), country="Jamaica")
    no_dob = booking_of(world, first="Zebulon", last="Quackenbush", dob=None, country="Jamaica")
    exact = _book_as(world, p)
    result = screen_bookings(actor=world.booking_clerk, bookings=[hard, stranger, no_dob, exact])
    # the exact booking is proposed at the first stage; the three others are probed (without a DOB by its names)
    assert result.deep == 3
    assert not IdentityMatch.objects.filter(booking=no_dob).exists()
    assert IdentityMatch.objects.filter(booking=hard, subject_id=p.subject_id).exists()
    assert not IdentityMatch.objects.filter(booking=stranger).exists()


def test_a_decision_keeps_the_records_it_compared_only_when_asked(world, reg, monkeypatch):
    """``stages.KEEP_COMPARED`` (the benches' candidate recall): every proposed record is among those compared;
    off, a decision carries none (a bulk feed's worker would pickle them for nothing)."""
    from holdtrack.screening import stages
    from holdtrack.screening.keys import keys_for

    people, model = reg
    booked = [
        stages.Booked(
            keys_for(
                first_name=p.first_name, middle_name=p.middle_name, last_name=p.last_name,
                date_of_birth=p.date_of_birth, sex=p.sex, birth_country=p.birth_country,
            ),
            "",
            "",
        )
        for p in people[:20]
    ]  # fmt: skip
    assert all(not d.compared for d in stages.decide(booked, model))
    monkeypatch.setattr(stages, "KEEP_COMPARED", True)
    decisions = stages.decide(booked, model)
    assert all(d.compared for d in decisions)
    assert all({p.subject_id for p in d.proposals} <= d.compared for d in decisions)
    assert sum(p.subject_id in d.compared for p, d in zip(people[:20], decisions, strict=True)) >= 18
