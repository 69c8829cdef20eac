"""``holdtrack import bookings``: canonical CSV/NDJSON feeds, validation, thresholds, provenance, idempotency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from holdtrack.accounts.models import Role
from holdtrack.audit.models import CaseType, Transition
from holdtrack.custody.models import (
    Booking,
    BookingImportRow,
    BookingImportRun,
    FeedEvent,
    FeedImportStatus,
    ReleaseType,
    Subject,
)
from holdtrack.intake.bookings import bookings_import

HEADER = (
    "agency_ori,booking_number,booked_at,first_name,middle_name,last_name,date_of_birth,sex,birth_country,"
    "facility_code,charge_level,charge_type,release_eligible_at,release_eligibility_reason,released_at,"
    "release_type,immigration_hold"
)


def _row(w, number: str, **over: str) -> str:
    values = {
        "agency_ori": w.lea.ori,
        "booking_number": number,
        "booked_at": "2026-03-02T08:00:00-06:00",
        "first_name": "Ana",
        "middle_name": "",
        "last_name": f"Synthetic{number}",
        "date_of_birth": "1990-04-01",
        "sex": "F",
        "birth_country": "Mexico",
        "facility_code": w.facility.code,
        "charge_level": "MISDEMEANOR",
        "charge_type": "property",
        "release_eligible_at": "2026-03-03T10:00:00-06:00",
        "release_eligibility_reason": "BOND_POSTED",
        "released_at": "2026-03-03T12:00:00-06:00",
        "release_type": "BOND",
        "immigration_hold": "0",
    }
    values.update(over)
    return ",".join(values[c] for c in HEADER.split(","))


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.django_db
def test_bad_rows_are_reported_by_file_row_field_and_nothing_is_saved(world, tmp_path):
    path = _write(
        tmp_path,
        "feed.csv",
        [
            HEADER,
            _row(world, "B1"),
            _row(world, "B2", booked_at="2026-03-02T08:00:00"),  # no zone
            _row(world, "B3", sex="X", facility_code="NOPE"),
            _row(world, "B4", released_at="2026-03-01T00:00:00+00:00", release_eligible_at=""),
            _row(world, "B1"),  # repeated booking number
            _row(world, "B6", agency_ori="ZZ9999999"),
        ],
    )
    result = bookings_import(path=path)
    assert result.run is None and "5 bad rows exceed the allowed 0" in result.refused
    messages = [str(e) for e in result.errors]
    assert any(m.startswith("feed.csv:2:booked_at: not an ISO 8601 date-time with zone") for m in messages)
    assert any(m.startswith("feed.csv:3:sex: unknown value 'X'") for m in messages)
    assert any(m.startswith("feed.csv:3:facility_code: no facility with code 'NOPE'") for m in messages)
    assert "feed.csv:4:released_at: release precedes the booking" in messages
    assert "feed.csv:5:booking_number: booking B1 repeats row 1" in messages
    assert any(m.startswith("feed.csv:6:agency_ori: no agency") for m in messages)
    assert not Booking.objects.exists() and not BookingImportRun.objects.exists() and not Subject.objects.exists()

    with pytest.raises(CommandError, match="nothing was imported") as exc:
        call_command("import", "bookings", str(path))
    assert exc.value.returncode == 1
    assert not Booking.objects.exists()

    # Within the threshold the good row is saved and the run is marked partial.
    result = bookings_import(path=path, max_bad_rows=5)
    assert result.run is not None and result.run.status == FeedImportStatus.PARTIAL
    assert list(Booking.objects.values_list("booking_number", flat=True)) == ["B1"]
    assert len(result.run.errors) == len(result.errors)


@pytest.mark.smoke
@pytest.mark.django_db
def test_import_writes_through_services_with_provenance(world, tmp_path):
    path = _write(tmp_path, "feed.csv", [HEADER, _row(world, "B1"), _row(world, "B2", released_at="", release_type="")])
    result = bookings_import(path=path)
    assert result.run is not None and result.run.status == FeedImportStatus.COMPLETE
    b1 = Booking.objects.get(booking_number="B1")
    assert b1.release_eligibility_reason == "BOND_POSTED" and b1.release_type == ReleaseType.BOND
    assert Booking.objects.get(booking_number="B2").in_custody
    rows = BookingImportRow.objects.filter(booking=b1).order_by("event")
    assert {r.event for r in rows} == {FeedEvent.BOOKING, FeedEvent.RELEASE, FeedEvent.RELEASE_ELIGIBILITY}
    for row in rows:
        assert (row.run_id, row.file_sha256, row.row_number) == (result.run.pk, result.sha256, 1)
    # The actor is the agency's feed user; the transitions were written by the services.
    names = set(Transition.objects.filter(case_id=b1.pk, case_type=CaseType.BOOKING).values_list("name", flat=True))
    assert names == {"book", "release_eligible", "release"}
    first = Transition.objects.filter(case_id=b1.pk, case_type=CaseType.BOOKING).first()
    assert first is not None and first.actor is not None and first.actor.organization is not None
    assert first.actor.role == Role.LEA_BOOKING and first.actor.organization.lea_id == world.lea.pk
    assert result.events_created == {"BOOKING": 2, "RELEASE_ELIGIBILITY": 2, "RELEASE": 1}


@pytest.mark.django_db
def test_reimport_creates_no_duplicates(world, tmp_path):
    first = _write(
        tmp_path, "day1.csv", [HEADER, _row(world, "B1"), _row(world, "B2", released_at="", release_type="")]
    )
    assert bookings_import(path=first).run is not None
    again = bookings_import(path=first)
    assert again.already_imported is not None
    # An overlapping file: B1 unchanged, B2 now released, B3 new. Only the new events are written.
    second = _write(tmp_path, "day2.csv", [HEADER, _row(world, "B1"), _row(world, "B2"), _row(world, "B3")])
    result = bookings_import(path=second)
    assert result.run is not None
    # B2's release eligibility came with day 1; day 2 adds B2's release and all of B3.
    assert result.events_created == {"BOOKING": 1, "RELEASE_ELIGIBILITY": 1, "RELEASE": 2}
    assert result.events_skipped == 5
    assert Booking.objects.count() == 3 and Subject.objects.count() == 3
    assert BookingImportRow.objects.count() == 9
    assert Transition.objects.filter(case_type=CaseType.BOOKING, name="book").count() == 3
    b2 = Booking.objects.get(booking_number="B2")
    assert b2.released_at is not None
    assert BookingImportRow.objects.get(booking=b2, event=FeedEvent.RELEASE).run_id == result.run.pk


@pytest.mark.django_db
def test_ndjson_and_schema_drift(world, tmp_path):
    good = json.loads(json.dumps({k: v for k, v in zip(HEADER.split(","), _row(world, "N1").split(","), strict=True)}))
    good.pop("middle_name")
    good["shoe_size"] = 42  # a new column
    other = dict(good, booking_number="N2", immigration_hold=True, shoe_size="large")  # retyped
    bad = dict(good, booking_number="N3", release_type="TELEPORTED")
    path = _write(tmp_path, "feed.ndjson", [json.dumps(good), json.dumps(other), "not json", json.dumps(bad)])
    result = bookings_import(path=path, max_bad_rows=2)
    assert result.format == "ndjson" and result.run is not None
    messages = [str(e) for e in result.errors]
    assert messages[0].startswith("feed.ndjson:3:row: not a JSON object")
    assert messages[1].startswith("feed.ndjson:4:release_type: unknown value 'TELEPORTED'")
    drift = result.run.schema_drift
    assert drift["new_columns"] == ["shoe_size"]
    assert drift["missing_columns"] == ["middle_name"]
    assert set(drift["retyped_columns"]) == {"shoe_size", "immigration_hold"}
    assert BookingImportRow.objects.get(booking_number="N2", event=FeedEvent.BOOKING).immigration_hold is True


@pytest.mark.django_db
def test_command_prints_summary_and_missing_required_column(world, tmp_path, capsys):
    path = _write(tmp_path, "feed.csv", [HEADER, _row(world, "B1")])
    call_command("import", "bookings", str(path), "--format", "csv")
    assert "rows imported" in capsys.readouterr().out
    no_ori = _write(tmp_path, "bad.csv", [HEADER.replace("agency_ori", "agency"), _row(world, "B9")])
    with pytest.raises(CommandError, match="required columns missing: agency_ori"):
        call_command("import", "bookings", str(no_ori))


def test_a_booked_person_with_one_name_books_and_one_with_none_is_a_row_error(world, tmp_path):
    one = _row(world, "ONE-NAME", first_name="")
    none = _row(world, "NO-NAME", first_name="", last_name="")
    result = bookings_import(path=_write(tmp_path, "names.csv", [HEADER, one, none]), max_bad_rows=1)
    assert result.rows_imported == 1
    assert Booking.objects.filter(booking_number="ONE-NAME").exists()
    assert not Booking.objects.filter(booking_number="NO-NAME").exists()
    assert any(e.field == "first_name" and "neither a given name nor a surname" in e.message for e in result.errors)


@pytest.mark.django_db
def test_an_a_number_column_is_stored_in_its_nine_digit_form_and_a_malformed_one_is_a_row_error(world, tmp_path):
    header = HEADER + ",a_number"
    rows = [
        _row(world, "AN-1") + ",A12-345-678",
        _row(world, "AN-2") + ",",
        _row(world, "AN-3") + ",A12B",
    ]
    result = bookings_import(path=_write(tmp_path, "anum.csv", [header, *rows]), max_bad_rows=1)
    assert result.rows_imported == 2
    assert dict(Booking.objects.values_list("booking_number", "a_number")) == {"AN-1": "012345678", "AN-2": ""}
    assert any(e.field == "a_number" and "not an A-number" in e.message for e in result.errors)
