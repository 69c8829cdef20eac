"""Sanity gates on a trained screening model: the parameters that make a model implausible, each named, so that
``screening_model_store`` refuses it with a clear message instead of activating it."""

from __future__ import annotations

from typing import Any

from holdtrack.screening.fs_model import NOT_OBSERVED

# Sanity gates: EM without labels can converge to a wrong match class (e.g. "same common name"), which shows
# as an exact DOB or surname that is rarely seen among matches. Such a model is refused, never activated.
MIN_M_EXACT = {"date_of_birth": 0.5, "last_name": 0.5}
# prior × registry size = true matches expected per booking; a booking feed holds at most a few per booking.
MATCHES_PER_BOOKING_RANGE = (0.001, 5.0)


def _probability(value: Any) -> float:
    return 1e-6 if value == NOT_OBSERVED else float(value)  # splink's substitute for an unseen level


def model_gate_failures(splink_model: dict[str, Any], registry_size: int) -> list[str]:
    """The implausible parameters of a trained model, each named (empty: the model may be activated)."""
    problems: list[str] = []
    prior = float(splink_model["probability_two_random_records_match"])
    if not 0 < prior < 1:
        problems.append(f"prior {prior:g} is not a probability strictly between 0 and 1")
    else:
        per_booking = prior * registry_size
        lo, hi = MATCHES_PER_BOOKING_RANGE
        if not lo <= per_booking <= hi:
            problems.append(
                f"prior {prior:.3g} × registry size {registry_size:,} = {per_booking:.3g} expected matches per "
                f"booking, outside the plausible {lo}–{hi}"
            )
    for comp in splink_model["comparisons"]:
        name = comp["output_column_name"]
        exact: tuple[float, float] | None = None
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            label = level.get("label_for_charts", "")
            for kind in ("m", "u"):
                raw = level.get(f"{kind}_probability")
                value = None if raw is None else _probability(raw)
                if value is None or not 0 < value < 1:
                    problems.append(f"{kind}({name}: {label}) = {raw} is outside (0, 1)")
            if label == "exact" and level.get("m_probability") is not None and level.get("u_probability") is not None:
                exact = (_probability(level["m_probability"]), _probability(level["u_probability"]))
        last = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")][-1]
        if last.get("m_probability") is not None and last.get("u_probability") is not None:
            m_diff, u_diff = _probability(last["m_probability"]), _probability(last["u_probability"])
            if m_diff is not None and u_diff is not None and m_diff > u_diff:
                problems.append(
                    f"m({name}: {last.get('label_for_charts', 'different')}) = {m_diff:.3g} exceeds its u = "
                    f"{u_diff:.3g}: a different value would count for a match"
                )
        if exact is None:
            continue
        m, u = exact
        if name in MIN_M_EXACT and m < MIN_M_EXACT[name]:
            problems.append(
                f"m({name}: exact) = {m:.3g} is below {MIN_M_EXACT[name]}: most true matches should agree exactly "
                "(EM probably converged to a wrong match class)"
            )
        if u > m:
            problems.append(f"u({name}: exact) = {u:.4g} exceeds m({name}: exact) = {m:.4g}")
    return problems
