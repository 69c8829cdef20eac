"""The canonical booking-feed layout (CSV header or NDJSON keys)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from holdtrack.custody.ingest.records import FeedMapping, FeedRecord, Problems
from holdtrack.custody.models import ChargeLevel, ReleaseEligibilityReason, ReleaseType, Sex

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
)
# Added after the first layout: feeds written before them stay free of "missing column" drift.
OPTIONAL = ("fbi_number", "us_passport_on_file", "citizenship_asserted")
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
# Looked up once: an enum's ``values`` is rebuilt on every access.
SEXES, LEVELS = list(Sex.values), list(ChargeLevel.values)
REASONS, RELEASE_TYPES = list(ReleaseEligibilityReason.values), list(ReleaseType.values)
TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"0", "false", "no", "n", "f"}


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def parse_instant(value: str) -> datetime:
    """ISO 8601 with a zone offset (a feed's local wall time is ambiguous without one)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("no time zone")
    return parsed


def _instant(row: Mapping[str, Any], name: str, problems: Problems) -> datetime | None:
    raw = text(row.get(name))
    if not raw:
        return None
    try:
        return parse_instant(raw)
    except ValueError as exc:
        problems.append((name, f"not an ISO 8601 date-time with zone: {raw!r} ({exc})"))
        return None


def _choice(row: Mapping[str, Any], name: str, values: list[str], problems: Problems) -> str:
    raw = text(row.get(name)).upper()
    if raw and raw not in values:
        problems.append((name, f"unknown value {raw!r}; expected one of {', '.join(values)}"))
        return ""
    return raw


def _flag(row: Mapping[str, Any], name: str, problems: Problems) -> bool | None:
    raw = text(row.get(name)).lower()
    if not raw:
        return None
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    problems.append((name, f"not a yes/no value: {raw!r}"))
    return None


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


def convert(row: Mapping[str, Any], row_number: int) -> tuple[FeedRecord | None, Problems]:
    problems: Problems = []
    for name in REQUIRED:
        if not text(row.get(name)):
            problems.append((name, "missing"))
    for name, limit in LIMITS.items():
        if len(text(row.get(name))) > limit:
            problems.append((name, f"longer than {limit} characters"))
    booked_at = _instant(row, "booked_at", problems)
    dob: date | None = None
    if raw_dob := text(row.get("date_of_birth")):
        try:
            dob = date.fromisoformat(raw_dob)
        except ValueError:
            problems.append(("date_of_birth", f"not a date (YYYY-MM-DD): {raw_dob!r}"))
    sex = _choice(row, "sex", SEXES, problems) or Sex.UNKNOWN
    level = _choice(row, "charge_level", LEVELS, problems) or ChargeLevel.MISDEMEANOR
    reason = _choice(row, "release_eligibility_reason", REASONS, problems)
    release_type = _choice(row, "release_type", RELEASE_TYPES, problems)
    hold = _flag(row, "immigration_hold", problems)
    passport = _flag(row, "us_passport_on_file", problems)
    asserted = _flag(row, "citizenship_asserted", problems)
    eligible_at = _instant(row, "release_eligible_at", problems)
    released_at = _instant(row, "released_at", problems)
    if problems or booked_at is None:
        return None, problems
    charge_type = text(row.get("charge_type")).lower()
    record = FeedRecord(
        row_number=row_number,
        agency_ori=text(row.get("agency_ori")).upper(),
        booking_number=text(row.get("booking_number")),
        booked_at=booked_at,
        facility_code=text(row.get("facility_code")).upper(),
        first_name=text(row.get("first_name")),
        middle_name=text(row.get("middle_name")),
        last_name=text(row.get("last_name")),
        date_of_birth=dob,
        sex=sex,
        birth_country=text(row.get("birth_country")),
        charge_level=level,
        charges=[{"type": charge_type}] if charge_type else [],
        release_eligible_at=eligible_at,
        release_eligibility_reason=reason,
        released_at=released_at,
        release_type=release_type,
        immigration_hold=hold,
        charge_type=charge_type[:24],
        fbi_number=text(row.get("fbi_number")).upper(),
        us_passport_on_file=bool(passport),
        citizenship_asserted=bool(asserted),
    )
    check_times(record, problems)
    return (None, problems) if problems else (record, [])


CANONICAL = FeedMapping(
    name="canonical",
    title="holdtrack canonical booking feed",
    columns=COLUMNS,
    required_columns=REQUIRED,
    convert=convert,
    optional_columns=OPTIONAL,
    kinds=KINDS,
)
