"""Calibration: ``simulate --report`` prints the run's figures against the domain targets, and a modest run lands
within the targets' ranges (domain.md Part D: recorded declines, outcome mix, LEA concentration)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from holdtrack.jurisdictions.reference import load_reference
from holdtrack.simulation import simulate
from holdtrack.simulation.calibration import TARGETS, calibration

END = date(2026, 3, 31)
committing = pytest.mark.django_db(transaction=True)  # one transaction per simulated day, as in production


@pytest.fixture
def reference():
    load_reference()


@committing
def test_simulate_report_prints_every_figure_against_its_target(reference):
    args = ["simulate", "--days", "3", "--seed", "4", "--scale", "0.01", "--end", END.isoformat(), "--report"]
    out = io.StringIO()
    call_command(*args, stdout=out)
    text = out.getvalue()
    assert "Simulated against target" in text
    for t in TARGETS:
        assert t.label[:30] in text, t.label

    out = io.StringIO()
    call_command(*args, "--json", stdout=out)  # the seed exists now: the report reads the stored run
    rows = json.loads(out.getvalue())
    assert [r["figure"] for r in rows] == [t.key for t in TARGETS]
    declined = next(r for r in rows if r["figure"] == "declined_recorded")
    assert (declined["low"], declined["high"]) == (0.02, 0.05)


@pytest.mark.slow
@committing
def test_a_modest_run_lands_within_the_domain_targets(reference):
    result = simulate(seed=11, days=60, scale=0.02, end=END)
    assert result.summary["case_types"]["detainers"] > 500
    rows = calibration(11, result.summary, result.top9_weight_share)
    outside = [r.as_dict() for r in rows if r.within is False]
    assert not outside, outside
    checked = {r.target.key for r in rows if r.within}
    assert {"declined_recorded", "custody_transferred", "released_before_pickup", "ca_tx", "fl"} <= checked
