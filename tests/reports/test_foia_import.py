"""``holdtrack import foia-detainers``: the real FY2015 national release and the Pennsylvania extract import
completely and their counts equal an independent count made here with the csv module; bad rows, re-imports,
the Excel layout with its preamble and redactions, and schema drift behave as documented.

The real files are read from ``shared/data`` beside the repository and imported once per module (committed
outside the test transactions, deleted at the end of the module), the national file first: the Pennsylvania
extract then adds only its rows outside the national file's window (its 1,799 rows inside it are the national
file's PA rows). Tests name those fixtures before ``db`` so that the import runs outside the test's transaction.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.db.models.functions import ExtractYear

from holdtrack.cases.models import FormType, OutcomeGroup
from holdtrack.reports import foia
from holdtrack.reports.foia import (
    LAYOUTS,
    FoiaImportError,
    foia_detainers_import,
    form_type,
    parse_date,
    state_code,
)
from holdtrack.reports.models import FoiaDetainer, FoiaImportRun, FoiaImportStatus

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT.parent / "shared" / "data"
FY2015 = DATA / "ice-detainers-fy2015ytd" / "detainers_fy2015ytd.csv.gz"
PA = DATA / "pa-ice-detainers-2007-2015" / "pa_detainers.csv.gz"

# Outcome groups expected for every lift reason of the two files (domain.md A1.8 and the FY2015 README).
EXPECTED_GROUP = {
    "": OutcomeGroup.OPEN_OR_UNKNOWN,
    "Booked into Detention": OutcomeGroup.CUSTODY_TRANSFERRED,
    "Detainer Declined by LEA": OutcomeGroup.DECLINED_BY_LEA,
    "Lifted": OutcomeGroup.LIFTED_UNSPECIFIED,
    "Case Closed": OutcomeGroup.LIFTED_BY_ICE,
    "Transferred": OutcomeGroup.TRANSFERRED_WITH_CUSTODY,
    "Prosecutorial Discretion": OutcomeGroup.LIFTED_BY_ICE,
    "Alien Not Subject to Deportation": OutcomeGroup.LIFTED_BY_ICE,
    "United States Citizen Interviewed": OutcomeGroup.LIFTED_BY_ICE,
    "Early Release": OutcomeGroup.RELEASED_BEFORE_PICKUP,
    "Lifted - Lack of Funds": OutcomeGroup.RELEASED_BEFORE_PICKUP,
    "Lifted - Lack of Space": OutcomeGroup.RELEASED_BEFORE_PICKUP,
    "Died": OutcomeGroup.LIFTED_UNSPECIFIED,
}
PA_ROWS_PER_YEAR = {
    2007: 546, 2008: 5326, 2009: 4897, 2010: 4829, 2011: 4842, 2012: 4181, 2013: 4171, 2014: 2751, 2015: 1214,
}  # fmt: skip

SNAKE_HEADER = "prepare_date,detainer_type,detention_facility,state,city,lift_reason"
I247_2013 = "I247 - Immigration Detainer - Notice of Action (as of March 2013)"


def csv_rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def import_real_file(path: Path, django_db_blocker):
    """Import a real file for a module-scoped fixture (committed), delete it again after the module."""
    if not path.is_file():
        pytest.skip(f"real FOIA file not found: {path} (shared/data is expected beside the repository)")
    with django_db_blocker.unblock():
        result = foia_detainers_import(actor=None, path=path, actor_label="test")
    assert result.run is not None, result.refused
    yield result
    with django_db_blocker.unblock():
        FoiaImportRun.objects.filter(pk=result.run.pk).delete()


@pytest.fixture(scope="module")
def fy2015(django_db_setup, django_db_blocker):
    yield from import_real_file(FY2015, django_db_blocker)


@pytest.fixture(scope="module")
def pa(fy2015, django_db_setup, django_db_blocker):
    yield from import_real_file(PA, django_db_blocker)


def _per_month(rows) -> dict[str, int]:
    rows = rows.values("prepare_month").annotate(n=Count("id"))
    return {r["prepare_month"].strftime("%Y-%m"): r["n"] for r in rows}


def _release_rows(name: str, result):
    """The stored rows of a release: the national run's own; for the PA extract, every PA row of both runs (the
    rows it shares with the national file are stored once, by the national run)."""
    if name == "fy2015":
        return FoiaDetainer.objects.filter(run=result.run)
    return FoiaDetainer.objects.filter(state="PA")


def _write_csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the real files ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("name", "path", "rows", "shared"), [("fy2015", FY2015, 79_053, 0), ("pa", PA, 32_757, 1_799)])
def test_real_file_imports_every_row(fy2015, pa, db, name, path, rows, shared):
    result = {"fy2015": fy2015, "pa": pa}[name]
    assert len(csv_rows(path)) == rows
    assert (result.rows_read, result.rows_imported, result.rows_rejected) == (rows, rows - shared, 0)
    assert result.rows_already_imported == result.run.rows_already_imported == shared
    assert result.errors == []
    run = result.run
    assert run.status == FoiaImportStatus.COMPLETE
    assert run.layout == "snake-6col"
    assert FoiaDetainer.objects.filter(run=run).count() == rows - shared
    assert _release_rows(name, result).count() == rows
    drift = run.schema_drift
    assert (drift["new_columns"], drift["missing_columns"], drift["retyped_columns"]) == ([], [], {})


@pytest.mark.slow
@pytest.mark.parametrize(("name", "path"), [("fy2015", FY2015), ("pa", PA)])
def test_months_and_counts_per_month_equal_a_csv_count(fy2015, pa, db, name, path):
    result = {"fy2015": fy2015, "pa": pa}[name]
    expected = Counter(row["prepare_date"][:7] for row in csv_rows(path))
    assert _per_month(_release_rows(name, result)) == dict(expected)
    assert result.run.months_covered == result.months == sorted(expected)


@pytest.mark.slow
def test_fy2015_covers_october_2014_to_july_2015(fy2015, db):
    assert fy2015.months == [f"2014-{m}" for m in ("10", "11", "12")] + [f"2015-0{m}" for m in range(1, 8)]


@pytest.mark.slow
def test_pa_rows_per_calendar_year_match_the_readme(pa, db):
    rows = _release_rows("pa", pa).annotate(year=ExtractYear("prepare_date")).values("year").annotate(n=Count("id"))
    assert {r["year"]: r["n"] for r in rows} == PA_ROWS_PER_YEAR


@pytest.mark.slow
def test_pa_extract_adds_only_what_the_national_file_lacks(fy2015, pa, db):
    """The extract's rows inside the national file's window are the national file's PA rows (README): they are
    recognised by their natural key, reported as already imported, and not stored again."""
    pa_csv = csv_rows(PA)
    inside = [row for row in pa_csv if row["prepare_date"] >= "2014-10-01"]
    assert len(inside) == FoiaDetainer.objects.filter(run=fy2015.run, state="PA").count() == 1_799
    assert pa.overlap == {
        "rows": 1_799, "runs": {str(fy2015.run.pk): 1_799}, "files": {str(fy2015.run.pk): FY2015.name},
    }  # fmt: skip
    assert not FoiaDetainer.objects.filter(run=pa.run, prepare_date__gte=date(2014, 10, 1)).exists()
    fields = ("prepare_date", "detainer_type", "facility_name", "city", "lift_reason")
    stored = Counter(
        tuple("" if v is None else str(v) for v in values)
        for values in FoiaDetainer.objects.filter(state="PA").values_list(*fields)
    )
    csv_fields = ("prepare_date", "detainer_type", "detention_facility", "city", "lift_reason")
    assert stored == Counter(tuple(row[f] for f in csv_fields) for row in pa_csv)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "path"), [("fy2015", FY2015), ("pa", PA)])
def test_lift_reasons_and_outcome_groups(fy2015, pa, db, name, path):
    result = {"fy2015": fy2015, "pa": pa}[name]
    expected = Counter(row["lift_reason"] for row in csv_rows(path))
    rows = _release_rows(name, result)
    stored = {(r["lift_reason"] or ""): r["n"] for r in rows.values("lift_reason").annotate(n=Count("id"))}
    assert stored == dict(expected)
    pairs = set(rows.values_list("lift_reason", "outcome_group").distinct())
    assert pairs == {(reason or None, str(EXPECTED_GROUP[reason])) for reason in expected}


@pytest.mark.slow
def test_states_are_usps_codes(fy2015, db):
    expected = Counter(row["state"] for row in csv_rows(FY2015))
    rows = FoiaDetainer.objects.filter(run=fy2015.run)
    stored = {r["state"]: r["n"] for r in rows.values("state").annotate(n=Count("id"))}
    assert stored[None] == expected[""] == 9_020
    assert stored["PA"] == expected["PENNSYLVANIA"] == 1_799
    assert stored["TX"] == expected["TEXAS"]
    assert stored["DC"] == expected["DISTRICT OF COLUMBIA"]
    assert stored["MP"] == expected["NORTHERN MARIANA ISLANDS"]
    assert len(stored) == len(expected)  # no two names merged into one code
    assert all(len(code) == 2 for code in stored if code)


@pytest.mark.slow
def test_detainer_types_are_kept_verbatim_and_normalized(fy2015, db):
    rows = FoiaDetainer.objects.filter(run=fy2015.run)
    forms = {r["form_type"]: r["n"] for r in rows.values("form_type").annotate(n=Count("id"))}
    assert forms == {FormType.I247: 75_497 + 199, FormType.I247D: 2_811, FormType.I247N: 546}
    assert rows.filter(detainer_type=I247_2013).count() == 75_497


@pytest.mark.slow
def test_reimporting_a_file_creates_nothing(fy2015, db):
    runs, rows = FoiaImportRun.objects.count(), FoiaDetainer.objects.count()
    again = foia_detainers_import(actor=None, path=FY2015)
    assert again.already_imported is not None and again.already_imported.pk == fy2015.run.pk
    assert not again.saved
    out = io.StringIO()
    call_command("import", "foia-detainers", str(FY2015), stdout=out, stderr=io.StringIO())
    assert f"already imported (run {fy2015.run.pk}" in out.getvalue()
    assert (FoiaImportRun.objects.count(), FoiaDetainer.objects.count()) == (runs, rows)


# --- validation and thresholds --------------------------------------------------------------------

BAD_FILE = (
    f"{SNAKE_HEADER}\n"
    f"2015-02-27,{I247_2013},YORK COUNTY PRISON,PENNSYLVANIA,YORK,Booked into Detention\n"
    f"2015-02-30,{I247_2013},YORK COUNTY PRISON,PENNSYLVANIA,YORK,\n"
    f"2015-03-02,{I247_2013},YORK COUNTY PRISON,PENNSYLVANIA,YORK,Teleported\n"
    f"03/04/2015,{I247_2013},YORK COUNTY PRISON,PENNSYLVANIA,YORK,Detainer Declined by LEA\n"
)


@pytest.mark.smoke
def test_bad_rows_are_listed_and_nothing_is_saved(tmp_path, db):
    path = _write_csv(tmp_path, "bad.csv", BAD_FILE)
    before = (FoiaImportRun.objects.count(), FoiaDetainer.objects.count())
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import", "foia-detainers", str(path), stdout=io.StringIO(), stderr=err)
    assert raised.value.returncode == 1
    assert "nothing was imported" in str(raised.value)
    assert "bad.csv:2:prepare_date: not a date: '2015-02-30'" in err.getvalue()
    assert "bad.csv:3:lift_reason: unknown lift reason 'Teleported'" in err.getvalue()
    assert (FoiaImportRun.objects.count(), FoiaDetainer.objects.count()) == before


def test_bad_rows_within_the_threshold_save_the_good_rows(tmp_path, db):
    path = _write_csv(tmp_path, "bad.csv", BAD_FILE)
    refused = foia_detainers_import(actor=None, path=path, max_bad_rows=None, max_bad_share=0.4)
    assert refused.run is None and "share" in refused.refused
    out = io.StringIO()
    call_command("import", "foia-detainers", str(path), "--max-bad-rows", "2", stdout=out, stderr=io.StringIO())
    run = FoiaImportRun.objects.get(file_name="bad.csv")
    assert (run.rows_read, run.rows_imported, run.rows_rejected) == (4, 2, 2)
    assert run.status == FoiaImportStatus.PARTIAL
    assert run.errors == [
        "bad.csv:2:prepare_date: not a date: '2015-02-30'",
        "bad.csv:3:lift_reason: unknown lift reason 'Teleported'",
    ]
    saved = FoiaDetainer.objects.filter(run=run).order_by("source_row")
    assert [(d.source_row, d.prepare_date, d.outcome_group) for d in saved] == [
        (1, date(2015, 2, 27), OutcomeGroup.CUSTODY_TRANSFERRED),
        (4, date(2015, 3, 4), OutcomeGroup.DECLINED_BY_LEA),
    ]
    assert "rows rejected" in out.getvalue()


def test_a_large_file_is_read_again_for_the_save(tmp_path, db, monkeypatch):
    monkeypatch.setattr(foia, "KEEP_IN_MEMORY", 1)
    path = _write_csv(tmp_path, "bad.csv", BAD_FILE)
    result = foia_detainers_import(actor=None, path=path, max_bad_rows=2)
    assert (result.rows_imported, result.run.rows_imported) == (2, 2)
    saved = FoiaDetainer.objects.filter(run=result.run).order_by("source_row")
    assert [(d.source_row, d.prepare_date) for d in saved] == [(1, date(2015, 2, 27)), (4, date(2015, 3, 4))]


def test_unknown_lift_reasons_can_be_allowed(tmp_path, db):
    path = _write_csv(tmp_path, "bad.csv", BAD_FILE)
    result = foia_detainers_import(actor=None, path=path, max_bad_rows=1, allow_unknown_lift_reasons=True)
    assert result.rows_imported == 3
    assert result.drift["unknown_lift_reasons"] == {"Teleported": 1}
    row = FoiaDetainer.objects.get(run=result.run, source_row=3)
    assert (row.lift_reason, row.outcome_group) == ("Teleported", OutcomeGroup.OPEN_OR_UNKNOWN)


def test_a_file_without_a_known_header_is_refused(tmp_path, db):
    runs = FoiaImportRun.objects.count()
    path = _write_csv(tmp_path, "other.csv", "name,count\nx,1\n")
    with pytest.raises(FoiaImportError, match="no header row"):
        foia_detainers_import(actor=None, path=path)
    snake = _write_csv(tmp_path, "snake.csv", f"{SNAKE_HEADER}\n2015-01-02,,,,,\n")
    with pytest.raises(CommandError, match="no header row of layout ice-2026-03"):
        call_command("import", "foia-detainers", str(snake), "--layout", "ice-2026-03", stderr=io.StringIO())
    assert FoiaImportRun.objects.count() == runs


def test_a_row_of_the_wrong_width_is_an_error(tmp_path, db):
    path = _write_csv(tmp_path, "wide.csv", f"{SNAKE_HEADER}\n2015-01-02,,,,,,extra\n2015-01-03,,,,,\n")
    result = foia_detainers_import(actor=None, path=path)
    assert [str(e) for e in result.errors] == ["wide.csv:1:row: 7 cells; the header has 6"]
    assert result.run is None


# --- schema drift ---------------------------------------------------------------------------------


def test_schema_drift_reports_new_and_missing_columns(tmp_path, db):
    path = _write_csv(
        tmp_path,
        "drift.csv",
        "prepare_date,detainer_type,detention_facility,state,lift_reason,detainer_lift_date\n"
        f"2015-01-05,{I247_2013},HARRIS COUNTY JAIL,TEXAS,Lifted,2015-01-09\n",
    )
    out = io.StringIO()
    call_command("import", "foia-detainers", str(path), stdout=out, stderr=io.StringIO())
    run = FoiaImportRun.objects.get(file_name="drift.csv")
    assert run.schema_drift["new_columns"] == run.schema_drift["dropped_columns"] == ["detainer_lift_date"]
    assert run.schema_drift["missing_columns"] == ["city"]
    row = FoiaDetainer.objects.get(run=run)
    assert row.extra == {}  # a column the layout does not document is reported and dropped, never stored
    assert (row.city, row.state, row.outcome_group) == (None, "TX", OutcomeGroup.LIFTED_UNSPECIFIED)
    assert "detainer_lift_date" in out.getvalue() and "missing columns" in out.getvalue()
    assert "dropped (not stored)" in out.getvalue()


def test_columns_without_a_name_are_reported_when_they_hold_values_and_never_stored(tmp_path, db):
    trailing = _write_csv(tmp_path, "trailing.csv", f"{SNAKE_HEADER},\n2015-01-05,,,TEXAS,,Lifted,\n")
    assert foia_detainers_import(actor=None, path=trailing).drift["dropped_columns"] == []
    unnamed = _write_csv(tmp_path, "unnamed.csv", f"{SNAKE_HEADER},\n2015-01-06,,,TEXAS,,Lifted,note\n")
    result = foia_detainers_import(actor=None, path=unnamed)
    assert result.drift["new_columns"] == result.drift["dropped_columns"] == ["(column 7)"]
    assert FoiaDetainer.objects.get(run=result.run).extra == {}


# Release 2025-ICLI-00019 column list, pasted from domain.md A1.9 (1) as written there.
ICLI_00019_HEADER = (  # noqa: SIM905
    "Detainer Prepare Date; Facility State; Facility AOR; Port of Departure; Departure Country; Departed Date; "
    "Case Status; Detainer Prepared Criminality; Detention Facility; Detention Facility Code; Facility City; "
    "Detainer Prep Threat Level; Gender; Citizenship Country; Birth Country; Birth Date; Birth Year; Entry Status; "
    "Most Serious Conviction (MSC) Charge; MSC Sentence Days; MSC Sentence Months; MSC Sentence Years; "
    "MSC Charge Code; MSC Charge Date; MSC Conviction Date; Felon; Processing Disposition; Case Category; "
    "Final Program; Time of Apprehension Case Category; Time of Apprehension Current Program; Apprehension Method; "
    "Case Final Order Yes No; Final Order Date; Apprehension Date; Entry Date; Prior Felony Yes No; "
    "Multiple Prior MISD Yes No; Violent Misdemeanor Yes No; Illegal Entry Yes No; Illegal Reentry Yes No; "
    "Immigration Fraud Yes No; Significant Risk Yes No; Other Removal Reason Yes No; Other Removal Reason; "
    "Criminal Street Gang Yes No; Aggravated Felony Yes No; Deportation Ordered Yes No; "
    "Order to Show Cause Served Yes No; Order to Show Cause Served Date; Biometric Match Yes No; "
    "Statements Made Yes No; Unlawful Attempt Yes No; Unlawful Entry Yes No; Visa Yes No; Final Order Yes No; "
    "Federal Interest Yes No; Resume Custody Yes No; Detainer Lift Reason; Detainer Type; Alien File Number; "
    "EID Case ID; EID Subject ID; EID DTA ID; Unique Identifier"
).split("; ")


def _xlsx(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for line in (
        ["U.S. Immigration and Customs Enforcement"],
        ["ERO Detainers LESA-STU"],
        ["FOIA 2025-ICLI-00019_2024-ICFO-39357"],
        ["Data are current as of 02/28/2025"],
        [],
        ["Personal identifiers are withheld under (b)(6) and (b)(7)(C)."],
    ):
        sheet.append(line)
    sheet.append(ICLI_00019_HEADER)
    for row in rows:
        sheet.append([row.get(column) for column in ICLI_00019_HEADER])
    path = tmp_path / "ERO Detainers LESA-STU.xlsx"
    workbook.save(path)
    return path


def test_excel_release_with_preamble_and_redactions(tmp_path, db):
    assert len(ICLI_00019_HEADER) == 65
    path = _xlsx(
        tmp_path,
        [
            {
                "Detainer Prepare Date": datetime(2024, 11, 4, 0, 0),
                "Facility State": "PENNSYLVANIA",
                "Detention Facility": "YORK COUNTY PRISON",
                "Detention Facility Code": "YORKCPA",
                "Facility City": "(b)(6), (b)(7)(c)",
                "Detainer Lift Reason": "Detainer Declined by LEA",
                "Detainer Type": "I247A - Immigration Detainer - Notice of Action",
                "Alien File Number": "(b)(6)(b)(7)(c)",
                "Departed Date": "NA",
                "Birth Year": 1990,
                "Gender": "Male",
            },
            {
                "Detainer Prepare Date": "12/02/2024",
                "Facility State": "TEXAS",
                "Detention Facility Code": "HRSCOTX",
                "Case Status": "(b)(7)(E)",
                "Detainer Type": "I247N - Immigration Advisal - Request for Notification",
                "Unique Identifier": "(b)(6)(b)(7)(c)",
            },
            {
                "Detainer Prepare Date": "2025-01-15",
                "Facility State": "TX",
                "Detainer Lift Reason": "Booked into Detention",
                "Departed Date": "not recorded",
                "Final Order Yes No": "YES",
            },
        ],
    )
    result = foia_detainers_import(actor=None, path=path)
    assert result.layout == "ice-2025-icli-00019"
    assert (result.rows_read, result.rows_imported) == (3, 3), result.errors
    drift = result.run.schema_drift
    assert drift["sheets"][0]["preamble_rows"] == 6
    assert (drift["new_columns"], drift["missing_columns"]) == ([], [])
    assert drift["retyped_columns"] == {
        "Departed Date": {"expected": "date", "bad_values": 1, "examples": ["not recorded"]}
    }
    assert set(drift["withheld_columns"]) == {
        "Birth Date", "Alien File Number", "EID Case ID", "EID Subject ID", "EID DTA ID", "Unique Identifier",
    }  # fmt: skip

    first, second, third = FoiaDetainer.objects.filter(run=result.run).order_by("source_row")
    assert first.prepare_date == date(2024, 11, 4)
    assert (first.state, first.facility_code, first.city) == ("PA", "YORKCPA", None)
    assert first.redacted_fields == ["Facility City"]
    assert (first.form_type, first.outcome_group) == (FormType.I247A, OutcomeGroup.DECLINED_BY_LEA)
    assert first.extra == {"Birth Year": 1990, "Gender": "Male"}
    assert (second.prepare_date, second.form_type) == (date(2024, 12, 2), FormType.I247N)
    assert second.outcome_group == OutcomeGroup.OPEN_OR_UNKNOWN
    assert second.redacted_fields == ["Case Status"]
    assert second.extra == {}
    assert (third.prepare_date, third.state) == (date(2025, 1, 15), "TX")
    assert third.extra == {"Departed Date": "not recorded", "Final Order Yes No": "YES"}


def test_underscore_releases_are_told_apart(tmp_path, db):
    march = _write_csv(
        tmp_path,
        "march-2026.csv",
        "Detainer_Prepare_Date,Facility_State,Detainer_Facility,Detainer_Facility_Code,Facility_City,"
        "Detainer_Lift_Reason,Detainer_Type,Anonymized_Identifier\n"
        "2025-04-01,CALIFORNIA,SANTA CLARA MAIN JAIL,SCLARCA,SAN JOSE,Detainer Declined by LEA,"
        "I247A - Immigration Detainer - Notice of Action,(b)(6)(b)(7)(c)\n",
    )
    icfo = _write_csv(
        tmp_path,
        "icfo-18038.csv",
        "Detainer_ID,Detainer_Prepare_Date,Detainer_Detention_Facility,Detainer_Detention_Facility_Code,"
        "Detainer_Lift_Reason,Detainer_Lift_Reason_Code2,Detainer_Type,Detainer_Prepare_Fiscal_Year\n"
        "D1,2019-03-04,HARRIS COUNTY JAIL,HARRITX,Booked into Detention,,I247A,2019\n",
    )
    first = foia_detainers_import(actor=None, path=march)
    second = foia_detainers_import(actor=None, path=icfo)
    assert (first.layout, second.layout) == ("ice-2026-03", "ice-2025-icfo-18038")
    row = FoiaDetainer.objects.get(run=first.run)
    assert (row.facility_code, row.state, row.city) == ("SCLARCA", "CA", "SAN JOSE")
    assert first.drift["withheld_columns"] == ["Anonymized_Identifier"]
    assert row.redacted_fields == []  # withheld columns are not stored, redacted or not
    row = FoiaDetainer.objects.get(run=second.run)
    assert (row.facility_code, row.facility_name, row.state) == ("HARRITX", "HARRIS COUNTY JAIL", None)
    assert row.extra == {"Detainer_ID": "D1", "Detainer_Prepare_Fiscal_Year": 2019}


def test_npr_files_tab_separated_with_two_digit_years(tmp_path, db):
    path = _write_csv(
        tmp_path,
        "FY10.csv",
        "Prepare Date\tDetainer Type\tDetainer Detention Facility\tCity\tState\tDetainer Lift Reason\n"
        "10/02/09\t\tLEWISBURG U.S. PEN.\tLEWISBURG\tPENNSYLVANIA\tCase Closed\n",
    )
    result = foia_detainers_import(actor=None, path=path)
    assert result.layout == "npr-pre2017"
    row = FoiaDetainer.objects.get(run=result.run)
    assert (row.prepare_date, row.state, row.detainer_type, row.form_type) == (date(2009, 10, 2), "PA", None, "")
    assert result.drift["missing_columns"] == []


# --- value conventions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015-07-19", date(2015, 7, 19)),
        ("2015-07-19 00:00:00", date(2015, 7, 19)),
        ("07/19/2015", date(2015, 7, 19)),
        ("7/9/15", date(2015, 7, 9)),
        (datetime(2015, 7, 19, 13, 5), date(2015, 7, 19)),
        (42204, date(2015, 7, 19)),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2015-02-30", "19/07/2015", "July 2015", "", 0])
def test_parse_date_refuses(value):
    with pytest.raises(ValueError):
        parse_date(value)


def test_states_forms_and_layouts():
    assert state_code("PENNSYLVANIA") == state_code("Pennsylvania") == state_code("pa") == "PA"
    assert state_code("DISTRICT OF COLUMBIA") == "DC"
    assert state_code("VIRGIN ISLANDS") == "VI"
    assert state_code("ONTARIO") is None
    assert form_type(I247_2013) == "I247"
    assert form_type("I-247A Immigration Detainer") == "I247A"
    assert form_type("I247X - Request for Voluntary Transfer") == "I247X"
    assert form_type("Unknown") == form_type(None) == ""
    assert set(LAYOUTS) == {"snake-6col", "ice-2025-icli-00019", "ice-2025-icfo-18038", "ice-2026-03", "npr-pre2017"}
