"""The real Pierce County feed (``../shared/data/pierce-county-bookings``): every booking imported through the
services, and ``report hold-impact`` over the stored bookings agrees with a computation straight from the CSV.

The import of 9,126 bookings goes through the chunked bulk path (a few seconds on either database); one test
covers the import, the report and a re-import.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from holdtrack.custody.models import Booking, BookingImportRow, FeedEvent, ReleaseType
from holdtrack.custody.pierce import convert
from holdtrack.intake.bookings import bookings_import
from holdtrack.reports.hold_impact import hold_impact

REPO_ROOT = Path(__file__).resolve().parents[2]
PIERCE = REPO_ROOT.parent / "shared" / "data" / "pierce-county-bookings" / "bookings.csv.gz"
LOCAL = ZoneInfo("America/Los_Angeles")


def _csv_rows() -> list[dict[str, str]]:
    with gzip.open(PIERCE, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _expected(rows: list[dict[str, str]], *, naive: bool = False) -> dict[tuple[str, bool], list[float]]:
    """Jail days per (charge type, hold), computed from the CSV alone (README: release_dt - booking_dt)."""
    out: dict[tuple[str, bool], list[float]] = defaultdict(list)
    for r in rows:
        booked, released = datetime.fromisoformat(r["booking_dt"]), datetime.fromisoformat(r["release_dt"])
        if not naive:  # the stored instants: local wall time in Pierce County → UTC
            booked = booked.replace(tzinfo=LOCAL).astimezone(UTC)
            released = released.replace(tzinfo=LOCAL).astimezone(UTC)
        days = (released - booked).total_seconds() / 86400
        out[(r["max_charge_type"], r["imm_hold"] == "1")].append(days)
    return out


def _pool(groups: dict[tuple[str, bool], list[float]], hold: bool, types: set[str] | None = None) -> list[float]:
    return [d for (t, h), v in groups.items() if h is hold and (types is None or t in types) for d in v]


def _assert_stats(got: dict, days: list[float]) -> None:
    assert got["count"] == len(days)
    assert got["mean_days"] == pytest.approx(statistics.fmean(days), abs=1e-3)
    assert got["median_days"] == pytest.approx(statistics.median(days), abs=1e-3)


@pytest.fixture
def pierce_lea(db):
    call_command("load_reference", verbosity=0, stdout=io.StringIO())


def test_pierce_row_mapping():
    record, problems = convert(
        {
            "booking_id": "a" * 40,
            "booking_dt": "2017-03-12 01:30:00",
            "release_dt": "2017-03-20 08:00:00",
            "release_disposition": "Immigration",
            "imm_hold": "1",
            "release_to_imm": "1",
            "max_charge_type": "drug",
            "max_seriousness": "4",
            "gender": "FEMALE",
            "country_of_birth": "MEXICO",
        },
        7,
    )
    assert problems == [] and record is not None
    assert (record.agency_ori, record.facility_code, record.booking_number) == ("WA0530000", "WA053CJ", "a" * 32)
    assert record.first_name == "Pierce" and record.release_type == ReleaseType.TRANSFER_TO_ICE
    assert (record.immigration_hold, record.hold_outcome, record.charge_level) == (True, "TRANSFERRED_TO_ICE", "FELONY")
    assert record.booked_at == datetime(2017, 3, 12, 9, 30, tzinfo=UTC)  # 01:30 PST
    bad, problems = convert({"booking_id": "x", "booking_dt": "yesterday", "imm_hold": "2"}, 3)
    assert bad is None
    assert {f for f, _ in problems} >= {"booking_id", "booking_dt", "release_dt", "imm_hold", "max_charge_type"}


@pytest.mark.slow
def test_real_pierce_file_imports_and_hold_impact_matches_the_csv(pierce_lea, capsys):
    if not PIERCE.is_file():
        pytest.skip(f"Pierce County feed not found: {PIERCE} (shared/data is expected beside the repository)")
    rows = _csv_rows()
    assert len(rows) == 9126

    result = bookings_import(path=PIERCE, mapping="pierce")
    assert result.run is not None, result.refused
    assert result.chunks == 5 and result.run.status == "COMPLETE"
    assert (result.rows_read, result.rows_imported, result.rows_rejected) == (9126, 9126, 0)
    assert result.drift["new_columns"] == [] and result.drift["missing_columns"] == []
    assert Booking.objects.filter(custodian__ori="WA0530000", facility__code="WA053CJ").count() == 9126
    assert Booking.objects.filter(released_at__isnull=True).count() == 0
    assert BookingImportRow.objects.filter(event=FeedEvent.BOOKING, immigration_hold=True).count() == sum(
        r["imm_hold"] == "1" for r in rows
    )
    # Synthetic subjects only: placeholder names, no dates of birth.
    assert not Booking.objects.exclude(subject__first_name="Pierce").exists()
    assert not Booking.objects.filter(subject__date_of_birth__isnull=False).exists()
    to_ice = sum(r["release_disposition"] == "Immigration" for r in rows)
    assert Booking.objects.filter(release_type=ReleaseType.TRANSFER_TO_ICE).count() == to_ice

    # Days on the jail's wall clock, as UWCHR counts them (ADR 0023).
    groups = _expected(rows, naive=True)
    report = hold_impact()
    _assert_stats(report["hold"], _pool(groups, True))
    _assert_stats(report["no_hold"], _pool(groups, False))
    for entry in report["by_charge_type"]:
        _assert_stats(entry["hold"], _pool(groups, True, {entry["charge_type"]}))
        _assert_stats(entry["no_hold"], _pool(groups, False, {entry["charge_type"]}))

    # UWCHR's analysis sample leaves out charge type "other"; the README's hold median (≈ 34.8 days) is for it.
    call_command("report", "hold-impact", "--exclude-charge-type", "other", "--format", "json")
    sample = json.loads(capsys.readouterr().out)
    kept = {"violent", "property", "drug", "public_order", "sex"}
    _assert_stats(sample["hold"], _pool(groups, True, kept))
    _assert_stats(sample["no_hold"], _pool(groups, False, kept))
    assert [e["charge_type"] for e in sample["by_charge_type"]] == sorted(kept)
    elapsed = _expected(rows)  # elapsed time differs from the wall-clock definition by at most a DST hour
    assert abs(sample["hold"]["median_days"] - statistics.median(_pool(elapsed, True, kept))) < 1 / 24 + 1e-6

    # Filters: charge type and release period.
    drug = hold_impact(charge_types=["drug"])
    _assert_stats(drug["hold"], _pool(groups, True, {"drug"}))
    assert [e["charge_type"] for e in drug["by_charge_type"]] == ["drug"]
    in_2017 = hold_impact(date_from=datetime(2017, 1, 1).date(), date_to=datetime(2017, 12, 31).date())
    assert 0 < in_2017["hold"]["count"] + in_2017["no_hold"]["count"] < 9126

    # Re-import: the same file is recognized; nothing is written twice.
    again = bookings_import(path=PIERCE, mapping="pierce")
    assert again.already_imported is not None
    assert Booking.objects.count() == 9126 and BookingImportRow.objects.count() == 2 * 9126
