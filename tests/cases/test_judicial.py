"""Judicial means a court (issue 11): the agency cannot self-certify what only a court issues. A warrant is
judicial only when a court of record issued it and a judge signed it, and a judicial-warrant-only policy
relies on it only once the receiving LEA's counsel confirmed it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from holdtrack.cases.models import DetainerState, LeaDecision, WarrantType
from holdtrack.cases.services import detainers as ds
from holdtrack.core.errors import GuardRefused, InvalidTransition, NotPermitted
from holdtrack.jurisdictions.models import HoldRule, NotifyRule
from tests.factories import T0, make_policy, other_aor_world, received

pytestmark = pytest.mark.django_db


def _attach(w, d, *, title="United States Magistrate Judge", court="U.S. District Court for the W.D. Wash."):  # type: ignore[no-untyped-def]
    return ds.warrant_attach(
        actor=w.officer,
        detainer=d,
        warrant_type=WarrantType.JUDICIAL_ARREST,
        signed_by_name="A. Signer",
        signed_by_title=title,
        court=court,
        signed_at=T0,
        at=T0 + timedelta(minutes=45),
    )


@pytest.mark.parametrize(
    ("title", "court"),
    [
        ("Supervisory Detention and Deportation Officer", "ICE ERO Houston"),
        ("IJ", "Houston Immigration Court"),
        ("Field Office Director", "U.S. District Court for the S.D. Tex."),
        ("United States District Judge", "ICE ERO Houston"),
        ("Judge", "EOIR Immigration Court, Seattle"),
    ],
)
def test_an_officer_or_an_immigration_court_cannot_make_a_warrant_judicial(world, title, court):
    d = received(world)
    with pytest.raises(GuardRefused) as info:
        _attach(world, d, title=title, court=court)
    assert info.value.rule == "R-WARRANT-KIND v1"
    assert not d.warrants.filter(is_judicial=True).exists()


def test_a_judicial_warrant_counts_only_once_the_leas_counsel_confirms_it(world):
    make_policy(world.lea.jurisdiction, "TEST-KWW", hold=HoldRule.JUDICIAL_WARRANT, notify=NotifyRule.ALLOWED)
    d = received(world)
    ds.detainer_serve_subject(actor=world.booking_clerk, detainer=d, at=T0 + timedelta(minutes=40))
    w = _attach(world, d)
    with pytest.raises(GuardRefused) as info:
        ds.detainer_decide(actor=world.lea_counsel, detainer=d, decision=LeaDecision.HONOR_HOLD)
    assert info.value.rule == "TEST-KWW v1"  # read the protective way: administrative until confirmed
    # Neither the agency that attached it nor another LEA may confirm it.
    for actor in (world.officer, world.supervisor, other_aor_world().lea_counsel, world.booking_clerk):
        with pytest.raises(NotPermitted):
            ds.warrant_confirm_judicial(actor=actor, warrant=w)
    ds.warrant_confirm_judicial(actor=world.lea_counsel, warrant=w, note_text="seal and case number checked")
    with pytest.raises(InvalidTransition):
        ds.warrant_confirm_judicial(actor=world.lea_counsel, warrant=w)
    d = ds.detainer_decide(
        actor=world.lea_counsel, detainer=d, decision=LeaDecision.HONOR_HOLD, at=T0 + timedelta(hours=1)
    )
    assert d.state == DetainerState.ACTIVE_HOLD_ELIGIBLE


def test_an_administrative_warrant_cannot_be_confirmed_as_judicial(world):
    d = received(world)
    admin = d.warrants.get(warrant_type=WarrantType.I200)
    with pytest.raises(GuardRefused):
        ds.warrant_confirm_judicial(actor=world.lea_counsel, warrant=admin)
