"""Report queries and ``holdtrack report`` over the imported real releases: every count equals an independent
count made here with the csv module from the same file.

Both real files are imported once for this module (outside the test transactions; deleted at its end), the
national file first; the Pennsylvania run then holds the extract's rows before the national file's window
(October 2014 on), the others being the national file's PA rows. Tests name those fixtures before ``db`` so
that the import runs outside the test's transaction.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date

import pytest
from django.core.management import call_command

from holdtrack.reports.foia import foia_detainers_import, state_code
from holdtrack.reports.foia_reports import NONE_RECORDED, declined_share_by_state, detainer_counts
from holdtrack.reports.models import FoiaDetainer
from tests.reports.test_foia_import import FY2015, PA, csv_rows, import_real_file

BY_VALUES = ("month", "type", "state", "facility", "lift-reason")


@pytest.fixture(scope="module")
def fy2015(django_db_setup, django_db_blocker):
    yield from import_real_file(FY2015, django_db_blocker)


@pytest.fixture(scope="module")
def pa(fy2015, django_db_setup, django_db_blocker):
    yield from import_real_file(PA, django_db_blocker)


@pytest.fixture(scope="module")
def fy2015_rows() -> list[dict[str, str]]:
    return csv_rows(FY2015) if FY2015.is_file() else []


@pytest.fixture(scope="module")
def pa_rows() -> list[dict[str, str]]:
    return csv_rows(PA) if PA.is_file() else []


NATIONAL_FROM = "2014-10-01"  # the first prepare date of the national file


def _pa_own(pa_rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The extract's rows the national file does not hold: the ones its run stores."""
    return [row for row in pa_rows if row["prepare_date"] < NATIONAL_FROM]


def _key(by: str, row: dict[str, str]) -> str:
    """The report's key for one csv row, computed without the report code."""
    value = {
        "month": row["prepare_date"][:7],
        "type": row["detainer_type"],
        "state": state_code(row["state"]) if row["state"] else "",
        "facility": row["detention_facility"],  # these files have no facility code column
        "lift-reason": row["lift_reason"],
    }[by]
    return value or NONE_RECORDED


def _expected(by: str, rows: list[dict[str, str]]) -> list[dict[str, object]]:
    counts = Counter(_key(by, row) for row in rows)
    return [{by: key, "count": counts[key]} for key in sorted(counts)]


@pytest.mark.slow
@pytest.mark.parametrize("by", BY_VALUES)
def test_counts_equal_a_csv_count(fy2015, pa, db, fy2015_rows, pa_rows, by):
    for result, rows in ((fy2015, fy2015_rows), (pa, _pa_own(pa_rows))):
        got = detainer_counts(by, run_ids=[result.run.pk])
        assert got == _expected(by, rows)
        assert [item[by] for item in got] == sorted(item[by] for item in got)


@pytest.mark.slow
def test_counts_over_a_date_window(fy2015, db, fy2015_rows):
    window = [row for row in fy2015_rows if "2015-01-01" <= row["prepare_date"] <= "2015-03-31"]
    got = detainer_counts("lift-reason", date(2015, 1, 1), date(2015, 3, 31), run_ids=[fy2015.run.pk])
    assert got == _expected("lift-reason", window)
    assert sum(item["count"] for item in got) == len(window)


@pytest.mark.slow
def test_pa_type_blank_before_fy2014_reads_none_recorded(pa, db, pa_rows):
    got = {item["type"]: item["count"] for item in detainer_counts("type", run_ids=[pa.run.pk])}
    assert got[NONE_RECORDED] == sum(1 for row in pa_rows if not row["detainer_type"]) == 30_958


@pytest.mark.slow
def test_declined_share_by_state_equals_a_csv_count(fy2015, db, fy2015_rows):
    totals: Counter[str] = Counter()
    declined: Counter[str] = Counter()
    for row in fy2015_rows:
        key = _key("state", row)
        totals[key] += 1
        declined[key] += row["lift_reason"] == "Detainer Declined by LEA"
    got = declined_share_by_state(run_ids=[fy2015.run.pk])
    assert [item["state"] for item in got] == sorted(totals)
    for item in got:
        state = item["state"]
        assert (item["detainers"], item["declined"]) == (totals[state], declined[state])
        assert item["share"] == pytest.approx(declined[state] / totals[state])
    assert sum(item["declined"] for item in got) == 5_501


def _report(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


@pytest.mark.slow
def test_report_json_by_month_sums_to_the_row_count(fy2015, pa, db, fy2015_rows, pa_rows):
    """Importing the overlapping extract leaves the national file's months as they were: no detainer twice."""
    everything = json.loads(_report("detainers", "--by", "month", "--format", "json"))
    assert all(set(item) == {"month", "count"} for item in everything)
    assert sum(item["count"] for item in everything) == FoiaDetainer.objects.count() == 79_053 + 32_757 - 1_799
    assert everything == _expected("month", fy2015_rows + _pa_own(pa_rows))
    national = json.loads(_report("detainers", "--by", "month", "--format", "json", "--run", str(fy2015.run.pk)))
    assert sum(item["count"] for item in national) == 79_053
    assert [item["month"] for item in national] == fy2015.months


@pytest.mark.slow
def test_report_json_key_is_the_by_value(fy2015, db, fy2015_rows):
    args = ("detainers", "--by", "lift-reason", "--format", "json", "--run", str(fy2015.run.pk))
    assert json.loads(_report(*args)) == _expected("lift-reason", fy2015_rows)


@pytest.mark.slow
def test_report_from_and_to_take_months(fy2015, db, fy2015_rows):
    args = ("detainers", "--by", "state", "--from", "2015-02", "--to", "2015-02", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(_report(*args, "--run", str(fy2015.run.pk)))))
    expected = _expected("state", [row for row in fy2015_rows if row["prepare_date"].startswith("2015-02")])
    assert [{"state": r["state"], "count": int(r["count"])} for r in rows] == expected


@pytest.mark.slow
def test_report_table_and_declined_share(fy2015, db):
    table = _report("detainers", "--by", "type", "--run", str(fy2015.run.pk))
    assert "I247D - Immigration Detainer - Request for Action" in table
    assert "79,053 detainers." in table
    shares = json.loads(_report("declined-share", "--format", "json", "--run", str(fy2015.run.pk)))
    assert set(shares[0]) == {"state", "detainers", "declined", "share"}
    pa_share = next(item for item in shares if item["state"] == "PA")
    assert pa_share["detainers"] == 1_799
    assert "share" in _report("declined-share", "--run", str(fy2015.run.pk))


def test_facility_key_prefers_the_code(tmp_path, db):
    path = tmp_path / "march-2026.csv"
    path.write_text(
        "Detainer_Prepare_Date,Facility_State,Detainer_Facility,Detainer_Facility_Code,Detainer_Lift_Reason\n"
        "2025-04-01,CALIFORNIA,SANTA CLARA MAIN JAIL,SCLARCA,\n"
        "2025-04-02,CALIFORNIA,SANTA CLARA CO MAIN JAIL,SCLARCA,Detainer Declined by LEA\n"
        "2025-04-03,CALIFORNIA,ELMWOOD CORRECTIONAL FACILITY,,Booked into Detention\n"
        "2025-05-03,,,,Booked into Detention\n",
        encoding="utf-8",
    )
    run = foia_detainers_import(actor=None, path=path).run
    assert run is not None
    assert detainer_counts("facility", run_ids=[run.pk]) == [
        {"facility": NONE_RECORDED, "count": 1},
        {"facility": "ELMWOOD CORRECTIONAL FACILITY", "count": 1},
        {"facility": "SCLARCA", "count": 2},
    ]
    assert detainer_counts("month", date(2025, 4, 2), run_ids=[run.pk]) == [
        {"month": "2025-04", "count": 2},
        {"month": "2025-05", "count": 1},
    ]
    assert declined_share_by_state(run_ids=[run.pk]) == [
        {"state": NONE_RECORDED, "detainers": 1, "declined": 0, "share": 0.0},
        {"state": "CA", "detainers": 3, "declined": 1, "share": pytest.approx(1 / 3)},
    ]
    with pytest.raises(ValueError, match="unknown grouping"):
        detainer_counts("county")
