"""``import bookings FILE --inspect [--out LAYOUT]``: header, sample, column kinds and a proposed layout that
imports the file it was proposed for. Nothing is written to the database."""

from __future__ import annotations

import io
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from holdtrack.custody.ingest.synthetic import write_canonical_feed
from holdtrack.custody.models import Booking, BookingImportRun

PIERCE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pierce-county-bookings" / "bookings.csv.gz"

RENAMED = [
    "Booking No,ORI,Facility,Book Date,Last,First,DOB,Gender,Release Date,Disposition,ICE Hold,Notes",
    "R-1,{ori},{facility},03/02/2026 08:00,Synthetic,Ana,04/01/1990,Female,03/03/2026 12:00,Bond,N,"
    + "a long free-text note that goes on and on",
    "R-2,{ori},{facility},03/02/2026 09:15,Madeup,Luis,12/31/1985,Male,,,Y,",
    "R-3,{ori},{facility},03/04/2026 22:40,Testov,Wei,,Male,03/05/2026 07:00,Time Served,N,",
]


def _inspect(path: Path, *extra: str) -> str:
    out = io.StringIO()
    call_command("import", "bookings", str(path), "--inspect", *extra, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _proposal(output: str) -> str:
    return output.split("proposed layout:\n", 1)[1]


@pytest.mark.django_db
def test_inspect_canonical_feed_proposes_the_identity_layout_which_imports_it(world, tmp_path):
    path = write_canonical_feed(tmp_path / "feed.csv", rows=12, ori=world.lea.ori, facility_code=world.facility.code)
    output = _inspect(path)
    assert "header: agency_ori, booking_number, booked_at," in output
    assert output.count("\n  ") >= 5 and "  5: " in output and "  6: " not in output  # five sample rows
    assert "  booked_at: datetime, 0% empty, iso → booked_at" in output
    assert "  date_of_birth: date, 0% empty, iso → date_of_birth" in output
    layout = tomllib.loads(_proposal(output))
    assert all(layout["columns"][c] == c for c in ("agency_ori", "booking_number", "booked_at", "sex", "released_at"))
    assert "timezone" not in layout  # the times carry their offset
    assert not Booking.objects.exists() and not BookingImportRun.objects.exists()

    saved = tmp_path / "proposed.toml"
    _inspect(path, "--out", str(saved))
    call_command("import", "bookings", str(path), "--layout", str(saved), stdout=io.StringIO())
    assert Booking.objects.count() == 12


@pytest.mark.django_db
def test_inspect_renamed_columns_guesses_formats_zone_and_codes_and_the_proposal_imports(world, tmp_path):
    path = tmp_path / "export.csv"
    text = "\n".join(RENAMED).format(ori=world.lea.ori, facility=world.facility.code)
    path.write_text(text + "\n", encoding="utf-8")
    output = _inspect(path)
    assert "  Book Date: datetime, 0% empty, %m/%d/%Y %H:%M naive → booked_at" in output
    assert "  DOB: date, 33% empty, %m/%d/%Y → date_of_birth" in output
    assert "  ICE Hold: boolean, 0% empty → immigration_hold" in output
    assert "a long free-text note t…" in output  # long cells are cut, nothing is masked
    layout = tomllib.loads(_proposal(output))
    assert layout["columns"] == {
        "agency_ori": "ORI",
        "booking_number": "Booking No",
        "booked_at": "Book Date",
        "first_name": "First",
        "last_name": "Last",
        "date_of_birth": "DOB",
        "sex": "Gender",
        "facility_code": "Facility",
        "released_at": "Release Date",
        "release_type": "Disposition",
        "immigration_hold": "ICE Hold",
    }
    assert layout["timezone"] == world.facility.timezone  # from the stored facility the file names
    assert layout["formats"] == {
        "booked_at": "%m/%d/%Y %H:%M",
        "date_of_birth": "%m/%d/%Y",
        "released_at": "%m/%d/%Y %H:%M",
    }
    assert layout["codes"]["sex"] == {"FEMALE": "F", "MALE": "M"}
    assert layout["codes"]["release_type"] == {"TIME SERVED": "TIME_SERVED"}
    assert layout["ignore"] == ["Notes"]
    assert not Booking.objects.exists()

    saved = tmp_path / "export.toml"
    _inspect(path, "--out", str(saved))
    call_command("import", "bookings", str(path), "--layout", str(saved), stdout=io.StringIO())
    first = Booking.objects.select_related("subject").get(booking_number="R-1")
    assert first.booked_at == datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo(world.facility.timezone))
    assert (first.subject.first_name, first.subject.sex, first.release_type) == ("Ana", "F", "BOND")
    assert Booking.objects.get(booking_number="R-3").release_type == "TIME_SERVED"
    assert Booking.objects.count() == 3


@pytest.mark.django_db
def test_inspect_pierce_file(tmp_path):
    if not PIERCE.is_file():
        pytest.skip(f"Pierce County feed not found: {PIERCE}")
    output = _inspect(PIERCE)
    assert output.startswith("bookings.csv.gz: csv, UTF-8, 27 columns\nheader: booking_id, booking_dt, release_dt,")
    assert "  booking_dt: datetime, 0% empty, iso naive → booked_at" in output
    assert "  imm_hold: boolean, 0% empty → immigration_hold" in output
    layout = tomllib.loads(_proposal(output))
    assert {k: layout["columns"][k] for k in ("booking_number", "booked_at", "released_at", "sex", "release_type")} == {
        "booking_number": "booking_id",
        "booked_at": "booking_dt",
        "released_at": "release_dt",
        "sex": "gender",
        "release_type": "release_disposition",
    }
    assert layout["codes"]["sex"] == {"FEMALE": "F", "MALE": "M"}
    # No ORI, facility or names in a de-identified file: left for the operator, as commented constants.
    assert '# agency_ori = ""' in output and '# first_name = ""' in output
    # The zone of naive times is not known without the agency: a commented line to fill in.
    assert '# timezone = "America/Chicago"' in output
    assert not BookingImportRun.objects.exists()


@pytest.mark.django_db
def test_inspect_ndjson_with_one_name_column_and_the_commented_lines_filled_in(world, tmp_path):
    path = tmp_path / "feed.ndjson"
    path.write_text(
        '{"BookingNo": "N1", "BookDate": "2026-03-02 08:00", "Name": "Doe Synth, Jan", "Sex": "F", "Hold": true}\n'
        '{"BookingNo": "N2", "BookDate": "2026-03-02 09:00", "Name": "Roe, Kim Lee", "Sex": "M", "Hold": false}\n',
        encoding="utf-8",
    )
    saved = tmp_path / "feed.toml"
    _inspect(path, "--out", str(saved))
    proposal = saved.read_text(encoding="utf-8")
    assert '[names]\ncolumn = "Name"\norder = "last, first middle"' in proposal
    assert '# agency_ori = ""' in proposal and "first_name" not in proposal
    # What the file cannot say, the operator fills in.
    filled = (
        proposal.replace('# agency_ori = ""', f'agency_ori = "{world.lea.ori}"')
        .replace('# facility_code = ""', f'facility_code = "{world.facility.code}"')
        .replace('# timezone = "America/Chicago"', 'timezone = "America/Denver"')
    )
    saved.write_text(filled, encoding="utf-8")
    call_command("import", "bookings", str(path), "--layout", str(saved), stdout=io.StringIO())
    second = Booking.objects.select_related("subject").get(booking_number="N2")
    assert (second.subject.last_name, second.subject.first_name, second.subject.middle_name) == ("Roe", "Kim", "Lee")
    assert second.booked_at == datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("America/Denver"))
    assert Booking.objects.get(booking_number="N1").subject.last_name == "Doe Synth"
