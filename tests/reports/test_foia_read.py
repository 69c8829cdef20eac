"""A FOIA release is read in the encoding its bytes show, streamed, and a NUL byte is a row problem (issue 11,
item 5): real input written in each encoding through the command."""

from __future__ import annotations

import gzip
import io

import pytest
from django.core.management import CommandError, call_command

from holdtrack.reports.foia import foia_detainers_import
from holdtrack.reports.models import FoiaDetainer, FoiaImportRun
from tests.reports.test_foia_import import I247_2013, SNAKE_HEADER

ROWS = [
    f"2015-01-05,{I247_2013},CONDADO DE PEÑA JAIL,TEXAS,SAN MARCOS,",
    f"2015-01-06,{I247_2013},YORK COUNTY PRISON,PENNSYLVANIA,YORK,",
]
TEXT = "\n".join([SNAKE_HEADER, *ROWS]) + "\n"


@pytest.mark.parametrize(
    ("encoding", "recorded"),
    [("utf-8", None), ("utf-8-sig", None), ("utf-16", "utf-16-le"), ("cp1252", "cp1252")],
)
def test_each_encoding_imports_the_same_rows(tmp_path, db, encoding, recorded):
    path = tmp_path / f"release-{encoding}.csv"
    path.write_bytes(TEXT.encode(encoding))
    result = foia_detainers_import(actor=None, path=path)
    assert result.run is not None, result.refused
    names = sorted(FoiaDetainer.objects.filter(run=result.run).values_list("facility_name", flat=True))
    assert names == ["CONDADO DE PEÑA JAIL", "YORK COUNTY PRISON"]
    assert result.run.schema_drift.get("encoding") == recorded


def test_a_gzip_release_streams_through_the_same_reader(tmp_path, db):
    path = tmp_path / "release.csv.gz"
    path.write_bytes(gzip.compress(TEXT.encode("utf-8")))
    result = foia_detainers_import(actor=None, path=path)
    assert result.run is not None and FoiaDetainer.objects.filter(run=result.run).count() == 2


def test_bytes_of_no_known_encoding_are_one_line_and_nothing_is_saved(tmp_path, db):
    path = tmp_path / "noise.csv"
    path.write_bytes(SNAKE_HEADER.encode() + b"\n" + bytes(range(0, 32)) * 40)
    before = (FoiaImportRun.objects.count(), FoiaDetainer.objects.count())
    with pytest.raises(CommandError) as raised:
        call_command("import", "foia-detainers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    message = str(raised.value)
    assert "noise.csv" in message and "Traceback" not in message
    assert (FoiaImportRun.objects.count(), FoiaDetainer.objects.count()) == before


def test_a_nul_byte_is_a_problem_of_its_row_and_field(tmp_path, db):
    path = tmp_path / "nul.csv"
    bad = ROWS[1].replace("YORK COUNTY PRISON", "YORK\x00COUNTY PRISON")
    path.write_text("\n".join([SNAKE_HEADER, ROWS[0], bad]) + "\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "foia-detainers", str(path), stdout=io.StringIO(), stderr=err)
    assert "nul.csv:2:facility_name: contains a NUL byte" in err.getvalue()
    assert not FoiaDetainer.objects.exists()


def test_reading_stops_at_max_errors_and_nothing_is_saved(tmp_path, db):
    path = tmp_path / "many-bad.csv"
    bad = [f"2015-02-30,{I247_2013},JAIL {i},TEXAS,AUSTIN," for i in range(5)]
    path.write_text("\n".join([SNAKE_HEADER, ROWS[0], *bad, ROWS[1]]) + "\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import", "foia-detainers", str(path), "--max-errors", "2", stdout=io.StringIO(), stderr=err)
    assert "stopped after 2 bad rows at row 3; the rest was not checked (--max-errors)" in str(raised.value)
    assert "many-bad.csv:3:prepare_date" in err.getvalue() and "many-bad.csv:4:" not in err.getvalue()
    assert not FoiaDetainer.objects.exists() and not FoiaImportRun.objects.exists()
    # with a share allowed, nothing stops early: every row is read and the good ones kept
    result = foia_detainers_import(actor=None, path=path, max_bad_rows=None, max_bad_share=0.8)
    assert result.run is not None and result.rows_read == 7 and result.rows_rejected == 5
