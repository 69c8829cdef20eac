"""Import ICE's public detainer releases (FOIA) into ``FoiaImportRun`` / ``FoiaDetainer``.

The releases differ in column names, header position and cell conventions (domain.md A1.9, A4.4), so:

- the layout is detected from the header row, which may follow a preamble (Excel releases have 6 rows of
  title and notes before it); header names are compared case- and punctuation-insensitively;
- every row is validated before anything is written, and errors name ``file:row:field``; more bad rows than
  the caller allows and nothing at all is saved;
- redaction markers such as "(b)(6)(b)(7)(c)" become null and are listed per row; "NA" and blanks are null;
- lift reasons map to outcome groups (A1.8 plus the values of the FY2015 release); an unknown reason is a row
  error unless the caller accepts it, because a silent default would skew the outcome statistics;
- columns added, missing or holding values of another type than the layout documents are reported and kept
  with the run (schema drift), never dropped silently; columns that identify a person are not stored.

A file is identified by its SHA-256: importing it again finds the earlier run and writes nothing.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from holdtrack.cases.models import LIFT_REASON_GROUP, FormType, OutcomeGroup
from holdtrack.core.timeutil import now
from holdtrack.reports.models import FoiaDetainer, FoiaImportRun, FoiaImportStatus

BATCH_SIZE = 5000
KEEP_IN_MEMORY = 250_000  # validated rows held for the save; larger files are read twice
HEADER_SCAN_ROWS = 30  # the header is searched for in this many leading rows (preamble + header)
MAX_STORED_ERRORS = 1000
MAX_EXAMPLES = 3

# progress(stage, done, total): stage is "reading" (total None) or "saving".
ProgressCallback = Callable[[str, int, int | None], None]


class FoiaImportError(Exception):
    """The file as a whole cannot be imported (unreadable, no known header)."""


# --- canonical fields and layouts -----------------------------------------------------------------

# Fields that FoiaDetainer stores in their own columns; every other source column goes to ``extra``.
CANONICAL_FIELDS = ("prepare_date", "detainer_type", "facility_name", "facility_code", "state", "city", "lift_reason")
REQUIRED_FIELDS = ("prepare_date", "lift_reason")
TEXT_LIMITS = {"detainer_type": 200, "facility_name": 200, "facility_code": 20, "city": 100, "lift_reason": 120}


def column_key(name: str) -> str:
    """Header names compare without case and punctuation: "Detainer Prepare Date" == "Detainer_Prepare_Date"."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    # canonical field -> accepted header names; the first is the documented one
    fields: dict[str, tuple[str, ...]]
    # further documented columns (kept in ``extra``); absent ones are reported as missing
    columns: tuple[str, ...] = ()
    # names seen in some files of the release but not documented for all: recognized, never reported missing
    also_seen: tuple[str, ...] = ()
    # canonical fields whose absence is not drift (the release is not known to carry them)
    optional_fields: frozenset[str] = frozenset()

    def known_keys(self) -> set[str]:
        keys = {column_key(c) for c in (*self.columns, *self.also_seen)}
        for names in self.fields.values():
            keys.update(column_key(n) for n in names)
        return keys


SNAKE_6 = Layout(
    name="snake-6col",
    title="6 snake_case columns (the shipped FY2015 national and Pennsylvania extracts)",
    fields={
        "prepare_date": ("prepare_date",),
        "detainer_type": ("detainer_type",),
        "facility_name": ("detention_facility",),
        "state": ("state",),
        "city": ("city",),
        "lift_reason": ("lift_reason",),
    },
)

ICLI_00019 = Layout(
    name="ice-2025-icli-00019",
    title="ERO Detainers LESA-STU, release 2025-ICLI-00019_2024-ICFO-39357 (Excel, 6 preamble rows)",
    fields={
        "prepare_date": ("Detainer Prepare Date",),
        "detainer_type": ("Detainer Type",),
        "facility_name": ("Detention Facility",),
        "facility_code": ("Detention Facility Code",),
        "state": ("Facility State",),
        "city": ("Facility City",),
        "lift_reason": ("Detainer Lift Reason",),
    },
    columns=(
        "Facility AOR", "Port of Departure", "Departure Country", "Departed Date", "Case Status",
        "Detainer Prepared Criminality", "Detainer Prep Threat Level", "Gender", "Citizenship Country",
        "Birth Country", "Birth Date", "Birth Year", "Entry Status", "Most Serious Conviction (MSC) Charge",
        "MSC Sentence Days", "MSC Sentence Months", "MSC Sentence Years", "MSC Charge Code", "MSC Charge Date",
        "MSC Conviction Date", "Felon", "Processing Disposition", "Case Category", "Final Program",
        "Time of Apprehension Case Category", "Time of Apprehension Current Program", "Apprehension Method",
        "Case Final Order Yes No", "Final Order Date", "Apprehension Date", "Entry Date", "Prior Felony Yes No",
        "Multiple Prior MISD Yes No", "Violent Misdemeanor Yes No", "Illegal Entry Yes No",
        "Illegal Reentry Yes No", "Immigration Fraud Yes No", "Significant Risk Yes No",
        "Other Removal Reason Yes No", "Other Removal Reason", "Criminal Street Gang Yes No",
        "Aggravated Felony Yes No", "Deportation Ordered Yes No", "Order to Show Cause Served Yes No",
        "Order to Show Cause Served Date", "Biometric Match Yes No", "Statements Made Yes No",
        "Unlawful Attempt Yes No", "Unlawful Entry Yes No", "Visa Yes No", "Final Order Yes No",
        "Federal Interest Yes No", "Resume Custody Yes No", "Alien File Number", "EID Case ID",
        "EID Subject ID", "EID DTA ID", "Unique Identifier",
    ),
)  # fmt: skip

MARCH_2026 = Layout(
    name="ice-2026-03",
    title='"March 2026 Release" 2026-ICLI-00005 (Detainers FY25/FY26), underscore names',
    fields={
        "prepare_date": ("Detainer_Prepare_Date",),
        "detainer_type": ("Detainer_Type",),
        "facility_name": ("Detainer_Facility",),
        "facility_code": ("Detainer_Facility_Code",),
        "state": ("Facility_State",),
        "city": ("Facility_City",),
        "lift_reason": ("Detainer_Lift_Reason",),
    },
    columns=(
        "Facility_AOR", "Port_of_Departure", "Departure_Country", "Departed_Date", "Case_Status",
        "Detainer_Criminality", "Detainer_Threat_Level", "Gender", "Citizenship_Country", "Birth_Country",
        "Birth_Year", "Entry_Status", "MSC_Charge", "MSC_Sentence_Days", "MSC_Sentence_Months",
        "MSC_Sentence_Years", "MSC_Charge_Code", "MSC_Charge_Date", "MSC_Conviction_Date",
        "Aggravated_Felon_Yes_No", "Processing_Disposition", "Case_Category", "TOA_Case_Category",
        "TOA_Current_Program", "Apprehension_Method", "Final_Order_Yes_No", "Final_Order_Date",
        "Apprehension_Date", "Entry_Date", "Prior_Felony_Yes_No", "Multiple_Prior_MISD_Yes_No",
        "Violent_Misdemeanor_Yes_No", "Illegal_Entry_Yes_No", "Illegal_Reentry_Yes_No",
        "Immigration_Fraud_Yes_No", "Significant_Risk_Yes_No", "Other_Removal_Reason_Yes_No",
        "Other_Removal_Reason", "Criminal_Street_Gang_Yes_No", "Aggravated_Felony_Yes_No",
        "Deportation_Ordered_Yes_No", "Order_to_Show_Cause_Served_Yes_No", "Order_to_Show_Cause_Served_Date",
        "Biometric_Match_Yes_No", "Statements_Made_Yes_No", "Unlawful_Attempt_Yes_No", "Unlawful_Entry_Yes_No",
        "Visa_Yes_No", "Federal_Register_Notice_Yes_No", "Resume_Custody_Yes_No", "Detainer_Lift_Reason_Code",
        "Active_Investigation_Yes_No", "Arrest_Warrant_Served_Date", "Notify_Release_Request_Yes_No",
        "TOD_Current_Duty_Site", "EID_DTA_ID", "Anonymized_Identifier",
    ),
)  # fmt: skip

ICFO_18038 = Layout(
    name="ice-2025-icfo-18038",
    title="Release 2025-ICFO-18038 (June 2017 to March 2025), wide underscore extract",
    fields={
        "prepare_date": ("Detainer_Prepare_Date",),
        "detainer_type": ("Detainer_Type",),
        "facility_name": ("Detainer_Detention_Facility", "Detainer_Facility"),
        "facility_code": ("Detainer_Detention_Facility_Code", "Detainer_Facility_Code"),
        "state": ("Facility_State", "Detainer_Facility_State"),
        "city": ("Facility_City", "Detainer_Facility_City"),
        "lift_reason": ("Detainer_Lift_Reason",),
    },
    columns=(
        "Detainer_ID", "Detainer_Lift_Date", "Detainer_Lift_Reason_Code", "Detainer_Lift_Reason2",
        "Detainer_Lift_Reason_Code2", "Arrest_Warrant_Served_Yes_No", "Arrest_Warrant_Served_Date",
        "Deportation_Ordered_Yes_No", "Active_Investigation_Yes_No", "Order_to_Show_Cause_Served_Yes_No",
        "Order_to_Show_Cause_Served_Date", "Biometric_Match_Yes_No", "Statements_Made_Yes_No",
        "Prior_Felony_Yes_No", "Multiple_Prior_Misd_Yes_No", "Violent_Misdemeanor_Yes_No",
        "Illegal_Entry_Yes_No", "Illegal_Reentry_Yes_No", "Immigration_Fraud_Yes_No", "Significant_Risk_Yes_No",
        "Other_Removal_Reason_Yes_No", "Other_Removal_Reason", "Aggravated_Felony_Yes_No",
        "Criminal_Street_Gang_Yes_No", "Detainer_Request_Upon_Conviction_Yes_No", "Resume_Custody_Yes_No",
        "Component_Notified", "Previous_Detainer_Cancel_Yes_No", "Previous_Detainer_Cancel_Prep_Date",
        "Unlawful_Entry_Yes_No", "Unlawful_Attempt_Yes_No", "Final_Order_Yes_No", "Federal_Interest_Yes_No",
        "Visa_Yes_No", "Death_Transfer_Notify_Request_Yes_No", "Federal_Register_Notice_Yes_No",
        "Notify_Release_Request_Yes_No", "Request_Acceptance_Yes_No", "Return_Signature_Request_Yes_No",
        "Return_Envelope_Include_Yes_No", "Return_by_Fax_Yes_No", "Detainer_AOR", "Program", "Active_Yes_No",
        "Government_Employee_ID", "Return_to_Employee_ID", "Detainer_Inmate_Number_Type_Code",
        "Detainer_Facility_Other_Type", "Other_Detainer_Facility_Name", "Projected_Release_Date",
        "Projected_Release_Day", "Projected_Release_Month", "Projected_Release_Year",
        "Detainer_Facility_Function", "Detainer_Facility_Type", "Apprehension_AOR", "Apprehension_Site",
        "Apprehension_Site_Landmark", "Apprehension_Final_Program", "Apprehension_Method",
        "Apprehension_Program", "Apprehension_Program_Group", "Apprehension_Date", "Port_of_Departure",
        "Departure_Country", "Departed_Date", "Case_Category", "Gender", "Birth_Country", "Birth_City",
        "Birth_State", "Citizenship_Country", "Birth_Date", "Birth_Year", "Race", "Ethnicity",
        "Admission_Class", "Student_Violator_Yes_No", "Non_Immigrant_Status_Violation_Yes_No",
        "Non_Immigrant_Overstay_Yes_No", "EO_VISA_Abuse_Flag", "EO_Person_Visa_Abuse_Yes_No", "EO_Gang_Flag",
        "EO_Person_Gang_Flag", "Entry_Status", "Entry_Date", "Latest_Entry_Status", "Latest_Entry_Date",
        "Final_Order_Date", "Detainer_Most_Serious_Conviction_Charge_Code",
        "Detainer_Most_Serious_Conviction_Charge", "Detainer_Most_Serious_Conviction_Crime_Class",
        "Detainer_Most_Serious_Conviction_Criminal_Charge_Status",
        "Detainer_Most_Serious_Conviction_Conviction_Date", "Detainer_Most_Serious_Conviction_Charge_Date",
        "Detainer_Most_Serious_Conviction_Sentence_Days", "Detainer_Most_Serious_Conviction_Sentence_Months",
        "Detainer_Most_Serious_Conviction_Sentence_Years", "Detainer_Most_Serious_Charge_Code",
        "Detainer_Most_Serious_Charge", "Detainer_Most_Serious_Charge_Crime_Class",
        "Detainer_Most_Serious_Criminal_Charge_Status", "Detainer_Most_Serious_Charge_Date",
        "Detainer_Most_Serious_Charge_Sentence_Days", "Detainer_Most_Serious_Charge_Sentence_Months",
        "Detainer_Most_Serious_Charge_Sentence_Years", "Detainer_Most_Serious_Pending_Charge_Code",
        "Detainer_Most_Serious_Pending_Charge", "Detainer_Most_Serious_Pending_Criminal_Charge_Status",
        "Detainer_Most_Serious_Pending_Crime_Class", "Detainer_Most_Serious_Pending_Conviction_Date",
        "Detainer_Most_Serious_Pending_Charge_Date", "Detainer_Most_Serious_Pending_Sentence_Days",
        "Detainer_Most_Serious_Pending_Sentence_Months", "Detainer_Most_Serious_Pending_Sentence_Years",
        "Aggravated_Felon_Type", "Mandatory_Detention_Yes_No", "Detainer_Prepared_Criminality",
        "Detainer_Threat_Level", "Processing_Disposition", "Latest_Detainer_Yes_No",
        "Detainer_Removal_Case_Yes_No", "Current_Yes_No", "EID_DTA_ID", "EID_DTA_Create_Date", "EID_Subject_ID",
        "EID_Civilian_ID", "EID_Person_ID", "EID_Case_ID", "Alien_Number_Unique_Identifier", "Alien_File_Number",
        "Subject_Name", "Detainer_Prepare_Fiscal_Year",
    ),
    optional_fields=frozenset({"state", "city"}),
)  # fmt: skip

NPR_PRE2017 = Layout(
    name="npr-pre2017",
    title="Files for FY2008 to June 2017 obtained by NPR (CSV or tab-separated TXT, M/D/YY dates)",
    fields={
        "prepare_date": ("Prepare Date",),
        "detainer_type": ("Detainer Type",),
        "facility_name": ("Detainer Detention Facility",),
        "facility_code": ("Detainer Detention Facility Code",),
        "state": ("State",),
        "city": ("City",),
        "lift_reason": ("Detainer Lift Reason",),
    },
    also_seen=("Area Of Responsibility", "Detainer Lift Reason 2 Code", "Osc Served Yes No", "Osc Served Date"),
    optional_fields=frozenset({"facility_code"}),
)

LAYOUTS: dict[str, Layout] = {
    layout.name: layout for layout in (SNAKE_6, ICLI_00019, ICFO_18038, MARCH_2026, NPR_PRE2017)
}

# Columns that identify a person (or an officer) are recognized but never stored: holdtrack keeps no
# identifiers of real people (README, Data). Public releases mostly redact them anyway.
WITHHELD_KEYS = frozenset(
    column_key(c)
    for c in (
        "Alien File Number", "Alien_Number_Unique_Identifier", "Unique Identifier", "Anonymized_Identifier",
        "EID Subject ID", "EID Case ID", "EID DTA ID", "EID_Civilian_ID", "EID_Person_ID", "Subject_Name",
        "Birth Date", "Government_Employee_ID", "Return_to_Employee_ID",
    )
)  # fmt: skip


# --- value conventions ----------------------------------------------------------------------------

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


def _reason_key(value: str) -> str:
    return " ".join(value.split()).casefold()


LIFT_REASON_OUTCOMES: dict[str, str] = {
    _reason_key(str(reason)): str(group)
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


def _column_kind(name: str) -> str:
    """Expected type of a documented column, from its name (the releases name their columns consistently)."""
    parts = column_key(name).split("_")
    if parts[-2:] == ["yes", "no"]:
        return "yes_no"
    if "date" in parts:
        return "date"
    if parts[-1] in {"year", "days", "months", "years", "day", "month"}:
        return "integer"
    return "text"


def _convert_extra(kind: str, value: Any) -> Any:
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


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.field}: {self.message}"


@dataclass
class FoiaImportResult:
    file_name: str
    sha256: str
    layout: str = ""
    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    drift: dict[str, Any] = field(default_factory=dict)
    months: list[str] = field(default_factory=list)
    seconds: float = 0.0
    run: FoiaImportRun | None = None
    already_imported: FoiaImportRun | None = None
    refused: str = ""  # why nothing was saved, when the bad rows exceed the threshold

    @property
    def saved(self) -> bool:
        return self.run is not None and self.already_imported is None


# --- reading --------------------------------------------------------------------------------------


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04" and path.suffix.lower() in {".xlsx", ".xlsm"}


def _read_text(path: Path) -> tuple[str, str]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # Older agency exports are Windows-1252; every byte decodes, so nothing is lost.
        return raw.decode("cp1252"), "cp1252"


def _tables(path: Path, drift: dict[str, Any]) -> Iterator[tuple[str, Iterator[Sequence[Any]], bool]]:
    """(sheet name, rows, strict width) for each sheet of a workbook, or one table for a CSV/TXT file (optionally
    .gz). A CSV row must be as wide as its header; a worksheet row may end early or carry empty cells past it."""
    if _is_xlsx(path):
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                yield sheet.title, sheet.iter_rows(values_only=True), False
        finally:
            workbook.close()
        return
    text, encoding = _read_text(path)
    if encoding != "utf-8":
        drift["encoding"] = encoding
    first_line = text[: text.find("\n")] if "\n" in text else text
    # The NPR files named .csv are tab-separated (domain.md A1.9, source code cited there).
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    yield "", csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), True


UNNAMED = "unnamed"  # column kind of a header cell left blank


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


@dataclass
class _Plan:
    """How the columns of one table map onto FoiaDetainer."""

    layout: Layout
    header: list[str]
    index: dict[str, int]  # canonical field -> column index
    extras: list[tuple[int, str, str]]  # (column index, verbatim header, expected kind) stored in ``extra``
    withheld: list[str]
    new: list[str]
    missing: list[str]
    duplicates: list[str]
    strict_width: bool = True


def _score(layout: Layout, keys: set[str]) -> tuple[int, int] | None:
    """(columns recognized, -documented columns missing), or None when a required field is absent."""
    for name in REQUIRED_FIELDS:
        if not any(column_key(n) in keys for n in layout.fields[name]):
            return None
    documented = {column_key(c) for c in layout.columns}
    for name, names in layout.fields.items():
        if name not in layout.optional_fields:
            documented.add(column_key(names[0]))
    return len(keys & layout.known_keys()), -len(documented - keys)


def _find_header(
    rows: Iterator[Sequence[Any]], layouts: Sequence[Layout]
) -> tuple[Layout | None, list[str], int, list[list[str]]]:
    """Consume rows up to and including the header: (layout, header, preamble rows skipped, rows seen)."""
    seen: list[list[str]] = []
    for position, row in enumerate(rows):
        if position >= HEADER_SCAN_ROWS:
            break
        cells = [_cell_text(v) for v in row]
        keys = {column_key(c) for c in cells if c}
        scored = [(s, -i, layout) for i, layout in enumerate(layouts) if (s := _score(layout, keys)) is not None]
        if scored:
            return max(scored, key=lambda t: (t[0], t[1]))[2], cells, position, seen
        if any(cells):
            seen.append(cells)
    return None, [], 0, seen


def _plan(layout: Layout, header: list[str]) -> _Plan:
    positions: dict[str, int] = {}
    duplicates: list[str] = []
    for i, name in enumerate(header):
        key = column_key(name)
        if key in positions:
            duplicates.append(name)
        elif key:
            positions[key] = i
    index: dict[str, int] = {}
    missing: list[str] = []
    for name, names in layout.fields.items():
        found = next((positions[column_key(n)] for n in names if column_key(n) in positions), None)
        if found is not None:
            index[name] = found
        elif name not in layout.optional_fields:
            missing.append(names[0])
    canonical_columns = set(index.values())
    known = layout.known_keys()
    documented = {column_key(c): c for c in layout.columns}
    missing += [c for k, c in documented.items() if k not in positions]
    extras: list[tuple[int, str, str]] = []
    withheld: list[str] = []
    new: list[str] = []
    for i, name in enumerate(header):
        key = column_key(name)
        if not key:
            # A column without a name: its values are kept if it has any, and then reported as new.
            extras.append((i, f"(column {i + 1})", UNNAMED))
            continue
        if i in canonical_columns or positions.get(key) != i:
            continue
        if key in WITHHELD_KEYS:
            withheld.append(name)
            continue
        if key in known:
            extras.append((i, name, _column_kind(name)))
        else:
            new.append(name)
            extras.append((i, name, "text"))  # kept verbatim; its type is not documented
    return _Plan(layout, header, index, extras, withheld, new, missing, duplicates)


# --- the import -----------------------------------------------------------------------------------


@dataclass
class _Tally:
    retyped: dict[str, dict[str, Any]] = field(default_factory=dict)
    unnamed_used: list[str] = field(default_factory=list)
    unknown_reasons: Counter[str] = field(default_factory=Counter)
    unknown_types: Counter[str] = field(default_factory=Counter)

    def bad_value(self, column: str, kind: str, value: Any) -> None:
        entry = self.retyped.setdefault(column, {"expected": kind, "bad_values": 0, "examples": []})
        entry["bad_values"] += 1
        if len(entry["examples"]) < MAX_EXAMPLES:
            entry["examples"].append(str(value)[:40])


def _clean(value: Any) -> tuple[Any, bool]:
    """(value or None, redacted?) for one cell."""
    if value is None:
        return None, False
    if isinstance(value, str):
        text = value.strip()
        if text.upper() in NULL_MARKERS:
            return None, False
        if text[0] == "(" and REDACTION.fullmatch(text):
            return None, True
        return text, False
    return value, False


def _convert_row(
    values: Sequence[Any],
    plan: _Plan,
    row_no: int,
    file_name: str,
    sha: str,
    allow_unknown: bool,
    tally: _Tally,
    errors: list[RowError],
) -> FoiaDetainer | None:
    ncols = len(plan.header)
    if len(values) != ncols:
        surplus = [v for v in values[ncols:] if _cell_text(v)]
        if surplus or plan.strict_width:
            errors.append(RowError(file_name, row_no, "row", f"{len(values)} cells; the header has {ncols}"))
            return None
        values = [*values[:ncols], *([None] * (ncols - len(values)))]
    redacted: list[str] = []
    found: dict[str, Any] = {}
    row_errors: list[RowError] = []
    for name, i in plan.index.items():
        value, was_redacted = _clean(values[i])
        if was_redacted:
            redacted.append(plan.header[i])
        if value is not None and name != "prepare_date":
            value = _cell_text(value)
            limit = TEXT_LIMITS.get(name)
            if limit and len(value) > limit:
                row_errors.append(RowError(file_name, row_no, name, f"longer than {limit} characters"))
        found[name] = value

    prepare: date | None = None
    raw_date = found.get("prepare_date")
    if raw_date is None:
        why = "redacted" if plan.header[plan.index["prepare_date"]] in redacted else "missing"
        row_errors.append(RowError(file_name, row_no, "prepare_date", f"prepare date {why}"))
    else:
        try:
            prepare = parse_date(raw_date)
        except ValueError:
            row_errors.append(RowError(file_name, row_no, "prepare_date", f"not a date: {raw_date!r}"))

    reason = found.get("lift_reason")
    if reason is None:
        outcome = str(OutcomeGroup.OPEN_OR_UNKNOWN)
    elif (mapped := LIFT_REASON_OUTCOMES.get(_reason_key(reason))) is not None:
        outcome = mapped
    elif allow_unknown:
        outcome = str(OutcomeGroup.OPEN_OR_UNKNOWN)
        tally.unknown_reasons[reason] += 1
    else:
        outcome = ""
        row_errors.append(RowError(file_name, row_no, "lift_reason", f"unknown lift reason {reason!r}"))

    state: str | None = None
    if (raw_state := found.get("state")) is not None:
        state = state_code(raw_state)
        if state is None:
            row_errors.append(RowError(file_name, row_no, "state", f"unknown state or territory {raw_state!r}"))

    extra: dict[str, Any] = {}
    for i, header, kind in plan.extras:
        value, was_redacted = _clean(values[i])
        if was_redacted:
            redacted.append(header)
        if value is None:
            continue
        if kind == UNNAMED and header not in tally.unnamed_used:
            tally.unnamed_used.append(header)
        try:
            extra[header] = _convert_extra(kind, value)
        except (ValueError, TypeError):
            tally.bad_value(header, kind, value)
            extra[header] = _convert_extra("text", value)

    if row_errors or prepare is None:
        errors.extend(row_errors)
        return None
    detainer_type = found.get("detainer_type")
    normalized_form = form_type(detainer_type)
    if detainer_type and not normalized_form:
        tally.unknown_types[detainer_type] += 1
    return FoiaDetainer(
        file_sha256=sha,
        source_row=row_no,
        prepare_date=prepare,
        prepare_month=prepare.replace(day=1),
        detainer_type=detainer_type,
        form_type=normalized_form,
        facility_name=found.get("facility_name"),
        facility_code=found.get("facility_code"),
        state=state,
        city=found.get("city"),
        lift_reason=reason,
        outcome_group=outcome,
        redacted_fields=redacted,
        extra=extra,
    )


class _Scan:
    """One pass over a file: yields its good rows and records errors and drift on the way."""

    def __init__(self, path: Path, sha: str, layouts: Sequence[Layout], allow_unknown: bool) -> None:
        self.path = path
        self.sha = sha
        self.layouts = list(layouts)
        self.allow_unknown = allow_unknown
        self.chosen: Layout | None = None
        self.drift: dict[str, Any] = {}
        self.errors: list[RowError] = []
        self.tally = _Tally()
        self.new: list[str] = []
        self.missing: list[str] = []
        self.withheld: list[str] = []
        self.duplicates: list[str] = []
        self.sheets: list[dict[str, Any]] = []
        self.skipped_sheets: list[str] = []
        self.rows_read = 0

    def rows(self, progress: ProgressCallback | None = None) -> Iterator[FoiaDetainer]:
        name = self.path.name
        try:
            for sheet, rows, strict_width in _tables(self.path, self.drift):
                layouts = [self.chosen] if self.chosen else self.layouts
                found, header, preamble, seen_rows = _find_header(rows, layouts)
                if found is None:
                    if sheet:  # a notes or cover sheet of a workbook
                        self.skipped_sheets.append(sheet)
                        continue
                    seen = "; ".join(", ".join(c for c in r if c)[:200] for r in seen_rows[:3]) or "nothing"
                    wanted = " or ".join(layout.name for layout in layouts)
                    raise FoiaImportError(
                        f"{name}: no header row of layout {wanted} in the first {HEADER_SCAN_ROWS} rows (saw: {seen})"
                    )
                self.chosen = found
                plan = _plan(found, header)
                plan.strict_width = strict_width
                for mine, theirs in (
                    (self.new, plan.new),
                    (self.missing, plan.missing),
                    (self.withheld, plan.withheld),
                    (self.duplicates, plan.duplicates),
                ):
                    mine += [c for c in theirs if c not in mine]
                first_row = self.rows_read + 1
                for values in rows:
                    if not any(v is not None and v != "" for v in values):
                        continue  # blank line, or Excel's trailing empty rows
                    self.rows_read += 1
                    detainer = _convert_row(
                        values, plan, self.rows_read, name, self.sha, self.allow_unknown, self.tally, self.errors
                    )
                    if detainer is not None:
                        yield detainer
                    if progress is not None and self.rows_read % BATCH_SIZE == 0:
                        progress("reading", self.rows_read, None)
                self.sheets.append({"sheet": sheet, "preamble_rows": preamble, "rows": [first_row, self.rows_read]})
        except (OSError, EOFError, csv.Error, gzip.BadGzipFile) as exc:
            raise FoiaImportError(f"{name}: cannot read the file ({exc})") from exc
        except Exception as exc:  # openpyxl raises several kinds for a damaged workbook
            if type(exc).__module__.startswith(("openpyxl", "zipfile")):
                raise FoiaImportError(f"{name}: cannot read the workbook ({exc})") from exc
            raise
        if self.chosen is None:
            raise FoiaImportError(f"{name}: no sheet has a header row of a known layout")

    def report(self) -> dict[str, Any]:
        assert self.chosen is not None
        drift: dict[str, Any] = {
            **self.drift,
            "layout": self.chosen.name,
            "new_columns": self.new + self.tally.unnamed_used,
            "missing_columns": self.missing,
            "retyped_columns": self.tally.retyped,
            "withheld_columns": self.withheld,
        }
        if self.duplicates:
            drift["duplicate_columns"] = self.duplicates
        if any(s["preamble_rows"] for s in self.sheets) or len(self.sheets) > 1:
            drift["sheets"] = self.sheets
        if self.skipped_sheets:
            drift["skipped_sheets"] = self.skipped_sheets
        if self.tally.unknown_reasons:
            drift["unknown_lift_reasons"] = dict(self.tally.unknown_reasons.most_common())
        if self.tally.unknown_types:
            drift["unknown_detainer_types"] = dict(self.tally.unknown_types.most_common())
        return drift


def foia_detainers_import(
    *,
    actor: Any,
    path: Path | str,
    layout: str | None = None,
    max_bad_rows: int | None = 0,
    max_bad_share: float | None = None,
    allow_unknown_lift_reasons: bool = False,
    actor_label: str = "",
    progress: ProgressCallback | None = None,
) -> FoiaImportResult:
    """Validate every row of ``path``, then save the good rows and the run in one transaction.

    Nothing is saved when the bad rows exceed ``max_bad_rows`` (a count) or ``max_bad_share`` (a fraction of
    the rows read), whichever are given; the result then says why in ``refused``.
    """
    clock = time.monotonic()
    started = now()
    path = Path(path)
    if not path.is_file():
        raise FoiaImportError(f"{path}: no such file")
    if path.suffix.lower() == ".xls":
        raise FoiaImportError(f"{path.name}: Excel 97-2003 workbooks are not read; save the file as .xlsx")
    sha, size = _sha256(path)
    result = FoiaImportResult(file_name=path.name, sha256=sha)
    earlier = FoiaImportRun.objects.filter(file_sha256=sha).first()
    if earlier is not None:
        result.already_imported = result.run = earlier
        result.layout = earlier.layout
        return result
    if layout is not None and layout not in LAYOUTS:
        raise FoiaImportError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")

    scan = _Scan(path, sha, [LAYOUTS[layout]] if layout else list(LAYOUTS.values()), allow_unknown_lift_reasons)
    # Validation comes first, so the good rows are kept for the save; past KEEP_IN_MEMORY rows they are
    # dropped and the file is read a second time while saving, which bounds memory for large releases.
    kept: list[FoiaDetainer] | None = []
    months: set[date] = set()
    good = 0
    for detainer in scan.rows(progress):
        good += 1
        months.add(detainer.prepare_month)
        if kept is not None:
            kept.append(detainer)
            if len(kept) > KEEP_IN_MEMORY:
                kept = None
    if progress is not None:
        progress("reading", scan.rows_read, scan.rows_read)
    assert scan.chosen is not None
    drift = scan.report()
    bad = scan.rows_read - good
    result.layout = scan.chosen.name
    result.rows_read = scan.rows_read
    result.rows_rejected = bad
    result.errors = scan.errors
    result.drift = drift
    result.months = sorted(m.strftime("%Y-%m") for m in months)
    if max_bad_rows is not None and bad > max_bad_rows:
        result.refused = f"{bad:,} bad rows exceed the allowed {max_bad_rows:,} (--max-bad-rows)"
    elif max_bad_share is not None and scan.rows_read and bad / scan.rows_read > max_bad_share:
        result.refused = f"{bad:,} bad rows ({bad / scan.rows_read:.2%}) exceed the allowed share {max_bad_share:.2%}"
    elif not good:
        result.refused = "no row to import"
    if result.refused:
        result.seconds = time.monotonic() - clock
        return result

    try:
        with transaction.atomic():
            run = FoiaImportRun.objects.create(
                file_name=path.name,
                file_sha256=sha,
                file_size=size,
                layout=scan.chosen.name,
                started_at=started,
                finished_at=started,
                rows_read=scan.rows_read,
                rows_imported=good,
                rows_rejected=bad,
                months_covered=result.months,
                schema_drift=drift,
                errors=[str(e) for e in scan.errors[:MAX_STORED_ERRORS]],
                options={
                    "layout_given": layout,
                    "max_bad_rows": max_bad_rows,
                    "max_bad_share": max_bad_share,
                    "allow_unknown_lift_reasons": allow_unknown_lift_reasons,
                },
                status=FoiaImportStatus.PARTIAL if bad else FoiaImportStatus.COMPLETE,
                actor=actor,
                actor_label=actor_label,
            )
            rows = (
                iter(kept) if kept is not None else _Scan(path, sha, [scan.chosen], allow_unknown_lift_reasons).rows()
            )
            saved = 0
            while batch := list(itertools.islice(rows, BATCH_SIZE)):
                for detainer in batch:
                    detainer.run = run
                FoiaDetainer.objects.bulk_create(batch, batch_size=BATCH_SIZE)
                saved += len(batch)
                if progress is not None:
                    progress("saving", saved, good)
            if saved != good:  # the file changed between the two readings
                raise FoiaImportError(f"{path.name}: {saved:,} good rows on the second reading, {good:,} on the first")
            FoiaImportRun.objects.filter(pk=run.pk).update(finished_at=now())
            run.refresh_from_db()
    except IntegrityError:
        # Another import of the same file committed first; its run stands.
        earlier = FoiaImportRun.objects.filter(file_sha256=sha).first()
        if earlier is None:
            raise
        result.already_imported = result.run = earlier
        return result
    result.run = run
    result.rows_imported = good
    result.seconds = time.monotonic() - clock
    return result
