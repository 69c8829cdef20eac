"""A small history for the report tests, built through the real services (tests/factories.py).

Week 2026-W10 starts on Monday 2 March 2026 (T0 is 15:00 UTC that day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from holdtrack.cases.models import Detainer, LeaDecision
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services.sweep import sweep
from holdtrack.custody import services as cs
from holdtrack.custody.models import ReleaseType
from holdtrack.reports import aggregates
from holdtrack.reports.aggregates import tables as aggregate_tables
from tests.factories import (
    T0,
    World,
    expired_hold,
    hold_eligible,
    make_world,
    other_aor_world,
    prepared,
    received,
    subpoena_to,
)


@pytest.fixture(autouse=True)
def _fresh_place_names():
    aggregate_tables._names_cache.clear()  # place names are cached per process; each test has its own places


@dataclass
class History:
    tx: World  # Harris County, TX (Houston AOR)
    tx2: World  # same county, another agency with the same name as tx's
    ca: World  # Los Angeles County, CA (Los Angeles AOR)
    declined_same_week: Detainer
    declined_old: Detainer  # prepared 20 days before the week, declined in it
    declined_ca: Detainer
    declined_tx2: Detainer
    transferred_tx: Detainer  # 180 minutes from release eligibility to custody transfer
    transferred_ca: Detainer  # 300 minutes
    lapsed: Detainer
    to_agency: Detainer  # followed the person to another agency: not a decline
    open_ca: Detainer  # prepared only


def decline(w: World, d: Detainer, at) -> Detainer:  # type: ignore[no-untyped-def]
    ds.detainer_decide(actor=w.lea_counsel, detainer=d, decision=LeaDecision.DECLINE, at=at)
    d.refresh_from_db()
    return d


def transfer_after(w: World, d: Detainer, *, eligible_after: timedelta, minutes: int) -> Detainer:
    eligible = T0 + eligible_after
    cs.booking_record_release_eligibility(actor=w.booking_clerk, booking=d.booking, at=eligible, reason="BOND_POSTED")
    ds.detainer_transfer_custody(actor=w.officer, detainer=d, at=eligible + timedelta(minutes=minutes))
    d.refresh_from_db()
    return d


@pytest.fixture
def history(db) -> History:
    aggregates.refresh()  # empty database: the first refresh builds; everything after goes through the outbox
    tx = make_world()
    tx2 = make_world(suffix=" 2")
    tx2.lea.name = tx.lea.name  # a namesake: only the ORI tells them apart
    tx2.lea.save()
    ca = other_aor_world()

    declined_same_week = decline(tx, received(tx, at=T0), T0 + timedelta(hours=2))
    declined_old = decline(tx, received(tx, at=T0 - timedelta(days=20)), T0 + timedelta(days=1))
    declined_ca = decline(ca, received(ca, at=T0 + timedelta(days=3)), T0 + timedelta(days=3, hours=1))
    declined_tx2 = decline(tx2, received(tx2, at=T0 + timedelta(days=1)), T0 + timedelta(days=1, hours=4))
    transferred_tx = transfer_after(tx, hold_eligible(tx), eligible_after=timedelta(days=1), minutes=180)
    transferred_ca = transfer_after(ca, hold_eligible(ca), eligible_after=timedelta(days=2), minutes=300)
    lapsed = expired_hold(tx)
    to_agency = received(ca, at=T0)
    cs.booking_release(
        actor=ca.booking_clerk,
        booking=to_agency.booking,
        at=T0 + timedelta(days=1),
        release_type=ReleaseType.TRANSFER_TO_AGENCY,
        released_to=tx.lea,
    )
    to_agency.refresh_from_db()
    open_ca = prepared(ca, at=T0 + timedelta(days=4))
    subpoena_to(tx, stage="served", detainer=declined_same_week)
    sweep(now=T0 + timedelta(days=10))  # closes what has ended: outcome groups and over-detention flags
    for d in (declined_same_week, declined_old, declined_ca, transferred_tx, transferred_ca, lapsed, to_agency):
        d.refresh_from_db()
    return History(
        tx=tx,
        tx2=tx2,
        ca=ca,
        declined_same_week=declined_same_week,
        declined_old=declined_old,
        declined_ca=declined_ca,
        declined_tx2=declined_tx2,
        transferred_tx=transferred_tx,
        transferred_ca=transferred_ca,
        lapsed=lapsed,
        to_agency=to_agency,
        open_ca=open_ca,
    )
