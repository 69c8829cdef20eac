"""The next chunk's first-stage candidates retrieved on a second connection (screening/prefetch.py): the same
proposals as without it, and it is used only where a second connection sees what the import sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from holdtrack.custody.models import IdentityMatch
from holdtrack.intake.bookings import bookings_import
from holdtrack.screening import prefetch
from holdtrack.screening.prefetch import FirstStagePrefetch
from holdtrack.screening.services import screening_model_store
from holdtrack.screening.training import rescale_prior
from holdtrack.simulation.registry import registry_build
from tests.custody.test_ingest import HEADER, _row
from tests.screening.factories_screening import TRAIN_SIZE, trained_model

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
    take = FirstStagePrefetch.take

    def counted(self, tag):  # type: ignore[no-untyped-def]
        found = take(self, tag)
        taken.append(len(found))
        return found

    monkeypatch.setattr(FirstStagePrefetch, "take", counted)
    monkeypatch.setattr(FirstStagePrefetch, "usable", staticmethod(lambda: False))
    bookings_import(path=_feed(world, tmp_path, booked, "A"), chunk_size=4)
    assert taken == []
    monkeypatch.setattr(FirstStagePrefetch, "usable", staticmethod(lambda: True))
    bookings_import(path=_feed(world, tmp_path, booked, "B"), chunk_size=4)

    # Every chunk (4 of them) found its candidates prefetched, and the proposals are the same.
    assert taken == [4, 4, 4, 2]
    assert _proposals("A") == _proposals("B") and len(_proposals("A")) >= 12


@pytest.mark.django_db
def test_no_prefetch_inside_a_callers_transaction():
    # A second connection could not see registry rows the caller's open transaction holds.
    assert connection.in_atomic_block and not FirstStagePrefetch.usable()


def test_take_skips_chunks_that_were_never_screened(monkeypatch):
    monkeypatch.setattr(prefetch, "_retrieve", lambda keys: {k: [] for k in keys})
    monkeypatch.setattr(prefetch, "_close_connections", lambda: None)
    ahead = FirstStagePrefetch()
    try:
        ahead.submit(["a1", "a2"], ["ka"])  # type: ignore[list-item]
        ahead.submit(["b1"], ["kb"])  # type: ignore[list-item]
        ahead.submit(["c1"], ["kc"])  # type: ignore[list-item]
        assert ahead.take("zz") == {}  # never submitted: nothing is dropped
        assert len(ahead._queue) == 3
        assert ahead.take("b1") == {"kb": []} and len(ahead._queue) == 1  # chunk a (no new booking) dropped
        assert ahead.take("c1") == {"kc": []}
    finally:
        ahead.close()
