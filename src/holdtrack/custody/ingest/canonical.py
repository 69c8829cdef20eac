"""The canonical booking-feed fields (CSV header or NDJSON keys) and the checks every layout shares.

The canonical layout itself is data, ``layouts/canonical.toml`` (each column its own field); any layout is
read by ``layout_convert.LayoutConverter`` with these limits, kinds and time checks."""

from __future__ import annotations

from typing import Any

from holdtrack.custody.ingest.records import FeedRecord, Problems
from holdtrack.custody.models import ReleaseType

COLUMNS = (
    "agency_ori",
    "booking_number",
    "booked_at",
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "sex",
    "birth_country",
    "facility_code",
    "charge_level",
    "charge_type",
    "release_eligible_at",
    "release_eligibility_reason",
    "released_at",
    "release_type",
    "immigration_hold",
    "fbi_number",
    "us_passport_on_file",
    "citizenship_asserted",
    "a_number",
)
# Added after the first layout: feeds written before them stay free of "missing column" drift.
OPTIONAL = ("fbi_number", "us_passport_on_file", "citizenship_asserted", "a_number")
KINDS = {
    "booked_at": "datetime",
    "release_eligible_at": "datetime",
    "released_at": "datetime",
    "date_of_birth": "date",
    "immigration_hold": "boolean",
    "us_passport_on_file": "boolean",
    "citizenship_asserted": "boolean",
}
REQUIRED = ("agency_ori", "booking_number", "booked_at", "first_name", "last_name", "facility_code")
LIMITS = {
    "fbi_number": 20,
    "booking_number": 32,
    "first_name": 80,
    "middle_name": 80,
    "last_name": 120,
    "birth_country": 80,
}


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def check_times(record: FeedRecord, problems: Problems) -> None:
    if record.released_at is not None and record.released_at < record.booked_at:
        problems.append(("released_at", "release precedes the booking"))
    if record.release_eligible_at is not None:
        if record.release_eligible_at < record.booked_at:
            problems.append(("release_eligible_at", "release eligibility precedes the booking"))
        if record.released_at is not None and record.release_eligible_at > record.released_at:
            problems.append(("release_eligible_at", "release eligibility follows the release"))
    if record.release_type and record.released_at is None:
        problems.append(("released_at", "release type given without a release time"))
    if record.released_at is not None and not record.release_type:
        problems.append(("release_type", "release time given without a release type"))
    if record.release_type == ReleaseType.TRANSFER_TO_AGENCY:
        problems.append(("release_type", "TRANSFER_TO_AGENCY names the receiving agency, which this layout lacks"))
    if record.release_eligible_at is not None and not record.release_eligibility_reason:
        problems.append(("release_eligibility_reason", "release eligibility given without a reason"))
