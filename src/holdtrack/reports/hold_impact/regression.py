"""The adjusted comparison: ordinary least squares of log days in custody on the hold flag with controls
(statsmodels), as in UWCHR ``analyze.py`` with booking year added (docs/hold-impact.md, "Adjusted comparison").

``log(days) ~ hold + seriousness + charge_count + C(charge_type) + C(sex) + C(race) + C(booking_year)``:
seriousness (0..6) and the top-coded charge count enter as numbers, as in the study; the categories against
the study's reference levels where present (public order, female, white) and the earliest booking year. A
control with one value only in the selection is left out (it cannot be estimated). Bookings without a value for
a control, or released at the minute they were booked (log 0), are left out and counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from holdtrack.reports.hold_impact.facts import UNKNOWN, BookingFact

CAVEAT = (
    "An observational comparison. The multiplier says how many times longer, on average on the log scale, "
    "bookings with an immigration hold stayed in custody than bookings without one that were alike in the "
    "controls listed. It does not show that the hold caused the difference: anything not in the controls (prior "
    "record, the bail set, pretrial services, court schedules, sentences) can explain part of it, the charge "
    "fields describe only the most serious charge, and a booking can get a hold because it lasted long enough "
    "for the agency to find the person. It also says nothing about any one person's stay."
)
REFERENCES = {"charge_type": "public_order", "sex": "female", "race": "WHITE"}
MIN_BOOKINGS = 10


def _term(name: str) -> str:
    return f"C({name}, Treatment(reference={{ref_{name}!r}}))"


def regression(facts: Sequence[BookingFact]) -> dict[str, Any]:
    import numpy as np  # noqa: PLC0415 - heavy library, imported only on this path
    import pandas as pd  # noqa: PLC0415 - heavy library, imported only on this path
    import statsmodels.formula.api as smf  # noqa: PLC0415 - heavy library, imported only on this path

    records = [
        {
            "days": f.days,
            "hold": int(f.hold),
            "seriousness": f.seriousness,
            "charge_count": f.charge_count,
            "charge_type": f.charge_type,
            "sex": f.sex,
            "race": f.race,
            "booking_year": str(f.booking_year),
        }
        for f in facts
    ]
    base: dict[str, Any] = {"formula": None, "n": 0, "left_out": {}, "caveat": CAVEAT}
    if not records:
        return {**base, "reason": "no released bookings in this selection"}
    df = pd.DataFrame.from_records(records)
    left_out = {"released at booking (log of 0 days)": int((df["days"] <= 0).sum())}
    df = df[df["days"] > 0]
    numeric = [c for c in ("seriousness", "charge_count") if df[c].notna().any()]
    for c in numeric:
        left_out[f"no {c.replace('_', ' ')}"] = int(df[c].isna().sum())
        df = df[df[c].notna()]
    numeric = [c for c in numeric if df[c].nunique() > 1]
    categorical = []
    for c in ("charge_type", "sex", "race", "booking_year"):
        if c == "sex":
            missing = df[c] == UNKNOWN
            left_out["sex not recorded"] = int(missing.sum())
            df = df[~missing]
        if df[c].nunique() > 1:
            categorical.append(c)
    left_out = {k: v for k, v in left_out.items() if v}
    base["left_out"] = left_out
    if len(df) < MIN_BOOKINGS or df["hold"].nunique() < 2:
        return {**base, "n": len(df), "reason": "too few bookings, or not both hold and no-hold bookings"}
    refs: dict[str, Any] = {}
    terms = ["hold", *numeric]
    for c in categorical:
        values = sorted(df[c].unique())
        refs[f"ref_{c}"] = REFERENCES[c] if REFERENCES.get(c) in values else values[0]
        terms.append(_term(c))
    formula = "np.log(days) ~ " + " + ".join(terms)
    df = df.astype({c: float for c in numeric})
    fit = smf.ols(formula.format(**refs), data=df, eval_env=1).fit()
    ci = fit.conf_int(alpha=0.05)
    coefficients = [
        {
            "term": name,
            "coef": float(fit.params[name]),
            "std_err": float(fit.bse[name]),
            "t": float(fit.tvalues[name]),
            "p": float(fit.pvalues[name]),
            "ci_low": float(ci.loc[name, 0]),
            "ci_high": float(ci.loc[name, 1]),
            "multiplier": float(np.exp(fit.params[name])),
        }
        for name in fit.params.index
    ]
    hold = next(c for c in coefficients if c["term"] == "hold")
    return {
        **base,
        "formula": formula.format(**refs),
        "references": {k.removeprefix("ref_"): v for k, v in refs.items()},
        "n": int(fit.nobs),
        "hold_bookings": int(df["hold"].sum()),
        "adj_r_squared": float(fit.rsquared_adj),
        "multiplier": hold["multiplier"],
        "ci_low": math.exp(hold["ci_low"]),
        "ci_high": math.exp(hold["ci_high"]),
        "p_value": hold["p"],
        "coefficients": coefficients,
    }
