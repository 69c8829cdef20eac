"""``report hold-impact`` over the real Pierce County file, against the UWCHR study's definitions (UWCHR/
ice-detainers-pierce @ 578e5a0: charges/src/charges.py, get_variables/src/get_variables.py, bail/src/bail.py,
analyze/src/analyze.py) read and computed here independently, with plain pandas / numpy, from the CSV.

The study's sample leaves out bookings whose most serious charge is of type "other" (charges.py); days in jail
are ``release_dt - booking_dt`` on the jail's wall clock (get_variables.py). No figure here is copied from the
study: every expected value is computed from the shared file.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from holdtrack.intake.bookings import bookings_import

pytestmark = pytest.mark.django_db

PIERCE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pierce-county-bookings" / "bookings.csv.gz"
TIMES = ("booking_dt", "release_dt", "imm_hold_charge_dt_release", "last_other_charge_dt_release")


@pytest.fixture
def study() -> pd.DataFrame:
    """The study's analysis sample, from the CSV: bookings whose most serious charge is not of type "other"."""
    if not PIERCE.is_file():
        pytest.skip(f"Pierce County feed not found: {PIERCE}")
    df = pd.read_csv(PIERCE, parse_dates=list(TIMES))
    df["days"] = (df["release_dt"] - df["booking_dt"]) / pd.Timedelta(days=1)
    return df[df["max_charge_type"] != "other"].copy()


@pytest.fixture
def imported(db) -> None:
    call_command("load_reference", verbosity=0, stdout=io.StringIO())
    result = bookings_import(path=PIERCE, mapping="pierce")
    assert result.run is not None and result.rows_rejected == 0


def _report(capsys, *args: str) -> dict:  # type: ignore[no-untyped-def]
    call_command("report", "hold-impact", "--exclude-charge-type", "other", "--format", "json", *args)
    return json.loads(capsys.readouterr().out)


def _table(report: dict, key: str) -> dict[str, dict]:
    (t,) = [t for t in report["breakdowns"] if t["key"] == key]
    return {r["category"]: r for r in t["rows"]}


def test_study_figures_from_the_stored_bookings(study, imported, capsys) -> None:  # type: ignore[no-untyped-def]
    report = _report(capsys)
    hold = study[study["imm_hold"] == 1]
    # Headline: hold bookings, their mean and median days in jail.
    assert report["hold"]["count"] == len(hold)
    assert report["hold"]["mean_days"] == pytest.approx(hold["days"].mean(), abs=1e-4)
    assert report["hold"]["median_days"] == pytest.approx(hold["days"].median(), abs=1e-4)
    assert report["no_hold"]["count"] == int((study["imm_hold"] == 0).sum())

    # Held past the other charges (analyze.py): the hold charge released strictly after the latest other charge.
    past = hold[hold["imm_hold_charge_dt_release"] > hold["last_other_charge_dt_release"]]
    added = (past["imm_hold_charge_dt_release"] - past["last_other_charge_dt_release"]) / pd.Timedelta(hours=1)
    ht = report["hold_time"]
    assert ht["hold_bookings"] == len(hold)
    assert ht["held_past_other_charges"] == len(past) > 0
    assert ht["added_hours"]["median"] == pytest.approx(added.median(), abs=1e-3)
    assert ht["added_hours"]["max"] == pytest.approx(added.max(), abs=1e-3)
    assert ht["added_hours"]["total"] == pytest.approx(added.sum(), abs=0.01)
    assert ht["with_detainer"] == 0  # a feed's hold flag is not a holdtrack detainer

    # Demographic shares among hold bookings (analyze.py: value_counts over the hold bookings).
    assert _table(report, "sex")["male"]["hold_share"] == pytest.approx((hold["gender"] == "MALE").mean(), abs=1e-4)
    race = _table(report, "race")
    for code, share in hold["race"].value_counts(normalize=True).items():
        assert race[code]["hold_share"] == pytest.approx(share, abs=1e-4)
    born = _table(report, "born-in-us")
    assert born["no"]["hold_bookings"] == int((hold["born_in_us"] == 0).sum())

    # Bail paid (bail.py: any receipt amount > 0), count and share of the hold bookings.
    bail = _table(report, "bail")
    assert bail["paid bail"]["hold_bookings"] == int(hold["paid_bail"].sum())
    assert bail["paid bail"]["hold_share"] == pytest.approx(hold["paid_bail"].mean(), abs=1e-4)

    # PR: share of charge records (not bookings) released on personal recognizance, complete records only.
    complete = hold[hold["charge_records_complete"] == 1]
    pr = _table(report, "pr")["released on personal recognizance"]
    assert pr["hold_bookings"] == int(complete["n_charge_records_pr"].sum())
    assert pr["hold_share"] == pytest.approx(
        complete["n_charge_records_pr"].sum() / complete["n_charge_records"].sum(), abs=1e-4
    )

    # Seriousness levels and their grouping (charges.py: felony >= 4, misdemeanor 2..3); charge count top-coded.
    group = _table(report, "felony-misdemeanor")
    assert group["felony"]["hold_bookings"] == int((hold["max_seriousness"] >= 4).sum())
    assert group["misdemeanor"]["hold_bookings"] == int(hold["max_seriousness"].between(2, 3).sum())
    felony_no_hold = study[(study["imm_hold"] == 0) & (study["max_seriousness"] >= 4)]
    assert group["felony"]["no_hold_mean_days"] == pytest.approx(felony_no_hold["days"].mean(), abs=1e-4)
    counts = _table(report, "charge-count")
    topcoded = hold["charge_count"].clip(upper=10)
    assert counts["10 or more"]["hold_bookings"] == int((topcoded == 10).sum())
    assert counts["1"]["hold_bookings"] == int((topcoded == 1).sum())
    disposition = _table(report, "disposition")
    assert disposition["Immigration"]["hold_bookings"] == int((hold["release_disposition"] == "Immigration").sum())

    # The file is not the whole jail population: the output says so.
    assert any("size-biased" in note for note in report["sample_notes"])


def test_suppressed_output_publishes_no_small_count(study, imported, capsys) -> None:  # type: ignore[no-untyped-def]
    report = _report(capsys, "--suppress")
    limit = report["suppression"]["threshold"]
    published = [
        r[f"{g}_bookings"]
        for t in report["breakdowns"]
        for r in t["rows"]
        for g in ("hold", "no_hold")
        if r[f"{g}_bookings"] is not None
    ]
    assert published and not [n for n in published if 0 < n < limit]
    # The hold bookings that paid bail are few: hidden, with the mean days that go with them.
    paid = _table(report, "bail")["paid bail"]
    assert int(study[study["imm_hold"] == 1]["paid_bail"].sum()) < limit
    assert paid["hold_bookings"] is None and paid["hold_mean_days"] is None


def _ols(study: pd.DataFrame) -> dict[str, float]:
    """The adjusted comparison by hand (normal equations), from the CSV: log days on the hold flag, seriousness,
    top-coded charge count, and dummies for charge type (public order left out), male, race (white left out)
    and booking year (the first left out)."""
    df = study[study["days"] > 0]
    year = df["booking_dt"].dt.year
    columns = [np.ones(len(df)), df["imm_hold"], df["max_seriousness"], df["charge_count"].clip(upper=10)]
    columns += [df["max_charge_type"] == t for t in sorted(set(df["max_charge_type"]) - {"public_order"})]
    columns += [df["gender"] == "MALE"]
    columns += [df["race"] == r for r in sorted(set(df["race"]) - {"WHITE"})]
    columns += [year == y for y in sorted(set(year))[1:]]
    x = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    y = np.log(df["days"].to_numpy())
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    n, p = x.shape
    r2 = 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))
    sigma2 = resid @ resid / (n - p)
    se = float(np.sqrt(sigma2 * np.linalg.inv(x.T @ x)[1, 1]))
    return {"n": n, "coef": float(beta[1]), "se": se, "adj_r2": 1 - (1 - r2) * (n - 1) / (n - p)}


def test_regression_matches_least_squares_by_hand(study, imported, capsys) -> None:  # type: ignore[no-untyped-def]
    from scipy import stats

    reg = _report(capsys)["regression"]
    want = _ols(study)
    assert reg["n"] == want["n"]
    assert reg["multiplier"] == pytest.approx(np.exp(want["coef"]), rel=1e-6)
    assert reg["adj_r_squared"] == pytest.approx(want["adj_r2"], rel=1e-6)
    t = stats.t.ppf(0.975, want["n"] - len(reg["coefficients"]))
    assert reg["ci_low"] == pytest.approx(np.exp(want["coef"] - t * want["se"]), rel=1e-5)
    assert reg["ci_high"] == pytest.approx(np.exp(want["coef"] + t * want["se"]), rel=1e-5)
    assert "not show that the hold caused" in reg["caveat"]

    # The other formats carry the same figures.
    call_command("report", "hold-impact", "--exclude-charge-type", "other", "--format", "csv")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "section,table,category,measure,value"
    (n_line,) = [line for line in lines if line.startswith("regression,hold,hold,n,")]
    assert n_line.endswith(f",{want['n']}")
    call_command("report", "hold-impact", "--exclude-charge-type", "other", "--format", "md")
    md = capsys.readouterr().out
    assert f"n = {want['n']:,}" in md and "## Release disposition" in md and "size-biased" in md
