"""``screening rescreen`` (no duplicates, decisions untouched, one audit event, idempotent) and ``screening
export`` (content, agency roles only, one access event)."""

from __future__ import annotations

import copy
import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from holdtrack.accounts.services import system_user
from holdtrack.audit.models import AuditEvent, CaseType, Transition
from holdtrack.audit.services import audit_verify
from holdtrack.core.errors import NotPermitted
from holdtrack.custody import services as cs
from holdtrack.custody.models import IdentifierType, IdentityMatch, MatchStatus, SubjectIdentifier
from holdtrack.screening.rescreen import EXPORT_COLUMNS, bookings_rescreen, identity_matches_export
from holdtrack.screening.services import screen_bookings, screening_model_store
from holdtrack.screening.training import rescale_prior
from holdtrack.simulation.registry import registry_build
from tests.screening.factories_screening import TRAIN_SIZE, booking_of, trained_model

REGISTRY = 300


@pytest.fixture
def reg(world):
    people = registry_build(size=REGISTRY, seed=5)
    screening_model_store(
        actor=world.supervisor, splink_model=rescale_prior(trained_model(), TRAIN_SIZE, REGISTRY), version="rs-v1",
        registry_size=REGISTRY,
    )  # fmt: skip
    return people


def _book(world, p):  # type: ignore[no-untyped-def]
    return booking_of(
        world, first=p.first_name, middle=p.middle_name, last=p.last_name, dob=p.date_of_birth, sex=p.sex,
        country=p.birth_country,
    )  # fmt: skip


def _v2(world):  # type: ignore[no-untyped-def]
    """A second model version that scores every pair a little higher (prior doubled)."""
    model = copy.deepcopy(rescale_prior(trained_model(), TRAIN_SIZE, REGISTRY))
    model["probability_two_random_records_match"] *= 2
    return screening_model_store(actor=world.supervisor, splink_model=model, version="rs-v2", registry_size=REGISTRY)


def _snapshot(m: IdentityMatch) -> tuple:  # type: ignore[type-arg]
    return (m.status, m.score, m.model_version, m.explanation, m.reviewed_by_id, m.reviewed_at, m.review_reason)


def test_rescreen_adds_no_duplicates_rescores_proposals_and_leaves_decisions_untouched(world, reg):
    screened = [_book(world, p) for p in reg[:4]]
    later = [_book(world, p) for p in reg[4:7]]  # stored, never screened (e.g. imported before the registry)
    screen_bookings(actor=world.booking_clerk, bookings=screened)
    confirmed = IdentityMatch.objects.get(booking=screened[0], subject_id=reg[0].subject_id)
    rejected = IdentityMatch.objects.get(booking=screened[1], subject_id=reg[1].subject_id)
    cs.identity_match_review(actor=world.officer, match=confirmed, confirm=True, reason="photo agrees")
    cs.identity_match_review(actor=world.officer, match=rejected, confirm=False, reason="different person")
    confirmed.refresh_from_db()
    rejected.refresh_from_db()
    decided = {m.pk: _snapshot(m) for m in (confirmed, rejected)}
    proposed = IdentityMatch.objects.get(booking=screened[2], subject_id=reg[2].subject_id)
    _v2(world)

    events = AuditEvent.objects.count()
    r = bookings_rescreen(actor=system_user())
    assert r.model_version == "rs-v2" and r.screened == 7
    assert r.proposed >= 3  # the bookings never screened before
    assert all(IdentityMatch.objects.filter(booking=b, subject_id=p.subject_id).exists()
               for b, p in zip(later, reg[4:7], strict=True))  # fmt: skip
    pairs = list(IdentityMatch.objects.values_list("booking_id", "subject_id"))
    assert len(pairs) == len(set(pairs))
    for m in IdentityMatch.objects.filter(pk__in=decided):
        assert _snapshot(m) == decided[m.pk]  # CONFIRMED and REJECTED untouched
    proposed_after = IdentityMatch.objects.get(pk=proposed.pk)
    assert proposed_after.status == MatchStatus.PROPOSED and proposed_after.model_version == "rs-v2"
    assert proposed_after.score is not None and proposed.score is not None and proposed_after.score >= proposed.score
    assert proposed_after.explanation["model_version"] == "rs-v2"
    assert r.updated >= 2
    # One audit event for the whole run.
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and event.action == "screening.rescreen" and event.data["proposed"] == r.proposed
    assert [proposed.pk, proposed.pk] in event.data["rescored_match_ids"] or any(
        a <= proposed.pk <= b for a, b in event.data["rescored_match_ids"]
    )

    # Idempotent: a second run changes nothing but its own audit event.
    before = {m.pk: _snapshot(m) for m in IdentityMatch.objects.all()}
    transitions = Transition.objects.filter(case_type=CaseType.IDENTITY_MATCH).count()
    again = bookings_rescreen(actor=system_user())
    assert again.proposed == 0 and again.updated == 0
    assert {m.pk: _snapshot(m) for m in IdentityMatch.objects.all()} == before
    assert Transition.objects.filter(case_type=CaseType.IDENTITY_MATCH).count() == transitions
    assert audit_verify().ok


def test_rescreen_command_with_a_named_model_and_since(world, reg):
    b = _book(world, reg[10])  # booked 2026-03-02
    out = io.StringIO()
    call_command("screening", "rescreen", "--model", "rs-v1", "--since", "2026-03-03", stdout=out, stderr=io.StringIO())
    assert "0 bookings re-screened with rs-v1" in out.getvalue()
    call_command("screening", "rescreen", "--model", "rs-v1", "--since", "2026-03-01", stdout=out, stderr=io.StringIO())
    assert "1 bookings re-screened with rs-v1" in out.getvalue()
    assert IdentityMatch.objects.get(booking=b, subject_id=reg[10].subject_id).model_version == "rs-v1"
    with pytest.raises(CommandError, match="No screening model version 'nope'"):
        call_command("screening", "rescreen", "--model", "nope", stdout=out, stderr=io.StringIO())
    with pytest.raises(NotPermitted):
        bookings_rescreen(actor=world.booking_clerk)


def test_export_writes_one_row_per_proposal_and_one_access_event(world, reg, tmp_path):
    bookings = [_book(world, p) for p in reg[20:23]]
    screen_bookings(actor=world.booking_clerk, bookings=bookings)
    SubjectIdentifier.objects.create(subject_id=reg[20].subject_id, type=IdentifierType.AGENCY_KEY, value="AG-0020")
    path = tmp_path / "proposals.csv"
    events = AuditEvent.objects.filter(action="identity_match.export").count()
    out = io.StringIO()
    call_command("screening", "export", "--out", str(path), stdout=out, stderr=io.StringIO())
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == IdentityMatch.objects.count() and f"Exported {len(rows)} proposals" in out.getvalue()
    mine = next(r for r in rows if r["booking_number"] == bookings[0].booking_number and r["registry_subject_id"])
    m = IdentityMatch.objects.get(booking=bookings[0], subject_id=reg[20].subject_id)
    assert mine == {
        "booking_number": bookings[0].booking_number, "agency_ori": bookings[0].custodian.ori,
        "registry_subject_id": "AG-0020", "probability": f"{m.score:.6f}", "state": "PROPOSED",
        "model_version": "rs-v1",
    }  # fmt: skip
    assert any(r["registry_subject_id"] == "" for r in rows)  # no agency key: empty
    assert AuditEvent.objects.filter(action="identity_match.export").count() == events + 1
    event = AuditEvent.objects.filter(action="identity_match.export").last()
    assert event is not None and event.data["rows"] == len(rows) and event.actor_role == "SYSTEM"

    # An agency officer may export (as themselves); an LEA user is refused, and nothing is written or logged.
    call_command("screening", "export", "--out", str(path), "--as", world.officer.username, stdout=out,
                 stderr=io.StringIO())  # fmt: skip
    assert AuditEvent.objects.filter(action="identity_match.export").last().actor_id == world.officer.pk  # type: ignore[union-attr]
    refused = tmp_path / "lea.csv"
    with pytest.raises(CommandError, match="may not export identity matches"):
        call_command("screening", "export", "--out", str(refused), "--as", world.booking_clerk.username,
                     stdout=out, stderr=io.StringIO())  # fmt: skip
    assert not refused.exists()
    assert AuditEvent.objects.filter(action="identity_match.export").count() == events + 2
    with pytest.raises(NotPermitted):
        identity_matches_export(actor=world.booking_clerk, out=refused)
