"""Cell conventions of ICE's FOIA detainer releases (domain.md A1.8, A1.9, A4.4): nulls and redaction markers,
dates in the formats the releases use, lift reasons and their outcome groups, state names, detainer forms, and
the expected type of a documented column."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from holdtrack.cases.models import LIFT_REASON_GROUP, FormType, OutcomeGroup
from holdtrack.reports.foia_layouts import column_key

NULL_MARKERS = frozenset({"", "NA", "N/A", "NULL", "#N/A"})
# FOIA exemption markers, alone or in a list: "(b)(6)", "(b)(6)(b)(7)(c)", "(b)(6), (b)(7)(C)".
REDACTION = re.compile(r"(?:\(\s*b\s*\)\s*\(\s*\d\s*\)(?:\s*\(\s*[a-z]\s*\))?[\s,;/&]*(?:and\s+)?)+", re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:\s.*)?")
_FORM = re.compile(r"I\s*-?\s*247\s*([A-Z])?\b")
_EXCEL_EPOCH = date(1899, 12, 30)
_FORM_CODES = frozenset(FormType.values)

# "Transferred" and the older wording below appear in the 2007–2015 files (FY2015 release, FOIA 15-06333)
# and are not in the A1.8 table.
EXTRA_LIFT_REASON_GROUP: dict[str, str] = {
    "Noncitizen Not Amenable to Removal": OutcomeGroup.LIFTED_BY_ICE,
    "Transferred": OutcomeGroup.TRANSFERRED_WITH_CUSTODY,
    "Alien Not Subject to Deportation": OutcomeGroup.LIFTED_BY_ICE,
    "United States Citizen Interviewed": OutcomeGroup.LIFTED_BY_ICE,
    # The agency lacked the funds or bed space to take custody: the person left local custody without
    # pickup, the same group as "ICE Temporary Resource Constraint".
    "Lifted - Lack of Funds": OutcomeGroup.RELEASED_BEFORE_PICKUP,
    "Lifted - Lack of Space": OutcomeGroup.RELEASED_BEFORE_PICKUP,
    # OutcomeGroup has no group for a death in custody and this import may not add one. The detainer ended
    # without a transfer and the record gives no more, so it is counted with the generic "Lifted"; it is
    # not "open or unknown", because the detainer is known to have ended.
    "Died": OutcomeGroup.LIFTED_UNSPECIFIED,
}


def reason_key(value: str) -> str:
    return " ".join(value.split()).casefold()


LIFT_REASON_OUTCOMES: dict[str, str] = {
    reason_key(str(reason)): str(group)
    for reason, group in (*LIFT_REASON_GROUP.items(), *EXTRA_LIFT_REASON_GROUP.items())
}

USPS_STATES: dict[str, str] = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA", "COLORADO": "CO",
    "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC", "FLORIDA": "FL", "GEORGIA": "GA",
    "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL", "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS",
    "KENTUCKY": "KY", "LOUISIANA": "LA", "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA",
    "MICHIGAN": "MI", "MINNESOTA": "MN", "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT",
    "NEBRASKA": "NE", "NEVADA": "NV", "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM",
    "NEW YORK": "NY", "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK",
    "OREGON": "OR", "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA", "WASHINGTON": "WA",
    "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
    "AMERICAN SAMOA": "AS", "GUAM": "GU", "NORTHERN MARIANA ISLANDS": "MP", "PUERTO RICO": "PR",
    "VIRGIN ISLANDS": "VI", "U.S. VIRGIN ISLANDS": "VI", "US VIRGIN ISLANDS": "VI",
    "UNITED STATES MINOR OUTLYING ISLANDS": "UM", "WASHINGTON DC": "DC", "WASHINGTON D.C.": "DC",
}  # fmt: skip
_USPS_CODES = frozenset(USPS_STATES.values())


def state_code(value: str) -> str | None:
    """USPS code for a state or territory given by name (any case) or code; None when not recognized."""
    text = " ".join(value.split()).upper()
    if text in _USPS_CODES:
        return text
    return USPS_STATES.get(text)


def form_type(detainer_type: str | None) -> str:
    """FormType of a verbatim detainer type ("I247D - Immigration Detainer - …" → I247D); "" if unknown."""
    if not detainer_type:
        return ""
    match = _FORM.match(detainer_type.strip().upper())
    if match is None:
        return ""
    code = "I247" + (match.group(1) or "")
    return code if code in _FORM_CODES else ""


def parse_date(value: Any) -> date:
    """A cell as a date: Excel date/datetime, Excel serial number, ISO text, or M/D/YYYY (or M/D/YY) text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's own range of serial dates
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(f"not a date: {value!r}")
    text = str(value).strip()
    if len(text) == 10 and text[4] == "-":
        return date.fromisoformat(text)
    if m := _ISO_DATE.fullmatch(text):
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _US_DATE.fullmatch(text):
        year = int(m.group(3))
        if len(m.group(3)) == 2:  # the NPR files write 2-digit years (their dates run 2007–2017)
            year += 2000 if year < 70 else 1900
        return date(year, int(m.group(1)), int(m.group(2)))
    raise ValueError(f"not a date: {text!r}")


def column_kind(name: str) -> str:
    """Expected type of a documented column, from its name (the releases name their columns consistently)."""
    parts = column_key(name).split("_")
    if parts[-2:] == ["yes", "no"]:
        return "yes_no"
    if "date" in parts:
        return "date"
    if parts[-1] in {"year", "days", "months", "years", "day", "month"}:
        return "integer"
    return "text"


def convert_extra(kind: str, value: Any) -> Any:
    """JSON-ready value of an ``extra`` column; ValueError when it does not fit the documented type."""
    if kind == "date":
        return parse_date(value).isoformat()
    if kind == "integer":
        if isinstance(value, int | float) and not isinstance(value, bool):
            if float(value).is_integer():
                return int(value)
            raise ValueError(value)
        return int(str(value).strip().removesuffix(".0"))
    if kind == "yes_no":
        text = str(value).strip()
        if text.upper() not in {"YES", "NO", "Y", "N"}:
            raise ValueError(text)
        return text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value if isinstance(value, int | float | bool) else str(value).strip()
