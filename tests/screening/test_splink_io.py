"""The FBI-number error model that training measures from its own data (``splink_io.apply_identifier_errors``)."""

from __future__ import annotations

import copy

import duckdb

from holdtrack.screening.fs_model import COMPARISONS, Scorer
from holdtrack.screening.splink_io import (
    IDENTIFIER_M_FLOOR,
    MIN_IDENTIFIER_PAIRS,
    apply_identifier_errors,
    identifier_distances,
)
from tests.screening.factories_screening import trained_model

FBI = [c["output_column_name"] for c in COMPARISONS].index("fbi_number")  # its place among the comparisons


def _fbi_m(model: dict) -> list[float]:  # type: ignore[type-arg]
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == "fbi_number")
    return [lv["m_probability"] for lv in comp["comparison_levels"] if not lv.get("is_null_level")]


def test_a_feed_that_never_miskeys_two_characters_makes_a_different_number_decisive():
    model = copy.deepcopy(trained_model())
    apply_identifier_errors(model, 1000, 30, 0)
    exact, one, two, different = _fbi_m(model)
    assert abs(exact + one + two + different - 1) < 1e-6
    total = 1 + 0.03 + 0.03**2  # no double error seen: its rate is the square of the single one's
    assert abs(one - 0.03 / total) < 1e-12 and abs(two - 0.03**2 / total) < 1e-12
    assert different == IDENTIFIER_M_FLOOR
    fbi = Scorer.from_splink(model).comparisons[FBI]
    assert fbi.weights[-1] < -30  # outweighs names, DOB and the rest agreeing


def test_an_identifier_keyed_with_errors_keeps_a_moderate_weight():
    model = copy.deepcopy(trained_model())
    apply_identifier_errors(model, 1000, 50, 20)  # one char 5 %, two 2 % → beyond two ≈ 0.8 %
    different = _fbi_m(model)[-1]
    assert 0.005 < different < 0.01
    assert -10 < Scorer.from_splink(model).comparisons[FBI].weights[-1] < -5


def test_no_error_seen_is_not_never():
    model = copy.deepcopy(trained_model())
    apply_identifier_errors(model, 5000, 0, 0)
    fbi = Scorer.from_splink(model).comparisons[FBI]
    _null, exact, one, two, different = fbi.weights
    assert exact > one > two > 0 > -30 > different


def test_too_few_pairs_leave_the_fixed_values():
    model = copy.deepcopy(trained_model())
    before = _fbi_m(model)
    apply_identifier_errors(model, MIN_IDENTIFIER_PAIRS - 1, 0, 0)
    assert _fbi_m(model) == before


def test_distances_count_pairs_born_the_same_day_up_to_two_characters():
    con = duckdb.connect()
    con.execute("CREATE TABLE registry (dob VARCHAR, fbi VARCHAR)")
    con.execute("CREATE TABLE bookings (dob VARCHAR, fbi VARCHAR)")
    con.execute(
        "INSERT INTO registry VALUES ('1980-01-02', 'AB123456'), ('1980-01-02', 'CD765432'), ('1980-01-02', NULL)"
    )
    con.execute(
        "INSERT INTO bookings VALUES ('1980-01-02', 'AB123456'), "  # equal
        "('1980-01-02', 'AB123465'), "  # a transposition: one
        "('1980-01-02', 'CD765499'), "  # two
        "('1980-01-02', 'CD799999'), "  # four: another person
        "('1990-01-02', 'AB123456'), "  # born another day: not counted
        "('1980-01-02', NULL)"
    )
    assert identifier_distances(con) == (1, 1, 1)
