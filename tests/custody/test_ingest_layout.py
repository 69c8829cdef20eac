"""``import bookings --layout FILE``: a jail's own layout (renamed columns, local times, codes, one name column),
layout validation naming the file and the key, and problems grouped by cause when one cause explains many rows."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from holdtrack.custody.ingest.synthetic import write_canonical_feed
from holdtrack.custody.models import Booking, BookingImportRow, BookingImportRun, FeedEvent, ReleaseType, Subject

PIERCE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pierce-county-bookings" / "bookings.csv.gz"

LAYOUT = """
name = "county-jail"
title = "A county jail's export (synthetic test layout)"
timezone = "America/Chicago"
ignore = ["Officer"]

[columns]
booking_number = "Booking No"
booked_at = "Book Date"
released_at = "Out Date"
release_type = "Out Code"
date_of_birth = "DOB"
sex = "Sex Code"
birth_country = "POB"
immigration_hold = "ICE Hold"

[constants]
agency_ori = "{ori}"
facility_code = "{facility}"

[formats]
datetime = "%m/%d/%Y %H:%M"
date = "%m/%d/%Y"

[booleans]
true = ["Y"]
false = ["N"]

[codes.sex]
"1" = "M"
"2" = "F"
"9" = "U"

[codes.birth_country]
MX = "Mexico"
"*" = "*"

[codes.release_type]
B = "BOND"
TS = "TIME_SERVED"

[names]
column = "Inmate Name"
order = "last, first middle"
second_surname = true
"""

FEED = [
    "Booking No,Book Date,Inmate Name,DOB,Sex Code,POB,Out Date,Out Code,ICE Hold,Officer",
    'J-1,03/08/2026 01:30,"GARCIA LOPEZ, ANA MARIA",04/01/1990,2,MX,03/09/2026 15:00,B,N,Synthetic',
    'J-2,03/08/2026 03:30,"NGUYEN, MINH",12/31/1985,1,Viet Nam,,,Y,Synthetic',
]


def _files(tmp_path: Path, world, layout: str = LAYOUT, feed: list[str] = FEED) -> tuple[Path, Path]:
    lay = tmp_path / "layout.toml"
    lay.write_text(layout.format(ori=world.lea.ori, facility=world.facility.code), encoding="utf-8")
    path = tmp_path / "export.csv"
    path.write_text("\n".join(feed) + "\n", encoding="utf-8")
    return lay, path


@pytest.mark.django_db
def test_custom_layout_imports_renamed_columns_local_times_codes_and_split_names(world, tmp_path):
    lay, path = _files(tmp_path, world)
    out = io.StringIO()
    call_command("import", "bookings", str(path), "--layout", str(lay), stdout=out, stderr=io.StringIO())
    assert "county-jail" in out.getvalue()
    first = Booking.objects.select_related("subject").get(booking_number="J-1")
    subject = first.subject
    assert (subject.last_name, subject.second_last_name, subject.first_name, subject.middle_name) == (
        "GARCIA",
        "LOPEZ",
        "ANA",
        "MARIA",
    )
    assert (subject.sex, subject.birth_country, str(subject.date_of_birth)) == ("F", "Mexico", "1990-04-01")
    chicago = ZoneInfo("America/Chicago")
    # 01:30 CST; the next day's release is 15:00 CDT (the clocks moved on 8 March 2026 at 02:00).
    assert first.booked_at == datetime(2026, 3, 8, 1, 30, tzinfo=chicago)
    assert first.released_at == datetime(2026, 3, 9, 15, 0, tzinfo=chicago)
    assert first.release_type == ReleaseType.BOND and first.custodian == world.lea
    second = Booking.objects.select_related("subject").get(booking_number="J-2")
    assert (second.subject.last_name, second.subject.second_last_name, second.subject.sex) == ("NGUYEN", "", "M")
    assert second.subject.birth_country == "Viet Nam" and second.in_custody
    holds = dict(
        BookingImportRow.objects.filter(event=FeedEvent.BOOKING).values_list("booking_number", "immigration_hold")
    )
    assert holds == {"J-1": False, "J-2": True}
    run = BookingImportRun.objects.get()
    assert run.mapping == "county-jail" and run.options["layout"] == str(lay)
    assert run.schema_drift["new_columns"] == [] and run.schema_drift["missing_columns"] == []


@pytest.mark.django_db
def test_custom_layout_problems_name_the_files_columns(world, tmp_path):
    feed = [FEED[0], 'J-3,2026-03-08 01:30,"SOLO",1990-04-01,7,MX,,,maybe,x']
    lay, path = _files(tmp_path, world, feed=feed)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "bookings", str(path), "--layout", str(lay), stdout=io.StringIO(), stderr=err)
    text = err.getvalue()
    assert "export.csv:1:Book Date: not a date-time (%m/%d/%Y %H:%M): '2026-03-08 01:30'" in text
    assert "export.csv:1:DOB: not a date (%m/%d/%Y): '1990-04-01'" in text
    assert "export.csv:1:Sex Code: unknown value '7'" in text
    assert "export.csv:1:ICE Hold: not a yes/no value: 'maybe'" in text
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[columns]", "colour = 'x'\n[columns]"), "layout.toml: colour: unknown key"),
        (('booking_number = "Booking No"', 'booking_nr = "Booking No"'), "columns.booking_nr: unknown canonical field"),
        (('datetime = "%m/%d/%Y %H:%M"', 'datetime = "%m/%d/%Y %Q"'), "formats.datetime: bad format string"),
        (('datetime = "%m/%d/%Y %H:%M"', 'datetime = "MM/DD/YYYY"'), "formats.datetime: bad format string"),
        (('timezone = "America/Chicago"', 'timezone = "America/Springfield"'), "timezone: unknown zone"),
        (('"9" = "U"', '"9" = "Z"'), "codes.sex.9: 'Z' is not one of M, F, U"),
        (('name = "county-jail"', 'transform = "magic"'), "transform: unknown transform 'magic'"),
        (('order = "last, first middle"', 'order = "any"'), "names.order: unknown order"),
        (('booking_number = "Booking No"', ""), "required: booking_number is required but has no column"),
        (("[formats]", "[formats]\nsex = '%Y'"), "formats.sex: not a date or date-time field"),
        (("[names]", "[columns2]"), "columns2: unknown key"),
    ],
)
@pytest.mark.django_db
def test_layout_is_validated_on_load(world, tmp_path, edit, message):
    old, new = edit
    assert old in LAYOUT
    lay, path = _files(tmp_path, world, layout=LAYOUT.replace(old, new, 1))
    with pytest.raises(CommandError) as exc:
        call_command("import", "bookings", str(path), "--layout", str(lay), stdout=io.StringIO())
    assert exc.value.returncode == 1 and message in str(exc.value)
    assert str(exc.value).startswith("layout.toml: ")
    assert not Booking.objects.exists() and not BookingImportRun.objects.exists()


@pytest.mark.django_db
def test_not_toml_and_unknown_mapping(tmp_path):
    lay = tmp_path / "broken.toml"
    lay.write_text("[columns\n", encoding="utf-8")
    feed = tmp_path / "feed.csv"
    feed.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"broken.toml: not valid TOML"):
        call_command("import", "bookings", str(feed), "--layout", str(lay), stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"no-such.toml: cannot read the layout"):
        call_command("import", "bookings", str(feed), "--layout", str(tmp_path / "no-such.toml"), stdout=io.StringIO())


@pytest.mark.django_db
def test_one_cause_over_many_rows_is_one_line_and_nothing_is_saved(tmp_path):
    # No agency, no facility in this database: 40 rows, two causes, two lines.
    path = write_canonical_feed(tmp_path / "feed.csv", rows=40, ori="ZZ0000000", facility_code="ZZ1")
    err = io.StringIO()
    with pytest.raises(CommandError, match="40 bad rows exceed the allowed 0"):
        call_command("import", "bookings", str(path), stdout=io.StringIO(), stderr=err)
    lines = [line for line in err.getvalue().splitlines() if line.startswith("feed.csv")]
    assert lines == [
        "feed.csv: 40 rows: agency_ori: no agency with ORI 'ZZ0000000' — load the reference data "
        "(`holdtrack load_reference`) or `holdtrack import agencies FILE` (rows 1, 2, 3, 4, 5, …)",
        "feed.csv: 40 rows: facility_code: no facility with code 'ZZ1' — load the reference data "
        "(`holdtrack load_reference`) or `holdtrack import agencies FILE` (rows 1, 2, 3, 4, 5, …)",
    ]
    assert not Booking.objects.exists() and not Subject.objects.exists() and not BookingImportRun.objects.exists()


@pytest.mark.django_db
def test_a_bad_format_in_a_column_is_one_line_and_the_stored_errors_are_grouped(world, tmp_path):
    path = write_canonical_feed(tmp_path / "feed.csv", rows=30, ori=world.lea.ori, facility_code=world.facility.code)
    lines = path.read_text(encoding="utf-8").splitlines()
    # Twelve rows whose birth date a spreadsheet rewrote as 4/1/1990; one row with its own problem.
    for i in range(1, 13):
        cells = lines[i].split(",")
        cells[6] = f"4/{i}/1990"
        lines[i] = ",".join(cells)
    cells = lines[20].split(",")
    cells[7] = "Q"
    lines[20] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = io.StringIO()
    call_command("import", "bookings", str(path), "--max-bad-rows", "13", stdout=io.StringIO(), stderr=err)
    shown = [line for line in err.getvalue().splitlines() if line.startswith("feed.csv")]
    assert shown == [
        "feed.csv: 12 rows: date_of_birth: not a date (YYYY-MM-DD), e.g. '4/1/1990' — give the column's format in "
        "a layout's [formats] (--layout FILE; --inspect guesses it) (rows 1, 2, 3, 4, 5, …)",
        "feed.csv:20:sex: unknown value 'Q'; expected one of M, F, U",
    ]
    run = BookingImportRun.objects.get()
    assert run.status == "PARTIAL" and run.rows_imported == 17 and run.errors == shown


@pytest.mark.django_db
def test_pierce_file_without_reference_data_is_two_lines(capsys):
    if not PIERCE.is_file():
        pytest.skip(f"Pierce County feed not found: {PIERCE}")
    with pytest.raises(CommandError, match="9,126 bad rows"):
        call_command("import", "bookings", str(PIERCE), "--mapping", "pierce", "--max-errors", "0")
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("bookings.csv.gz")]
    assert len(lines) == 2
    assert lines[0].startswith("bookings.csv.gz: 9,126 rows: agency_ori: no agency with ORI 'WA0530000' — load the")
    assert lines[1].startswith("bookings.csv.gz: 9,126 rows: facility_code: no facility with code 'WA053CJ'")
