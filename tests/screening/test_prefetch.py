"""The next chunk screened on a second connection (screening/prefetch.py): the same proposals as without it, a
decision of another model version is not stored, and it is used only where a second connection sees what the
import sees."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from holdtrack.custody.models import IdentityMatch
from holdtrack.intake.bookings import bookings_import
from holdtrack.screening import prefetch, services
from holdtrack.screening.prefetch import ChunkPrefetch
from holdtrack.screening.proposals import Proposal
from holdtrack.screening.services import screening_model_store
from holdtrack.screening.stages import Decision
from holdtrack.screening.training import rescale_prior
from holdtrack.simulation.registry import registry_build
from tests.custody.test_ingest import HEADER, _row
from tests.screening.factories_screening import TRAIN_SIZE, booking_of, trained_model
from tests.screening.test_services import reg  # noqa: F401 - the registry fixture with a trained model

REGISTRY = 300


def _feed(world, tmp_path: Path, people, prefix: str) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / f"{prefix}.csv"
    rows = [
        _row(
            world, f"{prefix}{i}", first_name=p.first_name, middle_name=p.middle_name, last_name=p.last_name,
            date_of_birth=p.date_of_birth.isoformat() if p.date_of_birth else "", sex=p.sex,
            birth_country=p.birth_country,
        )
        for i, p in enumerate(people)
    ]  # fmt: skip
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _proposals(prefix: str) -> dict[str, set[tuple[int, float]]]:
    out: dict[str, set[tuple[int, float]]] = {}
    for number, sid, score in IdentityMatch.objects.filter(booking__booking_number__startswith=prefix).values_list(
        "booking__booking_number", "subject_id", "score"
    ):
        out.setdefault(number.removeprefix(prefix), set()).add((sid, round(score, 9)))
    return out


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_prefetched_chunks_propose_what_unprefetched_chunks_propose(world, tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process reads the importer's database over a connection of its own")
    people = registry_build(size=REGISTRY, seed=5)
    screening_model_store(
        actor=world.supervisor,
        splink_model=rescale_prior(trained_model(), TRAIN_SIZE, REGISTRY),
        version="prefetch-v1",
        registry_size=REGISTRY,
        review_threshold=0.2,
    )
    booked = people[:14]
    taken: list[int] = []
    take = ChunkPrefetch.take
    decided_here: list[int] = []  # records screen_bookings decided itself, in the import's transaction
    decide = services.decide

    def counted_decide(booked, model):  # type: ignore[no-untyped-def]
        decided_here.append(len(booked))
        return decide(booked, model)

    monkeypatch.setattr(services, "decide", counted_decide)

    def counted(self, tag):  # type: ignore[no-untyped-def]
        found = take(self, tag)
        taken.append(len(found))
        return found

    monkeypatch.setattr(ChunkPrefetch, "take", counted)
    monkeypatch.setattr(ChunkPrefetch, "usable", staticmethod(lambda: False))
    bookings_import(path=_feed(world, tmp_path, booked, "A"), chunk_size=4)
    assert taken == [] and sum(decided_here) == 14
    monkeypatch.setattr(ChunkPrefetch, "usable", staticmethod(lambda: True))
    decided_here.clear()
    bookings_import(path=_feed(world, tmp_path, booked, "B"), chunk_size=4)

    # The first chunk is decided in the import's process while the worker starts; every later chunk (3 of them)
    # found its bookings decided by the worker and stored those decisions; the proposals are the same.
    assert taken == [0, 4, 4, 2] and decided_here == [4]
    assert _proposals("A") == _proposals("B") and len(_proposals("A")) >= 12


@pytest.mark.django_db
def test_no_prefetch_inside_a_callers_transaction():
    # A second connection could not see registry rows the caller's open transaction holds.
    assert connection.in_atomic_block and not ChunkPrefetch.usable()


def test_take_skips_chunks_that_were_never_screened(monkeypatch):
    monkeypatch.setattr(prefetch, "_decide", lambda tags, booked: dict(zip(tags, booked, strict=True)))
    monkeypatch.setattr(prefetch, "_close_connections", lambda: None)
    ahead = ChunkPrefetch(ThreadPoolExecutor(max_workers=1))  # the queue's logic, without a worker process
    try:
        ahead.submit(["a1", "a2"], ["ka", "ka2"])  # type: ignore[list-item]
        ahead.submit(["b1"], ["kb"])  # type: ignore[list-item]
        ahead.submit(["c1"], ["kc"])  # type: ignore[list-item]
        assert ahead.take("zz") == {}  # never submitted: nothing is dropped
        assert len(ahead._queue) == 3
        assert ahead.take("b1") == {"b1": "kb"} and len(ahead._queue) == 1  # chunk a (no new booking) dropped
        assert ahead.take("c1") == {"c1": "kc"}
    finally:
        ahead.close()


@pytest.mark.django_db
def test_a_decision_is_stored_only_when_made_by_the_active_model_and_not_about_the_booking_itself(world, reg):  # noqa: F811
    """A chunk decided ahead may meet another active model, or (in principle) a booking whose own subject it
    proposes: such a decision is made again, never stored as it came."""
    people, active = reg
    target = people[0].subject_id
    b1 = booking_of(world, first="Anselmo", last="Uribarri", dob=None)
    b2 = booking_of(world, first="Anselmo", last="Uribarri", dob=None)
    b3 = booking_of(world, first="Anselmo", last="Uribarri", dob=None)

    def made(version: str, sid: int) -> Decision:
        return Decision(
            version, [Proposal(sid, "BIOGRAPHIC", 0.97)], {sid: {"basis": "BIOGRAPHIC", "probability": 0.97}}, 1
        )

    result = services.screen_bookings(
        actor=world.booking_clerk,
        bookings=[b1, b2, b3],
        decided=[made(active.version, target), made("another-version", target), made(active.version, b3.subject_id)],
    )
    stored = {(m.booking_id, m.subject_id): m.score for m in IdentityMatch.objects.filter(booking__in=[b1, b2, b3])}
    assert stored[(b1.pk, target)] == 0.97  # stored as decided
    # the other two were decided afresh: the registry person is no candidate of theirs, nor is a booking's own record
    assert (b2.pk, target) not in stored and (b3.pk, b3.subject_id) not in stored
    assert result.screened == 3


def _die(tags, booked):  # type: ignore[no-untyped-def]
    os._exit(3)  # the worker process ends mid-chunk, as a killed or crashed one would


def test_a_worker_that_dies_costs_time_never_a_decision(monkeypatch):
    # Forked after the patch: the worker runs _die; the import then decides every chunk itself.
    monkeypatch.setattr(prefetch, "_decide", _die)
    ahead = ChunkPrefetch()
    try:
        ahead.submit(["a1"], ["ka"])  # type: ignore[list-item]
        assert ahead.take("a1") == {}  # logged; the chunk is decided in the import's process
        ahead.submit(["b1"], ["kb"])  # type: ignore[list-item]  # the pool is broken: nothing is queued
        assert ahead.take("b1") == {}
    finally:
        ahead.close()  # closes what is left without raising
