"""Issue 13 item 5: a service says why it would refuse an action without acting (kernel.refusals), from what it
declares beside itself; the service raises the same error when the act is tried."""

from __future__ import annotations

from datetime import timedelta

import pytest

from holdtrack.cases.services import detainers as ds
from holdtrack.core.errors import DomainError, GuardRefused, InvalidTransition
from holdtrack.core.timeutil import now
from holdtrack.custody import services as cs
from holdtrack.custody.models import MatchBasis
from holdtrack.kernel.parties import rule_for
from holdtrack.kernel.refusals import Stage, declared_services, preconditions, refusals
from tests.factories import book, other_aor_world, received

pytestmark = pytest.mark.django_db


def test_every_declaration_names_a_service_with_a_party_rule():
    assert len(declared_services()) >= 20
    for service in declared_services():
        rule_for(service)  # raises for a service the party table does not know
        assert preconditions(service).steps or preconditions(service).checks, service


def test_a_party_refusal_comes_alone_and_says_nothing_of_the_state(world):  # type: ignore[no-untyped-def]
    d = received(world, at=now() - timedelta(hours=2))
    ds.detainer_serve_subject(actor=world.booking_clerk, detainer=d, at=now() - timedelta(hours=1))
    stranger = other_aor_world().booking_clerk
    found = refusals(stranger, "detainer_serve_subject", d)
    assert [r.stage for r in found] == [Stage.PARTY]


def test_the_facts_a_service_checks_are_the_errors_it_raises(world):  # type: ignore[no-untyped-def]
    d = received(world, at=now() - timedelta(hours=2))
    assert refusals(world.booking_clerk, "detainer_serve_subject", d) == []
    ds.detainer_serve_subject(actor=world.booking_clerk, detainer=d, at=now() - timedelta(hours=1))
    d.refresh_from_db()
    found = refusals(world.booking_clerk, "detainer_serve_subject", d)
    assert [r.stage for r in found] == [Stage.FACT] and isinstance(found[0].error, InvalidTransition)
    with pytest.raises(DomainError) as raised:
        ds.detainer_serve_subject(actor=world.booking_clerk, detainer=d)
    assert raised.value.message == found[0].error.message


def test_a_state_refusal_names_the_states_the_model_allows(world):  # type: ignore[no-untyped-def]
    d = received(world, at=now() - timedelta(hours=2))
    found = refusals(world.supervisor, "detainer_approve", d, what="Approve the detainer")
    assert [r.stage for r in found] == [Stage.STATE]
    assert found[0].error.rule == "state machine: Detainer.approve"
    assert "'Approve the detainer' is not possible while the detainer is" in found[0].error.message


def test_a_refused_safeguard_the_service_checks_first_carries_its_rule(world):  # type: ignore[no-untyped-def]
    b = book(world, at=now() - timedelta(hours=2))
    m = cs.identity_match_propose(actor=world.officer, booking=b, subject=b.subject, basis=MatchBasis.BIOGRAPHIC)
    found = refusals(world.officer, "detainer_prepare", b, target=m)
    assert [r.stage for r in found] == [Stage.FACT]
    assert isinstance(found[0].error, GuardRefused) and found[0].error.rule == "R-MATCH-CONFIRMED v1"
    with pytest.raises(GuardRefused) as raised:
        ds.detainer_prepare(actor=world.officer, booking=b, identity_match=m, pc_bases=["BIOMETRIC_AND_DATABASE"])
    assert raised.value.rule == found[0].error.rule and raised.value.message == found[0].error.message
