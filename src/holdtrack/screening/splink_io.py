"""splink 5 (DuckDB backend): unsupervised estimation of the model, and splink's own scoring for the parity
test and benchmark 3. Only training and evaluation use splink; screening applies the stored parameters."""

from __future__ import annotations

import csv
import itertools
import logging
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from holdtrack.screening.fs_model import (
    COMPARISONS,
    FBI_M_EXACT,
    FBI_M_TYPO,
    IDENTIFIER_COMPARISONS,
    LEVEL_FALLBACK,
    NOT_OBSERVED,
)
from holdtrack.screening.keys import SPLINK_COLUMNS

log = logging.getLogger(__name__)

# Blocking rules, the candidate queries of ``screening.candidates`` written for splink (each an equi-join; a rule
# that compares the two sides asymmetrically is written both ways; "month one earlier" is "month one later" the
# other way round).
BLOCKING_RULES: list[str] = [
    "l.dob = r.dob AND l.last_sound = r.last_sound",
    "l.dob = r.dob AND l.first_sound = r.first_sound",
    "l.dob = r.dob_sw AND l.last_sound = r.last_sound",
    "l.dob_sw = r.dob AND l.last_sound = r.last_sound",
    "l.dob = r.dob_sw AND l.first_sound = r.first_sound",
    "l.dob_sw = r.dob AND l.first_sound = r.first_sound",
    "l.dob = r.dob AND l.last_sound = r.first_sound",
    "l.dob = r.dob AND l.first_sound = r.last_sound",
    "l.last_sound = r.last_sound AND l.first_sound = r.first_sound AND l.dob_ym = r.dob_ym",
    "l.last_sound = r.last_sound AND l.first_sound = r.first_sound AND l.dob_md = r.dob_md",
    "l.dob = r.dob AND l.last_sound = r.last2_sound",
    "l.dob = r.dob AND l.last2_sound = r.last_sound",
    "l.dob = r.dob AND l.last_sound = r.middle_sound",
    "l.dob = r.dob AND l.middle_sound = r.last_sound",
    "l.dob = r.dob_mp AND l.last_sound = r.last_sound AND l.first_sound = r.first_sound",
    "l.dob_mp = r.dob AND l.last_sound = r.last_sound AND l.first_sound = r.first_sound",
    "l.dob = r.dob_j1 AND l.last_sound = r.last_sound AND l.first_sound = r.first_sound",
    "l.dob_j1 = r.dob AND l.last_sound = r.last_sound AND l.first_sound = r.first_sound",
    "l.last_sound = r.last_sound AND l.first_sound = r.first_sound AND substr(l.dob, 1, 4) = substr(r.dob, 1, 4) "
    "AND (substr(l.dob, 6, 5) = '01-01' OR substr(r.dob, 6, 5) = '01-01')",
    "l.last_norm = r.last_norm AND l.first_sound = r.first_sound AND l.first_canon = r.first_canon "
    "AND (l.dob IS NULL OR r.dob IS NULL)",
    "l.last_norm = r.last_norm AND l.first_sound = r.first_sound AND (l.dob IS NULL OR r.dob IS NULL)",
    "l.anum = r.anum",  # the equal-A-number probe (stages.A_NUMBER_PROBE)
]


def splink_settings(prior: float = 1e-5) -> dict[str, Any]:
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "blocking_rules_to_generate_predictions": list(BLOCKING_RULES),
        "comparisons": COMPARISONS,
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
    }


UNSEEN = 1e-6  # splink's substitute for a probability of a level unseen in training
UNSEEN_M = 1e-3  # m of a level no true pair of the training showed (see settle_unseen_levels)
MIN_IDENTIFIER_PAIRS = 50  # equal FBI numbers needed to estimate the feed's keying errors (apply_identifier_errors)
IDENTIFIER_M_FLOOR = 1e-10  # m of an FBI number more than two characters off when the feed shows no such errors
MIN_FBI_PAIRS = 100  # booking↔registry pairs with an equal FBI number needed for the FBI-blocked EM session


def duckdb_table(con: duckdb.DuckDBPyConnection, name: str, rows: Iterable[dict[str, Any]]) -> int:
    """Load rows into a DuckDB table through a temporary CSV (fast, and needs neither pandas nor pyarrow)."""
    cols = [c for c, _ in SPLINK_COLUMNS]
    fd, path = tempfile.mkstemp(suffix=".csv")
    n = 0
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            for r in rows:
                w.writerow(["" if r[c] is None else r[c] for c in cols])
                n += 1
        types = ", ".join(f"'{c}': '{t}'" for c, t in SPLINK_COLUMNS)
        con.execute(
            f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_csv('{path}', header = true, "  # noqa: S608
            f"nullstr = '', quote = '\"', columns = {{{types}}})"
        )
    finally:
        os.unlink(path)
    return n


def _linker(con: duckdb.DuckDBPyConnection, settings: dict[str, Any] | str) -> Any:
    from splink import DuckDBAPI, Linker  # noqa: PLC0415 - heavy library, imported only on this path

    db_api = DuckDBAPI(connection=con)
    left = db_api.register("registry", dataset_display_name="registry")
    right = db_api.register("bookings", dataset_display_name="bookings")
    return Linker([left, right], settings, log_level=logging.WARNING)


def train(
    registry: Sequence[dict[str, Any]],
    bookings: Sequence[dict[str, Any]],
    *,
    seed: int = 1,
    deterministic_recall: float = 0.6,
    u_max_pairs: float = 2e6,
    min_fbi_pairs: int = MIN_FBI_PAIRS,
) -> dict[str, Any]:
    """Estimate the prior, u (random sampling) and m (EM on two blocking rules), unsupervised, on
    booking↔registry pairs. Returns the splink model JSON (a dict).

    The second EM session blocks on an equal FBI number when the data hold at least ``min_fbi_pairs`` such
    pairs: they are (nearly) all true matches and leave every biographic comparison free, so EM cannot drift to
    "same common name" as the match class, which the session blocked on given name + surname does (m of an
    exact DOB came out 0.13–0.29 there, against ~0.9). Without enough FBI pairs that session is the fallback,
    and the sanity gates of ``screening_model_store`` refuse a model it spoiled."""
    from splink import block_on  # noqa: PLC0415 - heavy library, imported only on this path

    con = duckdb.connect()
    duckdb_table(con, "registry", registry)
    duckdb_table(con, "bookings", bookings)
    linker = _linker(con, splink_settings())
    linker.training.estimate_probability_two_random_records_match(
        ["l.dob = r.dob AND l.last_tok1 = r.last_tok1 AND l.first_canon = r.first_canon"],
        recall=deterministic_recall,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    # EM twice, each fixing the comparisons its blocking rule holds equal (splink's standard recipe).
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    (fbi_pairs,) = con.execute(
        "SELECT count(*) FROM registry r JOIN bookings b ON r.fbi = b.fbi WHERE r.fbi IS NOT NULL"
    ).fetchall()[0]
    if fbi_pairs >= min_fbi_pairs:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("fbi"))
    else:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_canon", "last_tok1"))
    model: dict[str, Any] = linker.misc.save_model_to_json()
    counts = identifier_distances(con)
    con.close()
    apply_identifier_errors(model, *counts)
    return settle_unseen_levels(model)


def identifier_distances(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """(equal, one character apart, two characters apart): booking↔registry pairs born on the same day whose FBI
    numbers are at most two characters apart. Two unrelated numbers are almost never that close, so these are
    the same people; how often their numbers differ is how often the feed mis-keys them."""
    rows = con.execute(
        "SELECT d, count(*) FROM (SELECT damerau_levenshtein(r.fbi, b.fbi) AS d FROM registry r "
        "JOIN bookings b ON r.dob = b.dob WHERE r.fbi IS NOT NULL AND b.fbi IS NOT NULL) WHERE d <= 2 GROUP BY d"
    ).fetchall()
    by = {int(d): int(n) for d, n in rows}
    return by.get(0, 0), by.get(1, 0), by.get(2, 0)


def apply_identifier_errors(model: dict[str, Any], equal: int, one: int, two: int) -> None:
    """m of the FBI-number levels from the keying errors the training data shows (``identifier_distances``),
    when at least ``MIN_IDENTIFIER_PAIRS`` numbers agree: one and two characters apart at their observed rates,
    more than two at the rate the first two extrapolate (each further error as much rarer as the second was
    than the first) — and none when no double error was seen. A feed that never mis-keys two characters leaves "different" at ``IDENTIFIER_M_FLOOR``: a
    fingerprint-based number that differs then outweighs any agreement of names and dates (a namesake born the
    same day is another person). A non-biometric identifier keyed with errors (FEBRL's) keeps a moderate
    weight. Too few pairs: the fixed m of ``fs_model`` stand."""

    if equal < MIN_IDENTIFIER_PAIRS:
        return
    # None seen is not "never": an unseen single error keeps the fixed rate, an unseen double error the square
    # of the single rate. Only an observed double error makes more than two characters plausible.
    r1 = one / equal if one else FBI_M_TYPO / FBI_M_EXACT
    r2 = two / equal if two else r1 * r1
    beyond = r2 * r2 / r1 if two else 0.0
    total = 1.0 + r1 + r2 + beyond
    m = (1.0 / total, r1 / total, r2 / total, max(beyond / total, IDENTIFIER_M_FLOOR))
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == "fbi_number")
    levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
    for level, value in zip(levels, m, strict=True):
        level["m_probability"] = max(value, IDENTIFIER_M_FLOOR)


def settle_unseen_levels(model: dict[str, Any]) -> dict[str, Any]:
    """Levels that training never saw. splink leaves them "not observed" (or None, when no EM session that
    estimated the comparison saw the level) and scores them with 1e-6.

    - m unseen: 1e-3, about the most a level could hold among the ~10²–10³ true pairs of the EM session and
      still be unseen (rule of three). splink's 1e-6 would count an unseen day/month swap ~-5 bits against a
      match; m = u would count a wholly different DOB as no evidence at all; a None m cannot be applied.
    - u unseen: 1e-6, what splink substitutes (random pairs almost never reach the level, e.g. two FBI
      numbers one character apart) — but two FBI numbers one character apart never count more than equal
      ones, two characters apart never more than one: each u is at least the closer level's.
    - exactly 0 or 1 (EM saturates on a small sample): clamped into [1e-6, 1 - 1e-6]."""
    for comp in model["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        unseen_m: set[str] = set()
        for level in levels:
            u_unseen = level.get("u_probability") in (None, NOT_OBSERVED)
            m_unseen = level.get("m_probability") in (None, NOT_OBSERVED)
            if m_unseen and not u_unseen and not level.get("fix_m_probability"):
                unseen_m.add(level["label_for_charts"])
            if u_unseen:
                level["u_probability"] = UNSEEN
            if not level.get("fix_m_probability") and m_unseen:
                # Seen by neither side (a field the training data never filled): no evidence either way.
                level["m_probability"] = UNSEEN if u_unseen else UNSEEN_M
            for kind in ("m_probability", "u_probability"):
                # a fixed m may lie below splink's floor (an FBI number more than two characters off)
                low = IDENTIFIER_M_FLOOR if kind == "m_probability" and level.get("fix_m_probability") else UNSEEN
                level[kind] = min(max(float(level[kind]), low), 1 - UNSEEN)
            if not level.get("fix_m_probability") and not (m_unseen and u_unseen):
                # EM driven to ~0 on a level that true pairs do reach: no training sample can tell an m under
                # the unseen level's from 0, so it counts as unseen (ADR 0058)
                level["m_probability"] = max(level["m_probability"], UNSEEN_M)
        # The last level is "different": it may count against a match, never for one (an unseen u would
        # otherwise turn a different sex or FBI number into +10 bits).
        levels[-1]["m_probability"] = min(levels[-1]["m_probability"], levels[-1]["u_probability"])
        _closer_never_weighs_less(levels, unseen_m)
        if comp["output_column_name"] in IDENTIFIER_COMPARISONS:
            # one character apart never counts more than equal, two characters never more than one
            for closer, farther in itertools.pairwise(levels[:-1]):
                farther["u_probability"] = max(farther["u_probability"], closer["u_probability"])
    return model


def _closer_never_weighs_less(levels: list[dict[str, Any]], unseen_m: set[str]) -> None:
    """A level training never saw among matches (a corruption absent from its data) weighs what the level that
    took its pairs before weighs (``fs_model.LEVEL_FALLBACK``); and no level weighs less than "different",
    which every level above it is closer than. m is raised to reach that weight; u stays as estimated."""

    def weight(lv: dict[str, Any]) -> float:
        return math.log2(lv["m_probability"] / lv["u_probability"])

    by_label = {lv["label_for_charts"]: lv for lv in levels}
    for level in reversed(levels[:-1]):  # a fallback lies below its level: settled first
        floor = weight(levels[-1])
        fallback = by_label.get(LEVEL_FALLBACK.get(level["label_for_charts"], ""))
        if level["label_for_charts"] in unseen_m and fallback is not None:
            floor = max(floor, weight(fallback))
        if weight(level) < floor:
            level["m_probability"] = min(level["u_probability"] * 2.0**floor, 1 - UNSEEN)


def splink_scores_between(
    model: dict[str, Any],
    registry: Sequence[dict[str, Any]],
    bookings: Sequence[dict[str, Any]],
    *,
    threshold_match_probability: float | None = None,
) -> list[dict[str, Any]]:
    """splink's own batch linkage (predict_between with the model's blocking rules)."""
    con = duckdb.connect()
    duckdb_table(con, "registry", registry)
    duckdb_table(con, "bookings", bookings)
    return predict_between_loaded(con, model, threshold_match_probability=threshold_match_probability)


def predict_between_loaded(
    con: duckdb.DuckDBPyConnection, model: dict[str, Any], *, threshold_match_probability: float | None = None
) -> list[dict[str, Any]]:
    from splink import DuckDBAPI, Linker  # noqa: PLC0415 - heavy library, imported only on this path

    db_api = DuckDBAPI(connection=con)
    left = db_api.register("registry", dataset_display_name="registry")
    right = db_api.register("bookings", dataset_display_name="bookings")
    linker = Linker([left, right], model, log_level=logging.WARNING)
    out = linker.inference.predict_between(
        [left], [right], threshold_match_probability=threshold_match_probability, warning_mode="never"
    )
    rows: list[dict[str, Any]] = out.as_record_list()
    return rows
