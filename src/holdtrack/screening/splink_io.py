"""splink 5 (DuckDB backend): unsupervised estimation of the model, and splink's own scoring for the parity
test and benchmark 3. Only training and evaluation use splink; screening applies the stored parameters."""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from holdtrack.screening.fs_model import splink_settings
from holdtrack.screening.keys import SPLINK_COLUMNS

log = logging.getLogger(__name__)


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
    from splink import DuckDBAPI, Linker

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
) -> dict[str, Any]:
    """Estimate the prior, u (random sampling) and m (EM on two blocking rules), unsupervised, on
    booking↔registry pairs. Returns the splink model JSON (a dict)."""
    from splink import block_on

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
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_canon", "last_tok1"))
    model: dict[str, Any] = linker.misc.save_model_to_json()
    con.close()
    return model


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
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    left = db_api.register("registry", dataset_display_name="registry")
    right = db_api.register("bookings", dataset_display_name="bookings")
    linker = Linker([left, right], model, log_level=logging.WARNING)
    out = linker.inference.predict_between(
        [left], [right], threshold_match_probability=threshold_match_probability, warning_mode="never"
    )
    rows: list[dict[str, Any]] = out.as_record_list()
    return rows
