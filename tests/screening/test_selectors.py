"""screening.selectors.review_queue: the proposed matches of custody.access.matches_for_user, best score first."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from holdtrack.custody import services as cs
from holdtrack.custody.models import MatchBasis
from holdtrack.screening.selectors import review_queue
from tests.factories import book, make_world, other_aor_world, registry_subject

pytestmark = pytest.mark.django_db


def test_the_queue_holds_the_proposed_matches_of_the_area_best_first():
    a, a2, b = make_world(), make_world(suffix=" 2"), other_aor_world()
    low, high, other_jail, reviewed = [
        cs.identity_match_propose(
            actor=w.officer, booking=book(w), subject=registry_subject(w), basis=MatchBasis.BIOGRAPHIC, score=s
        )
        for w, s in ((a, 0.4), (a, 0.9), (a2, 0.6), (a, 0.99))
    ]
    cs.identity_match_review(actor=a.officer, match=reviewed, confirm=False, reason="different person")
    far = cs.identity_match_propose(
        actor=b.officer, booking=book(b), subject=registry_subject(b), basis=MatchBasis.BIOGRAPHIC, score=0.5
    )
    assert [m.pk for m in review_queue(a.officer)] == [high.pk, other_jail.pk, low.pk]
    assert [m.pk for m in review_queue(b.supervisor)] == [far.pk]
    for user in (a.booking_clerk, a.doj_attorney, AnonymousUser()):
        assert not review_queue(user).exists()


def test_the_queue_writes_the_status_into_its_statement_so_that_a_prepared_plan_can_use_its_index():
    """With the status a parameter, PostgreSQL's generic plan of the prepared queue could not use the partial
    index of proposed matches, so the dashboard planned the queue afresh on every view (ADR 0046)."""
    sql, params = review_queue(make_world().officer).query.sql_with_params()
    assert "\"status\" = 'PROPOSED'" in sql
    assert "PROPOSED" not in [str(p) for p in params]
