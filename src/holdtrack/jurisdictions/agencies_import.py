"""``agencies_import``: law enforcement agencies and their facilities from a CSV (``holdtrack import agencies``).

One row per facility; an agency with several facilities repeats its ORI, and those rows must agree on the
agency's name, state and county. Columns: ``ori``, ``name``, ``state``, ``county_fips``, ``facility_code``,
``facility_name``, ``time_zone``.

- Every row is checked first: the ORI is 9 characters (2-letter state code + 7 letters or digits) and its
  state is the row's ``state``; the county FIPS is 5 digits and names a county of that state (the reference
  data of ``load_reference``); the time zone is an IANA zone. One bad row and nothing is saved.
- Agencies are keyed by ORI, facilities by code. New ones are created; existing ones whose values differ are
  updated. The models keep no history table, so the old → new values of every update are recorded in the
  import's one audit event. A re-run of the same file changes nothing.
- An agency's ORI given by the agency itself is a published one (``ori_synthetic=False``). The agency type
  of a new agency is read from its name (sheriff, police …); an existing agency keeps its type, and a
  facility its type.
- Only an administrator or the system account may import agencies: they are reference data every case
  points at.
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from django.db import transaction

from holdtrack.accounts.models import User
from holdtrack.audit.services import audit_record
from holdtrack.core.importfile import DEFAULT_MAX_ERRORS, NUL_MESSAGE, ImportFileError, Problems, TextFile, column_key
from holdtrack.jurisdictions.models import AgencyType, Facility, Jurisdiction, LawEnforcementAgency, Level
from holdtrack.kernel.parties import authorize

COLUMNS = ("ori", "name", "state", "county_fips", "facility_code", "facility_name", "time_zone")
ORI_RE = re.compile(r"[A-Z]{2}[A-Z0-9]{7}")
FIPS_RE = re.compile(r"\d{5}")
FACILITY_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,11}")
MAX_NAME = 200


class AgenciesImportError(Exception):
    """The file as a whole cannot be imported."""


@dataclass(frozen=True)
class AgencyRow:
    row: int
    ori: str
    name: str
    state: str
    county_fips: str
    facility_code: str
    facility_name: str
    time_zone: str


@dataclass
class AgenciesImportResult:
    file_name: str
    encoding: str = ""
    rows_read: int = 0
    agencies: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    facilities: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    seconds: float = 0.0
    problems: Problems | None = None
    audit_event_id: int | None = None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def agency_type_for(name: str) -> str:
    lowered = name.lower()
    if "sheriff" in lowered:
        return AgencyType.SHERIFF
    if any(w in lowered for w in ("state police", "highway patrol", "state patrol")):
        return AgencyType.STATE_POLICE
    if "police" in lowered:
        return AgencyType.LOCAL_POLICE
    return AgencyType.OTHER


def _read(path: Path, encoding: str | None = None) -> tuple[list[tuple[int, dict[str, str]]], str]:
    """(the rows, the encoding's name); reference data is small, the rows are held for the consistency checks."""
    try:
        with TextFile(path, encoding) as text:
            return _rows(path.name, csv.reader(text.lines())), text.encoding.label
    except ImportFileError as exc:
        raise AgenciesImportError(str(exc)) from exc


def _rows(name: str, reader: Any) -> list[tuple[int, dict[str, str]]]:
    try:
        raw = next(reader)
    except StopIteration:
        raise AgenciesImportError(f"{name}: the file is empty") from None
    except csv.Error as exc:
        raise AgenciesImportError(f"{name}: line 1: {exc}") from exc
    if any("\x00" in h for h in raw):
        raise AgenciesImportError(f"{name}: line 1: the header {NUL_MESSAGE}")
    header = [column_key(h) for h in raw]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise AgenciesImportError(
            f"{name}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(required: {', '.join(COLUMNS)})"
        )
    twice = [c for c in COLUMNS if header.count(c) > 1]
    if twice:
        raise AgenciesImportError(f"{name}: column {', '.join(twice)} appears more than once in the header")
    index = {c: header.index(c) for c in COLUMNS}
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for cells in reader:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) != len(header):
                rows.append((reader.line_num, {"": f"has {len(cells)} cells, the header has {len(header)}"}))
                continue
            rows.append((reader.line_num, {c: cells[i].strip() for c, i in index.items()}))
    except csv.Error as exc:
        raise AgenciesImportError(f"{name}: line {reader.line_num}: {exc}") from exc
    return rows


def _validate(
    name: str, rows: list[tuple[int, dict[str, str]]], max_errors: int = 0
) -> tuple[list[AgencyRow], Problems]:
    states = set(Jurisdiction.objects.filter(level=Level.STATE).values_list("state_abbr", flat=True))
    if not states:
        raise AgenciesImportError(f"{name}: no states and counties stored yet; run 'holdtrack load_reference' first")
    counties = dict(Jurisdiction.objects.filter(level=Level.COUNTY).values_list("fips", "state_abbr"))
    zones = _zones()
    problems = Problems(name, limit=max_errors)
    add = problems.add
    good: list[AgencyRow] = []
    last = 0
    for number, r in rows:
        if problems.full:
            problems.stop(last)
            break
        last = number
        if "" in r:
            add(number, "row", f"the row {r['']}")
            continue
        nul = [fld for fld, value in r.items() if "\x00" in value]
        for fld in nul:
            add(number, fld, f"{fld} {NUL_MESSAGE}")
        if nul:
            continue
        bad = False
        for fld in COLUMNS:
            if not r[fld]:
                add(number, fld, f"{fld} is empty")
                bad = True
        ori, state, fips = r["ori"].upper(), r["state"].upper(), r["county_fips"]
        code = r["facility_code"].upper()
        if ori and not ORI_RE.fullmatch(ori):
            add(number, "ori", f"ori {r['ori']!r} is not an ORI (9 characters: state code + 7 letters or digits)")
            bad = True
        if state and state not in states:
            add(number, "state", f"state {r['state']!r} is not a U.S. state or territory code")
            bad = True
        elif ori and state and ORI_RE.fullmatch(ori) and ori[:2] != state:
            add(number, "ori", f"ori {ori!r} belongs to {ori[:2]}, but state is {state!r}")
            bad = True
        if fips and not FIPS_RE.fullmatch(fips):
            add(number, "county_fips", f"county_fips {fips!r} is not 5 digits")
            bad = True
        elif fips and fips not in counties:
            add(number, "county_fips", f"county_fips {fips!r} is not a known county")
            bad = True
        elif fips and state in states and counties[fips] != state:
            add(number, "county_fips", f"county_fips {fips!r} is a county of {counties[fips]}, not of {state}")
            bad = True
        if code and not FACILITY_RE.fullmatch(code):
            add(number, "facility_code", f"facility_code {r['facility_code']!r} is not 1–12 letters, digits or '-'")
            bad = True
        for fld in ("name", "facility_name"):
            if len(r[fld]) > MAX_NAME:
                add(number, fld, f"{fld} is longer than {MAX_NAME} characters")
                bad = True
        if r["time_zone"] and r["time_zone"] not in zones:
            add(number, "time_zone", f"time_zone {r['time_zone']!r} is not an IANA time zone (e.g. America/Chicago)")
            bad = True
        if not bad:
            good.append(AgencyRow(number, ori, r["name"], state, fips, code, r["facility_name"], r["time_zone"]))
    _consistency(good, add)
    return good, problems


def _consistency(rows: list[AgencyRow], add: Any) -> None:
    """Rows of one ORI agree on the agency; each facility code appears once."""
    first_of: dict[str, AgencyRow] = {}
    facility_rows: dict[str, list[int]] = {}
    for r in rows:
        first = first_of.setdefault(r.ori, r)
        for fld in ("name", "state", "county_fips"):
            if getattr(r, fld) != getattr(first, fld):
                add(
                    r.row,
                    fld,
                    f"{fld} {getattr(r, fld)!r} differs from {getattr(first, fld)!r} in row {first.row} "
                    f"of the same ori {r.ori!r}",
                )
        facility_rows.setdefault(r.facility_code, []).append(r.row)
    for code, numbers in facility_rows.items():
        if len(numbers) > 1:
            where = ", ".join(str(n) for n in numbers[:5]) + (", …" if len(numbers) > 5 else "")
            add(numbers[0], "facility_code", f"facility_code {code!r} appears in {len(numbers)} rows ({where})")


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """field → [old, new] for the values that differ; applies them to ``obj``."""
    out: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            out[name] = [old, new]
            setattr(obj, name, new)
    return out


def agencies_import(
    *, actor: User, path: str | Path, encoding: str | None = None, max_errors: int = DEFAULT_MAX_ERRORS
) -> AgenciesImportResult:
    """Validate the whole file (stopping at ``max_errors`` problems, 0: no limit), then create or update its
    agencies and facilities in one transaction."""
    authorize(actor, "agencies_import")
    started = time.perf_counter()
    path = Path(path)
    if not path.is_file():
        raise AgenciesImportError(f"{path}: no such file")
    result = AgenciesImportResult(path.name)
    if max_errors < 0:
        raise AgenciesImportError(f"--max-errors must be 0 (no limit) or more, not {max_errors}")
    raw, result.encoding = _read(path, encoding)
    result.rows_read = len(raw)
    with transaction.atomic():
        rows, problems = _validate(path.name, raw, max_errors)
        if problems:
            result.problems = problems
            result.seconds = time.perf_counter() - started
            return result
        county_pk = dict(
            Jurisdiction.objects.filter(level=Level.COUNTY, fips__in={r.county_fips for r in rows}).values_list(
                "fips", "pk"
            )
        )
        agencies = {
            a.ori: a for a in LawEnforcementAgency.objects.select_for_update().filter(ori__in={r.ori for r in rows})
        }
        facilities = {
            f.code: f for f in Facility.objects.select_for_update().filter(code__in={r.facility_code for r in rows})
        }
        history: dict[str, Any] = {
            "agencies": {"created": [], "updated": {}},
            "facilities": {"created": [], "updated": {}},
        }
        seen: set[str] = set()
        for r in rows:
            if r.ori in seen:
                continue
            seen.add(r.ori)
            values = {"name": r.name, "jurisdiction_id": county_pk[r.county_fips], "ori_synthetic": False}
            lea = agencies.get(r.ori)
            if lea is None:
                lea = LawEnforcementAgency.objects.create(ori=r.ori, agency_type=agency_type_for(r.name), **values)
                agencies[r.ori] = lea
                history["agencies"]["created"].append(r.ori)
                result.agencies["created"] += 1
            elif changed := _changes(lea, values):
                lea.save(update_fields=list(changed))
                history["agencies"]["updated"][r.ori] = changed
                result.agencies["updated"] += 1
            else:
                result.agencies["unchanged"] += 1
        for r in rows:
            operator = agencies[r.ori]
            values = {"name": r.facility_name, "operator_id": operator.pk, "timezone": r.time_zone}
            facility = facilities.get(r.facility_code)
            if facility is None:
                Facility.objects.create(code=r.facility_code, **values)
                history["facilities"]["created"].append(r.facility_code)
                result.facilities["created"] += 1
            elif changed := _changes(facility, values):
                facility.save(update_fields=list(changed))
                history["facilities"]["updated"][r.facility_code] = changed
                result.facilities["updated"] += 1
            else:
                result.facilities["unchanged"] += 1
        # Recorded even when nothing changed: the audit trail shows every import someone ran.
        event = audit_record(
            actor=actor,
            action="agencies.import",
            entity_type="agency_list",
            entity_id=path.name[:40],  # the column is 40 wide; the whole name is in data
            data={
                "file": path.name,
                "rows_read": result.rows_read,
                "agencies": result.agencies,
                "facilities": result.facilities,
                "changes": history,
            },
        )
        result.audit_event_id = event.pk
    result.seconds = time.perf_counter() - started
    return result
