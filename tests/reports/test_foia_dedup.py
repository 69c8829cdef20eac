"""Repeats recognised by content, not bytes (issue 11, item 6): the same release under another name, compression,
format, column order or line endings is a no-op; an overlapping release adds only the detainers not yet imported
and says from which run the others came; the monthly counts do not move.

The real national FY2015 file and the Pennsylvania extract are used in slices (a month or three), so the tests
stay fast; their expectations are counted here from the same csv rows."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from holdtrack.reports.foia import foia_detainers_import
from holdtrack.reports.foia_dedup import ContentFingerprint, NaturalKeys, identity
from holdtrack.reports.foia_reports import detainer_counts
from holdtrack.reports.models import FoiaDetainer, FoiaImportRun
from tests.reports.test_foia_import import FY2015, I247_2013, PA, SNAKE_HEADER, csv_rows

COLUMNS = SNAKE_HEADER.split(",")


def _slice(path: Path, first: str, last: str) -> list[dict[str, str]]:
    if not path.is_file():
        pytest.skip(f"real FOIA file not found: {path}")
    return [row for row in csv_rows(path) if first <= row["prepare_date"][:7] <= last]


def _write(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS, newline: str = "\n") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def _xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["ICE ERO LESA Statistical Tracking Unit"])  # a preamble, as the agency's workbooks have
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([date.fromisoformat(row[c]) if c == "prepare_date" else (row[c] or None) for c in COLUMNS])
    workbook.save(path)
    return path


def _months() -> dict[str, int]:
    return {item["month"]: item["count"] for item in detainer_counts("month")}


def test_the_same_release_in_other_files_is_a_no_op(tmp_path, db):
    """The issue's repro on a month of the real national file: imported as .csv.gz, then decompressed and renamed,
    with its columns reordered, CRLF line endings and its rows reversed, and as a workbook: all no-ops."""
    rows = _slice(FY2015, "2015-03", "2015-03")
    first = foia_detainers_import(actor=None, path=_write(tmp_path / "detainers_fy2015ytd.csv.gz", rows))
    assert first.run is not None and first.rows_imported == len(rows) > 5_000
    months, stored = _months(), FoiaDetainer.objects.count()
    variants = [
        _write(tmp_path / "copy.csv", rows),
        _write(tmp_path / "reordered.CSV", rows[::-1], columns=COLUMNS[::-1], newline="\r\n"),
        _xlsx(tmp_path / "march.xlsx", rows),
    ]
    for path in variants:
        again = foia_detainers_import(actor=None, path=path)
        assert (again.repeat, again.already_imported, again.run) == ("content", first.run, None), path.name
        assert again.rows_already_imported == len(rows)
    assert (_months(), FoiaDetainer.objects.count(), FoiaImportRun.objects.count()) == (months, stored, 1)
    out = io.StringIO()
    call_command("import", "foia-detainers", str(variants[0]), stdout=out, stderr=io.StringIO())
    assert "same content as detainers_fy2015ytd.csv.gz (a repeat under another name or format); already " in (
        " ".join(out.getvalue().split())
    )


def test_an_overlapping_release_adds_only_new_detainers_and_keeps_the_monthly_counts(tmp_path, db):
    national = _slice(FY2015, "2015-01", "2015-01")
    extract = _slice(PA, "2014-12", "2015-02")
    shared = [row for row in extract if row["prepare_date"].startswith("2015-01")]
    assert shared and len(shared) < len(extract)
    first = foia_detainers_import(actor=None, path=_write(tmp_path / "national-2015-01.csv", national))
    january = _months()["2015-01"]
    assert january == len(national)

    out = io.StringIO()
    path = _write(tmp_path / "pa-2014-12-to-2015-02.csv", extract)
    call_command("import", "foia-detainers", str(path), stdout=out, stderr=io.StringIO())
    run = FoiaImportRun.objects.get(file_name=path.name)
    assert (run.rows_read, run.rows_imported, run.rows_already_imported) == (
        len(extract), len(extract) - len(shared), len(shared),
    )  # fmt: skip
    assert run.overlap["runs"] == {str(first.run.pk): len(shared)}
    summary = " ".join(out.getvalue().split())
    assert f"{len(shared):,} rows already imported from run {first.run.pk} (national-2015-01.csv)" in summary
    added = [row for row in extract if not row["prepare_date"].startswith("2015-01")]
    expected = Counter(row["prepare_date"][:7] for row in national + added)
    assert _months() == dict(sorted(expected.items()))
    assert _months()["2015-01"] == january  # unchanged by the overlapping release

    # Re-running it, even renamed and compressed, adds nothing; the rows a third file shares are reported.
    again = foia_detainers_import(actor=None, path=_write(tmp_path / "pa-again.csv.gz", extract))
    assert (again.repeat, again.already_imported) == ("content", run)
    both = foia_detainers_import(actor=None, path=_write(tmp_path / "pa-jan.csv", shared))
    assert (both.repeat, both.rows_already_imported, both.overlap["runs"]) == (
        "rows", len(shared), {str(first.run.pk): len(shared)},
    )  # fmt: skip
    assert _months() == dict(sorted(expected.items()))


ROW = f"2015-01-05,{I247_2013},YORK COUNTY PRISON,PENNSYLVANIA,YORK,"


def test_identical_rows_are_distinct_detainers_matched_by_occurrence(tmp_path, db):
    """Two identical rows of one release are two detainers; a later release with three of them adds one. The
    lift reason is no part of the key: a release reporting the outcome of a detainer still open in an earlier
    one does not add it again."""
    two = tmp_path / "two.csv"
    two.write_text(f"{SNAKE_HEADER}\n{ROW}\n{ROW}\n", encoding="utf-8")
    three = tmp_path / "three.csv"
    three.write_text(f"{SNAKE_HEADER}\n{ROW}Booked into Detention\n{ROW}\n{ROW}\n", encoding="utf-8")
    first = foia_detainers_import(actor=None, path=two)
    second = foia_detainers_import(actor=None, path=three)
    assert (first.rows_imported, second.rows_imported, second.rows_already_imported) == (2, 1, 2)
    assert FoiaDetainer.objects.count() == 3


def test_a_release_with_detainer_ids_is_keyed_by_them(tmp_path, db):
    header = "Detainer_ID,Detainer_Prepare_Date,Detainer_Detention_Facility_Code,Detainer_Lift_Reason\n"
    old = tmp_path / "icfo-a.csv"
    old.write_text(f"{header}D1,2019-03-04,HARRITX,\nD2,2019-03-04,HARRITX,\n", encoding="utf-8")
    new = tmp_path / "icfo-b.csv"
    new.write_text(f"{header}D2,2019-03-04,HARRITX,Booked into Detention\nD3,2019-03-04,HARRITX,\n", encoding="utf-8")
    foia_detainers_import(actor=None, path=old)
    result = foia_detainers_import(actor=None, path=new)
    assert (result.rows_imported, result.rows_already_imported) == (1, 1)
    assert sorted(FoiaDetainer.objects.values_list("extra__Detainer_ID", flat=True)) == ["D1", "D2", "D3"]
    assert FoiaDetainer.objects.get(extra__Detainer_ID="D2").lift_reason is None  # the stored row stands


def test_keys_and_fingerprints_ignore_what_does_not_identify():
    facts = {
        "prepare_date": date(2015, 1, 5), "form_type": "I247", "detainer_type": I247_2013, "facility_code": None,
        "facility_name": "York County Prison", "state": "PA", "city": "York", "extra": {},
    }  # fmt: skip
    assert identity(**facts) == identity(**{**facts, "facility_name": "  YORK  COUNTY PRISON", "city": "YORK"})
    assert identity(**facts) != identity(**{**facts, "prepare_date": date(2015, 1, 6)})
    assert identity(**{**facts, "extra": {"Detainer_ID": "D9"}}) == identity(
        **{**facts, "extra": {"detainer id": "d9"}}
    )
    keys = NaturalKeys()
    assert len({keys.key("x"), keys.key("x"), keys.key("y")}) == 3
    assert NaturalKeys().key("x") == NaturalKeys().key("x")

    class Row:
        def __init__(self, **kw: object) -> None:
            blank = dict.fromkeys(("detainer_type", "facility_name", "facility_code", "state", "city", "lift_reason"))
            self.__dict__.update({"prepare_date": date(2015, 1, 5), "extra": {}, **blank, **kw})

    def fingerprint(rows: list[Row]) -> str:
        fp = ContentFingerprint()
        for row in rows:
            fp.add(row)
        return fp.hexdigest()

    a, b = Row(city="York"), Row(lift_reason="Lifted")
    assert fingerprint([a, b]) == fingerprint([b, a])
    assert fingerprint([a, b]) != fingerprint([a, a, b])
    assert fingerprint([Row(extra={"Birth Year": 1990})]) == fingerprint([Row(extra={"Birth_Year": "1990"})])
