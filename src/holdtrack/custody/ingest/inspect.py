"""``holdtrack import bookings FILE --inspect``: what a feed holds, and a layout proposed for it. Writes nothing.

The header and the first rows are read (``SAMPLE_ROWS``), each column's kind is guessed (date, datetime,
number, boolean, text; the share of empty cells; the date format, tried against the formats jails use), and a
layout is proposed: each column goes to the canonical field whose name (or a usual alias) it resembles when
its kind fits, date formats come from the values, the zone of naive times from the facility when the file
names one that is stored. The proposal is TOML for the operator to save, check and edit (``--out``); what it
cannot know (an ORI for the whole file, an unknown code) is written as a commented line to fill in.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from holdtrack.core.importfile import TextFile, column_key
from holdtrack.custody.ingest.canonical import KINDS, REQUIRED, text
from holdtrack.custody.ingest.layout import CHOICES, FIELDS, NAME_FIELDS
from holdtrack.jurisdictions.models import Facility

SAMPLE_ROWS = 200
SHOWN_ROWS = 5
CELL_WIDTH = 24
READ_BYTES = 4 << 20
ALIASES: dict[str, tuple[str, ...]] = {
    "agency_ori": ("ori", "agency", "agency_id", "ori_code", "lea_ori"),
    "booking_number": ("booking_id", "booking_no", "booking_num", "book_no", "booking", "bookingnumber", "bkg_no"),
    "booked_at": ("booking_dt", "booking_date", "book_date", "booking_datetime", "booking_time", "booked", "intake_dt"),
    "first_name": ("first", "fname", "given_name", "forename"),
    "middle_name": ("middle", "mname", "middle_initial"),
    "last_name": ("last", "lname", "surname", "family_name"),
    "second_last_name": ("second_surname", "maternal_name", "last_name_2", "apellido_materno"),
    "date_of_birth": ("dob", "birth_date", "birthdate", "date_birth", "birth_dt"),
    "sex": ("gender", "sex_code"),
    "birth_country": ("country_of_birth", "pob", "place_of_birth", "birth_place", "birthplace"),
    "facility_code": ("facility", "facility_id", "jail", "jail_code", "location_code"),
    "charge_level": ("level", "offense_level", "charge_class", "charge_degree"),
    "charge_type": ("charge", "offense_type", "max_charge_type", "charge_category"),
    "release_eligible_at": ("eligible_dt", "release_eligible", "eligible_date"),
    "release_eligibility_reason": ("eligibility_reason", "eligible_reason"),
    "released_at": ("release_dt", "release_date", "released", "release_datetime", "release_time"),
    "release_type": ("release_disposition", "disposition", "release_reason", "release_code"),
    "immigration_hold": ("imm_hold", "ice_hold", "hold", "ice_detainer", "detainer"),
    "fbi_number": ("fbi", "fbi_no", "ucn", "fbi_ucn"),
    "a_number": ("anumber", "a_no", "alien_number", "alien_registration_number"),
    "us_passport_on_file": ("passport", "us_passport"),
    "citizenship_asserted": ("claims_citizenship", "citizen_claim", "us_citizen"),
}
FULL_NAME = ("name", "full_name", "inmate_name", "defendant_name", "subject_name", "person_name")
DATETIME_FORMATS = (
    "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%m-%d-%Y %H:%M", "%d-%b-%Y %H:%M",
    "%d.%m.%Y %H:%M",
)  # fmt: skip
DATE_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d", "%m/%d/%y", "%m-%d-%Y", "%d-%b-%Y", "%d-%b-%y", "%d.%m.%Y")
BOOLEAN_WORDS = {"1", "0", "true", "false", "yes", "no", "y", "n", "t", "f"}
SEX_WORDS = {"MALE": "M", "FEMALE": "F", "MAN": "M", "WOMAN": "F", "UNKNOWN": "U", "X": "U", "M": "M", "F": "F"}


@dataclass
class Column:
    name: str
    kind: str = "text"
    empty: float = 0.0
    fmt: str = ""  # date/datetime: "iso" or a strptime format
    naive: bool = False  # datetime values without a zone
    values: Counter[str] = field(default_factory=Counter)
    proposed: str = ""  # the canonical field proposed for it


@dataclass
class Inspection:
    file_name: str
    format: str
    header: list[str]
    rows: list[list[str]]
    columns: list[Column]
    layout_toml: str = ""
    encoding: str = ""


def _head_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """(the whole lines of the file's first READ_BYTES characters, the encoding's name), as the import reads
    them (``core.importfile.TextFile``)."""
    lines: list[str] = []
    size = 0
    with TextFile(path, encoding) as text:
        for line in text.lines():
            if size + len(line) > READ_BYTES:
                break  # the row that would be cut in half is dropped
            lines.append(line)
            size += len(line)
        return "".join(lines), text.encoding.label


def _read(path: Path, fmt: str | None, encoding: str | None = None) -> tuple[str, list[str], list[list[str]], str]:
    content, named = _head_text(path, encoding)
    name = path.name.lower().removesuffix(".gz")
    fmt = fmt or ("ndjson" if name.endswith((".ndjson", ".jsonl")) or content.lstrip().startswith("{") else "csv")
    if fmt == "csv":
        reader = csv.reader(io.StringIO(content, newline=""))
        names = [h.strip() for h in next(reader, [])]
        rows = [r for r, _ in zip(reader, range(SAMPLE_ROWS), strict=False) if any(c.strip() for c in r)]
        return fmt, names, rows, named
    header: list[str] = []
    objects: list[dict[str, Any]] = []
    for line in content.splitlines():
        if len(objects) >= SAMPLE_ROWS:
            break
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            objects.append(obj)
            header += [str(k) for k in obj if str(k) not in header]
    return fmt, header, [[text(o.get(h)) for h in header] for o in objects], named


def _fits(values: list[str], fmt: str) -> bool:
    try:
        for v in values:
            datetime.strptime(v, fmt)  # noqa: DTZ007 - only recognises the format
    except ValueError:
        return False
    return True


def _guess(col: Column, values: list[str], rows: int) -> None:
    filled = [v for v in values if v]
    col.empty = 1 - len(filled) / rows if rows else 0.0
    col.values = Counter(filled)
    if not filled:
        return
    if all(v.lower() in BOOLEAN_WORDS for v in filled) and len({v.lower() for v in filled}) <= 2:
        col.kind = "boolean"
        return
    try:
        [float(v) for v in filled]
        col.kind = "number"
        return
    except ValueError:
        pass
    try:
        parsed = [datetime.fromisoformat(v.replace("Z", "+00:00")) for v in filled]
        timed = any(len(v) > 10 for v in filled)
        col.kind, col.fmt = ("datetime" if timed else "date"), "iso"
        col.naive = timed and any(p.tzinfo is None for p in parsed)
        return
    except ValueError:
        pass
    for kind, formats in (("datetime", DATETIME_FORMATS), ("date", DATE_FORMATS)):
        for fmt in formats:
            if _fits(filled, fmt):
                col.kind, col.fmt, col.naive = kind, fmt, kind == "datetime"
                return


def _fits_kind(fld: str, col: Column) -> bool:
    want = KINDS.get(fld)
    if want == "datetime":
        return col.kind in ("datetime", "date")
    if want in ("date", "boolean"):
        return col.kind == want
    return col.kind not in ("datetime", "date")


def _score(fld: str, key: str) -> float:
    names = (fld, *ALIASES.get(fld, ()))
    if key in names:
        return 1.0
    return max(difflib.SequenceMatcher(None, key, n).ratio() for n in names)


def propose(columns: list[Column]) -> dict[str, str]:
    """Canonical field → column, the best-named fitting column first; each used once."""
    pairs = sorted(
        # A whole-name column ("NAME") resembles "fname"; it is left for the [names] rule instead.
        (
            (_score(f, column_key(c.name)), f, c)
            for f in FIELDS
            for c in columns
            if _fits_kind(f, c) and column_key(c.name) not in FULL_NAME
        ),
        key=lambda t: -t[0],
    )
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for score, fld, col in pairs:
        if score < 0.8 or fld in chosen or col.name in used:
            continue
        chosen[fld], col.proposed = col.name, fld
        used.add(col.name)
    return chosen


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _key(value: str) -> str:
    return value if value and all(ch.isalnum() or ch in "-_" for ch in value) and value.isascii() else _q(value)


def _zone_for(columns: list[Column], chosen: dict[str, str]) -> str:
    """The stored facility's (or agency's) zone, when the sample names one."""

    by_name = {c.name: c for c in columns}
    if "facility_code" in chosen:
        for code, _ in by_name[chosen["facility_code"]].values.most_common(3):
            found = Facility.objects.filter(code=code.upper()).values_list("timezone", flat=True).first()
            if found:
                return found
    if "agency_ori" in chosen:
        for ori, _ in by_name[chosen["agency_ori"]].values.most_common(3):
            zones = Facility.objects.filter(operator__ori=ori.upper()).values_list("timezone", flat=True)
            if found := next(iter(zones), None):
                return found
    return ""


def _codes(fld: str, col: Column) -> list[str]:
    allowed = CHOICES.get(fld)
    if allowed is None:
        return []
    lines = []
    for value in sorted({v.upper() for v in col.values}):
        if value in allowed:
            continue
        known = SEX_WORDS.get(value) if fld == "sex" else None
        if known is None and value.replace(" ", "_") in allowed:
            known = value.replace(" ", "_")
        if known is not None:
            lines.append(f"{_key(value)} = {_q(known)}")
        else:
            lines.append(f'# {_key(value)} = ""')
    if not lines:
        return []
    head = f"\n[codes.{fld}]  # values: {', '.join(allowed)}; uncomment and fill in the rest"
    tail = ['# "*" = "OTHER"  # any other value'] if fld == "release_type" else []
    return [head, *lines, *tail]


def layout_toml(file_name: str, columns: list[Column]) -> str:
    chosen = propose(columns)
    by_name = {c.name: c for c in columns}
    out = [
        f"# Layout proposed by `holdtrack import bookings {file_name} --inspect`; check every line, then import",
        '# with `--layout FILE`. Keys: docs/onboarding.md, "Booking feed layouts".',
        f"name = {_q(Path(file_name).name.split('.')[0][:40] or 'feed')}",
    ]
    split = None
    if "first_name" not in chosen and "last_name" not in chosen:
        split = next((c for c in columns if column_key(c.name) in FULL_NAME and not c.proposed), None)
    if any(by_name[c].naive for f, c in chosen.items() if KINDS.get(f) == "datetime"):
        zone = _zone_for(columns, chosen)
        out.append(f"timezone = {_q(zone)}" if zone else '# timezone = "America/Chicago"  # the zone of local times')
    unused = [c.name for c in columns if not c.proposed and c is not split]
    if unused:
        out.append(f"ignore = [{', '.join(_q(c) for c in unused)}]")
    out.append("\n[columns]")
    out += [f"{f} = {_q(c)}" for f, c in sorted(chosen.items(), key=lambda kv: FIELDS.index(kv[0]))]
    missing = [f for f in REQUIRED if f not in chosen and not (split and f in NAME_FIELDS)]
    if missing:
        out.append("\n[constants]  # required fields no column holds: the same value for the whole file?")
        out += [f'# {f} = ""' for f in missing]
    formats = {f: by_name[c].fmt for f, c in chosen.items() if by_name[c].fmt and by_name[c].fmt != "iso"}
    if formats:
        out.append("\n[formats]")
        out += [f"{f} = {_q(fmt)}" for f, fmt in formats.items()]
    words = {v.lower() for f, c in chosen.items() if KINDS.get(f) == "boolean" for v in by_name[c].values}
    if words - {"1", "true", "yes", "y", "t", "0", "false", "no", "n", "f"}:
        out.append("\n[booleans]\ntrue = []  # the words meaning yes\nfalse = []")
    for f, c in chosen.items():
        out += _codes(f, by_name[c])
    if split is not None:
        commas = sum(n for v, n in split.values.items() if "," in v)
        order = "last, first middle" if commas * 2 >= sum(split.values.values()) else "first middle last"
        out += ["\n[names]", f"column = {_q(split.name)}", f"order = {_q(order)}", "second_surname = false"]
    return "\n".join(out) + "\n"


def inspect_feed(path: Path | str, fmt: str | None = None, encoding: str | None = None) -> Inspection:
    path = Path(path)
    fmt, header, rows, named = _read(path, fmt, encoding)
    columns = []
    for i, name in enumerate(header):
        col = Column(name)
        _guess(col, [r[i].strip() if i < len(r) else "" for r in rows], len(rows))
        columns.append(col)
    return Inspection(path.name, fmt, header, rows[:SHOWN_ROWS], columns, layout_toml(path.name, columns), named)


def cell(value: str) -> str:
    return value if len(value) <= CELL_WIDTH else value[: CELL_WIDTH - 1] + "…"


def report_lines(found: Inspection) -> list[str]:
    lines = [
        f"{found.file_name}: {found.format}, {found.encoding}, {len(found.header)} columns",
        "header: " + ", ".join(found.header),
    ]
    lines.append(f"sample (first {len(found.rows)} rows):")
    lines += [f"  {n}: " + " | ".join(cell(c) for c in row) for n, row in enumerate(found.rows, 1)]
    lines.append("columns (kind, empty share, format → proposed field):")
    for col in found.columns:
        fmt = f", {col.fmt}{' naive' if col.naive else ''}" if col.fmt else ""
        lines.append(f"  {col.name}: {col.kind}, {col.empty:.0%} empty{fmt} → {col.proposed or '-'}")
    return lines
