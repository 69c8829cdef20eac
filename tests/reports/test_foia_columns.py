"""FOIA import keeps only what it knows (issue 11, item 6): an allow-list of stored columns per layout; personal
data in any spelling, identifiers and undocumented columns are named as dropped (not stored) and never written.

Every value below is synthetic; the markers are searched for in everything the import stored."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from holdtrack.reports.foia import LAYOUTS, foia_detainers_import
from holdtrack.reports.foia_columns import STORED_COLUMNS, is_personal, stored_columns, withheld
from holdtrack.reports.foia_layouts import column_key
from holdtrack.reports.models import FoiaDetainer, FoiaImportRun
from tests.reports.test_foia_import import I247_2013, SNAKE_HEADER

# header -> (kind is_personal names, a synthetic value that must never be stored)
PERSONAL = {
    "SSN": ("SSN", "SYNTH-SSN-900-00-0001"),
    "Social Security Number": ("SSN", "SYNTH-SSN-900-00-0002"),
    "ssn_no": ("SSN", "SYNTH-SSN-900-00-0003"),
    "A-Number": ("A-number", "SYNTH-A-000000001"),
    "Alien Number": ("A-number", "SYNTH-A-000000002"),
    "A#": ("A-number", "SYNTH-A-000000003"),
    "ALIEN_FILE_NBR": ("A-number", "SYNTH-A-000000004"),
    "FBI Number": ("FBI number", "SYNTH-FBI-0001"),
    "FBI_NO": ("FBI number", "SYNTH-FBI-0002"),
    "FBINumber": ("FBI number", "SYNTH-FBI-0003"),
    "Date of Birth": ("date of birth", "1901-01-01"),
    "DOB": ("date of birth", "1902-02-02"),
    "birth_date": ("date of birth", "1903-03-03"),
    "Name": ("name", "SYNTH-NAME-FULL"),
    "LAST NAME": ("name", "SYNTH-NAME-LAST"),
    "First_Name": ("name", "SYNTH-NAME-FIRST"),
    "Subject Name": ("name", "SYNTH-NAME-SUBJECT"),
    "Surname": ("name", "SYNTH-NAME-SUR"),
}


def _stored_text(run: FoiaImportRun) -> str:
    """Everything the import wrote for ``run``: the run row and every detainer row, as one text."""
    rows = list(FoiaDetainer.objects.filter(run=run).values())
    return json.dumps([FoiaImportRun.objects.filter(pk=run.pk).values().get(), rows], default=str)


@pytest.mark.parametrize(("header", "kind"), [(h, k) for h, (k, _v) in PERSONAL.items()])
def test_personal_data_is_recognised_in_any_spelling(header, kind):
    assert is_personal(header) == kind
    assert withheld(header)


@pytest.mark.parametrize(
    "header",
    [
        "Detention Facility", "Other_Detainer_Facility_Name", "Birth Year", "Birth Country", "Gender",
        "Apprehension Site Landmark", "Detainer_ID", "Entry Date", "Port of Departure", "Case Status",
    ],
)  # fmt: skip
def test_other_columns_are_not_taken_for_personal_data(header):
    assert is_personal(header) == ""


def test_allow_lists_hold_no_personal_data_or_identifier():
    assert STORED_COLUMNS["snake-6col"] == frozenset()  # six columns, all stored in their own fields
    for name, layout in LAYOUTS.items():
        allowed = stored_columns(layout)
        assert allowed == STORED_COLUMNS[name]
        documented = {column_key(c): c for c in (*layout.columns, *layout.also_seen)}
        assert all(not withheld(documented[key]) for key in allowed), name
    icfo = STORED_COLUMNS["ice-2025-icfo-18038"]
    assert {"detainer_id", "gender", "birth_year", "detainer_aor"} <= icfo
    assert not {"birth_date", "subject_name", "alien_file_number", "birth_city", "eid_person_id"} & icfo


def _personal_csv(tmp_path: Path) -> Path:
    headers = list(PERSONAL)
    lines = [SNAKE_HEADER + "," + ",".join(f'"{h}"' for h in headers)]
    for day in (5, 6):
        values = [v for _k, v in PERSONAL.values()]
        lines.append(f"2015-01-0{day},{I247_2013},YORK COUNTY PRISON,PENNSYLVANIA,YORK,Lifted," + ",".join(values))
    path = tmp_path / "release-with-personal-data.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_personal_columns_are_dropped_named_and_never_stored(tmp_path, db):
    path = _personal_csv(tmp_path)
    out = io.StringIO()
    call_command("import", "foia-detainers", str(path), stdout=out, stderr=io.StringIO())
    run = FoiaImportRun.objects.get(file_name=path.name)
    assert run.rows_imported == 2
    assert run.schema_drift["dropped_columns"] == run.schema_drift["withheld_columns"] == list(PERSONAL)
    assert [row.extra for row in FoiaDetainer.objects.filter(run=run)] == [{}, {}]
    stored = _stored_text(run)
    assert not [value for _k, value in PERSONAL.values() if value in stored]
    summary = " ".join(out.getvalue().split())  # the table wraps long cells
    assert "dropped (not stored)" in summary
    assert "SSN (personal data or identifier)" in summary and "Surname (personal data or identifier)" in summary


def test_documented_identifiers_and_undocumented_columns_of_a_wide_release_are_dropped(tmp_path, db):
    path = tmp_path / "icfo-18038.csv"
    path.write_text(
        "Detainer_ID,Detainer_Prepare_Date,Detainer_Detention_Facility_Code,Detainer_Lift_Reason,Gender,"
        "Birth_Date,Subject_Name,Alien_File_Number,Birth_City,FBI Number,Joined_From_Elsewhere\n"
        "SYNTH-D1,2019-03-04,HARRITX,Booked into Detention,Male,1904-04-04,SYNTH-NAME-X,SYNTH-A-9,"
        "SYNTH-CITY,SYNTH-FBI-9,SYNTH-JOIN\n",
        encoding="utf-8",
    )
    result = foia_detainers_import(actor=None, path=path)
    assert result.layout == "ice-2025-icfo-18038"
    assert result.drift["dropped_columns"] == [
        "Birth_Date", "Subject_Name", "Alien_File_Number", "Birth_City", "FBI Number", "Joined_From_Elsewhere",
    ]  # fmt: skip
    assert result.drift["new_columns"] == ["FBI Number", "Joined_From_Elsewhere"]
    assert set(result.drift["withheld_columns"]) == {
        "Birth_Date", "Subject_Name", "Alien_File_Number", "Birth_City", "FBI Number",
    }  # fmt: skip
    row = FoiaDetainer.objects.get(run=result.run)
    assert row.extra == {"Detainer_ID": "SYNTH-D1", "Gender": "Male"}
    stored = _stored_text(result.run)
    assert not [
        v for v in ("1904-04-04", "SYNTH-NAME-X", "SYNTH-A-9", "SYNTH-CITY", "SYNTH-FBI-9", "SYNTH-JOIN") if v in stored
    ]
