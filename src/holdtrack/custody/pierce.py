"""The Pierce County (WA) jail feed: UWCHR's de-identified bookings with ICE-hold flags
(``../shared/data/pierce-county-bookings/bookings.csv.gz``, GPL v2+, see its README).

One row per booking. It becomes a booking of the Pierce County sheriff (ORI ``WA0530000``, jail ``WA053CJ``,
both synthetic, from ``holdtrack load_reference``) and its release:

- the data is de-identified, so each booking gets its own synthetic subject named ``Pierce`` + the first
  characters of the hashed booking id; no date of birth. Sex and country of birth are kept (a U.S. birth
  country opens a citizenship claim through the normal booking safeguard);
- times are local wall times (to the minute) in America/Los_Angeles and are stored as instants;
- the booking number is the first 32 characters of UWCHR's 40-character hash (the full hash is in the
  provenance row's ``data``);
- the charge is the most serious one: ``charges`` holds its type and seriousness (0 other … 6 class A felony);
  seriousness 4–6 is a felony, 2–3 a misdemeanor, 0–1 an infraction (type ``other``: civil holds, community
  custody …);
- the release disposition maps to a release type (``Immigration`` → custody transferred to the federal
  agency; other agencies' pick-ups are ``OTHER`` because the feed does not name the receiving agency); the
  disposition text is kept on the provenance row;
- release eligibility is not recorded: the feed has no reason for it.

**Immigration holds.** A hold in this feed is the jail's record that ICE lodged a detainer. The detainer
services only represent holds the federal agency issues with an I-200/I-205 under the policy guards
(Washington's Keep Washington Working Act now forbids them), so the feed cannot create a ``Detainer``
faithfully. The hold flag and the outcome derived from the dispositions are stored on the booking's
``BookingImportRow`` instead: ``TRANSFERRED_TO_ICE`` (released to immigration), ``DETAINER_CANCELLED``
(``Cancel Detainer``), ``RELEASED_OTHER`` (any other release).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from holdtrack.custody.ingest.canonical import check_times, text
from holdtrack.custody.ingest.records import FeedMapping, FeedRecord, Problems
from holdtrack.custody.models import ChargeLevel, ReleaseType, Sex

ORI = "WA0530000"
FACILITY_CODE = "WA053CJ"
TIMEZONE = ZoneInfo("America/Los_Angeles")

COLUMNS = (
    "booking_id", "booking_dt", "release_dt", "release_disposition", "imm_hold", "release_to_imm",
    "cancel_detainer", "admin_booking", "gender", "race", "country_of_birth", "born_in_us", "charge_count",
    "charge_topcount", "max_seriousness", "max_charge_type", "felony", "misdemeanor", "paid_bail",
    "bail_total_usd", "in_analysis_sample", "source_files", "charge_records_complete", "n_charge_records",
    "n_charge_records_pr", "imm_hold_charge_dt_release", "last_other_charge_dt_release",
)  # fmt: skip
REQUIRED = ("booking_id", "booking_dt", "release_dt", "release_disposition", "imm_hold", "max_charge_type")
CHARGE_TYPES = ("violent", "property", "drug", "public_order", "sex", "other")
# Kept with the provenance row (analysis fields of UWCHR's file).
KEPT = (
    "booking_id", "release_to_imm", "cancel_detainer", "admin_booking", "race", "born_in_us", "charge_count",
    "felony", "misdemeanor", "paid_bail", "bail_total_usd", "in_analysis_sample", "source_files",
    "charge_records_complete", "n_charge_records", "n_charge_records_pr", "imm_hold_charge_dt_release",
    "last_other_charge_dt_release",
)  # fmt: skip

RELEASE_TYPES: dict[str, str] = {
    "immigration": ReleaseType.TRANSFER_TO_ICE,
    "bail bond": ReleaseType.BOND,
    "cash bail": ReleaseType.BOND,
    "pr": ReleaseType.PR,
    "pr pts": ReleaseType.PR,
    "time served": ReleaseType.TIME_SERVED,
    "credit for time served": ReleaseType.TIME_SERVED,
    "dismissed": ReleaseType.DISMISSED,
    "no charges filed": ReleaseType.DISMISSED,
    "ncf final": ReleaseType.DISMISSED,
    "ncf, pending inv": ReleaseType.DISMISSED,
    "ncf dist": ReleaseType.DISMISSED,
    "ncf tacm": ReleaseType.DISMISSED,
    "ncf, lakewood": ReleaseType.DISMISSED,
    "release without charge": ReleaseType.DISMISSED,
    "no prob cause": ReleaseType.DISMISSED,
    "not guilty verdict": ReleaseType.DISMISSED,
    "quashed": ReleaseType.DISMISSED,
}


def local_instant(value: str) -> datetime:
    """``YYYY-MM-DD HH:MM[:SS]`` jail wall time → an aware instant (the earlier one in the fall-back hour)."""
    # In UTC, so that comparisons and differences are between instants (aware datetimes sharing one tzinfo
    # compare and subtract as wall times in Python).
    return datetime.fromisoformat(value).replace(tzinfo=TIMEZONE).astimezone(UTC)


def hold_outcome(row: Mapping[str, Any]) -> str:
    disposition = text(row.get("release_disposition")).lower()
    if disposition == "immigration":
        return "TRANSFERRED_TO_ICE"
    if disposition == "cancel detainer":
        return "DETAINER_CANCELLED"
    if text(row.get("release_to_imm")) == "1":
        return "TRANSFERRED_TO_ICE"
    if text(row.get("cancel_detainer")) == "1":
        return "DETAINER_CANCELLED"
    return "RELEASED_OTHER"


def _flag(row: Mapping[str, Any], name: str, problems: Problems) -> bool:
    raw = text(row.get(name))
    if raw not in ("0", "1"):
        problems.append((name, f"not 0 or 1: {raw!r}"))
    return raw == "1"


def _time(row: Mapping[str, Any], name: str, problems: Problems) -> datetime | None:
    raw = text(row.get(name))
    if not raw:
        problems.append((name, "missing"))
        return None
    try:
        return local_instant(raw)
    except ValueError:
        problems.append((name, f"not a date-time (YYYY-MM-DD HH:MM): {raw!r}"))
        return None


def convert(row: Mapping[str, Any], row_number: int) -> tuple[FeedRecord | None, Problems]:
    problems: Problems = []
    booking_id = text(row.get("booking_id")).lower()
    if len(booking_id) < 16:
        problems.append(("booking_id", f"not a booking hash: {booking_id!r}"))
    booked_at = _time(row, "booking_dt", problems)
    released_at = _time(row, "release_dt", problems)
    hold = _flag(row, "imm_hold", problems)
    charge_type = text(row.get("max_charge_type")).lower()
    if charge_type not in CHARGE_TYPES:
        problems.append(("max_charge_type", f"unknown charge type {charge_type!r}"))
    raw_seriousness = text(row.get("max_seriousness"))
    seriousness = int(raw_seriousness) if raw_seriousness.isdigit() else -1
    if not 0 <= seriousness <= 6:
        problems.append(("max_seriousness", f"not 0..6: {text(row.get('max_seriousness'))!r}"))
    gender = text(row.get("gender")).upper()
    if gender not in ("MALE", "FEMALE", ""):
        problems.append(("gender", f"unknown gender {gender!r}"))
    disposition = text(row.get("release_disposition"))
    if not disposition:
        problems.append(("release_disposition", "missing"))
    if problems or booked_at is None or released_at is None:
        return None, problems
    level = (
        ChargeLevel.FELONY
        if seriousness >= 4
        else ChargeLevel.MISDEMEANOR
        if seriousness >= 2
        else ChargeLevel.INFRACTION
    )
    country = text(row.get("country_of_birth"))
    record = FeedRecord(
        row_number=row_number,
        agency_ori=ORI,
        booking_number=booking_id[:32],
        booked_at=booked_at,
        facility_code=FACILITY_CODE,
        first_name="Pierce",
        last_name=booking_id[:12],
        sex={"MALE": Sex.MALE, "FEMALE": Sex.FEMALE}.get(gender, Sex.UNKNOWN),
        birth_country="" if country.upper() == "UNKNOWN" else country.title(),
        charge_level=level,
        charges=[{"type": charge_type, "seriousness": seriousness, "most_serious": True}],
        released_at=released_at,
        release_type=RELEASE_TYPES.get(disposition.lower(), ReleaseType.OTHER),
        immigration_hold=hold,
        hold_outcome=hold_outcome(row) if hold else "",
        charge_type=charge_type,
        source_disposition=disposition[:80],
        data={k: text(row.get(k)) for k in KEPT if text(row.get(k))},
    )
    check_times(record, problems)
    return (None, problems) if problems else (record, [])


PIERCE = FeedMapping(
    name="pierce",
    title="Pierce County (WA) jail bookings with ICE holds (UWCHR, de-identified)",
    columns=COLUMNS,
    required_columns=REQUIRED,
    convert=convert,
)
