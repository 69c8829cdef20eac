"""A layout (``layout.Layout``) read as a converter: one feed row → a ``FeedRecord`` or the row's problems.

The checks are the canonical layout's (same messages), applied to the values the layout names: the source
column, a constant or the split name column; code tables first, then the canonical choices. Problems are
reported under the file's own column name, so an operator finds the cell. A value-free message prefix
("not a date (%m/%d/%Y)") lets the import group one bad format over many rows into one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from holdtrack.core.text import a_number
from holdtrack.custody.ingest.canonical import KINDS, LIMITS, check_times, text
from holdtrack.custody.ingest.layout import CHOICES, FIELDS, NAME_FIELDS, Layout
from holdtrack.custody.ingest.records import FeedMapping, FeedRecord, Problems
from holdtrack.custody.models import ChargeLevel, Sex

# Fields converted by kind; the rest are text.
_DATETIMES = tuple(f for f, k in KINDS.items() if k == "datetime")
_BOOLEANS = tuple(f for f, k in KINDS.items() if k == "boolean")


def split_name(raw: str, order: str, second_surname: bool) -> dict[str, str]:
    """ "GARCIA LOPEZ, ANA MARIA" (order "last, first middle") → first, middle, last and second surname."""
    out = dict.fromkeys(NAME_FIELDS, "")
    if order == "last, first middle" and "," in raw:
        surnames, given = (p.split() for p in raw.split(",", 1))
    elif order == "first middle last":
        words = raw.replace(",", " ").split()
        n = 2 if second_surname and len(words) >= 3 else 1
        given, surnames = words[:-n], words[-n:]
    else:  # "last first middle", or "last, first middle" written without its comma
        words = raw.replace(",", " ").split()
        n = 2 if second_surname and len(words) >= 3 else 1
        surnames, given = words[:n], words[n:]
    if surnames:
        out["last_name"] = surnames[0] if second_surname else " ".join(surnames)
        if second_surname:
            out["second_last_name"] = " ".join(surnames[1:])
    if given:
        out["first_name"], out["middle_name"] = given[0], " ".join(given[1:])
    return out


def _strptime(raw: str, fmt: str) -> datetime:
    return datetime.strptime(raw, fmt)  # noqa: DTZ007 - naive values get the layout's zone


class LayoutConverter:
    """``convert(row, row_number)`` of a ``FeedMapping`` built from a layout."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.source = {f: layout.column_of(f) for f in FIELDS}
        self.formats = {f: layout.format_of(f) for f in (*_DATETIMES, "date_of_birth")}

    def values(self, row: Mapping[str, Any]) -> dict[str, str]:
        """Each canonical field's text, from its column, its constant or the split name."""
        layout = self.layout
        out = {f: text(row.get(c)) for f, c in layout.columns.items()}
        out.update(layout.constants)
        if layout.names is not None:
            raw = text(row.get(layout.names.column))
            out.update(split_name(raw, layout.names.order, layout.names.second_surname))
        return out

    def identity(self, row: Mapping[str, Any]) -> tuple[str, str, str]:
        """Agency ORI, facility code and booking number of a row, even one whose other fields are bad."""
        got = self.values(row)
        return got.get("agency_ori", "").upper(), got.get("facility_code", "").upper(), got.get("booking_number", "")

    def _code(self, fld: str, raw: str, problems: Problems) -> str:
        table = self.layout.codes.get(fld)
        if table is not None:
            mapped = table.get(raw.strip().upper())
            if mapped is None and raw:
                fallback = table.get("*")
                if fallback is not None:
                    return raw if fallback == "*" else fallback
                if fld not in CHOICES:
                    problems.append(
                        (self.source[fld], f"unknown value {raw!r}; not in the layout's [codes.{fld}] table")
                    )
                    return ""
            elif mapped is not None:
                return mapped
        allowed = CHOICES.get(fld)
        if allowed is None:
            return raw
        value = raw.upper()
        if value and value not in allowed:
            extra = f" or a code of the layout's [codes.{fld}]" if table is not None else ""
            problems.append(
                (self.source[fld], f"unknown value {raw.upper()!r}; expected one of {', '.join(allowed)}{extra}")
            )
            return ""
        return value

    def _instant(self, fld: str, raw: str, problems: Problems) -> datetime | None:
        if not raw:
            return None
        fmt, zone = self.formats[fld], self.layout.timezone
        try:
            # A naive value gets the layout's zone below.
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00")) if fmt == "iso" else _strptime(raw, fmt)
        except ValueError as exc:
            if fmt == "iso":
                message = "not an ISO 8601 date-time with zone" if zone is None else "not an ISO 8601 date-time"
                problems.append((self.source[fld], f"{message}: {raw!r} ({exc})"))
            else:
                problems.append((self.source[fld], f"not a date-time ({fmt}): {raw!r}"))
            return None
        if parsed.tzinfo is not None:
            return parsed
        if zone is None:
            problems.append(
                (self.source[fld], f"not an ISO 8601 date-time with zone: {raw!r} (no time zone; the layout has none)")
            )
            return None
        # The earlier instant in the fall-back hour; UTC, so that instants compare and subtract as instants.
        return parsed.replace(tzinfo=zone).astimezone(UTC)

    def _date(self, raw: str, problems: Problems) -> date | None:
        if not raw:
            return None
        fmt = self.formats["date_of_birth"]
        try:
            if fmt == "iso":
                return date.fromisoformat(raw)
            return datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            shown = "YYYY-MM-DD" if fmt == "iso" else fmt
            problems.append((self.source["date_of_birth"], f"not a date ({shown}): {raw!r}"))
            return None

    def _flag(self, fld: str, raw: str, problems: Problems) -> bool | None:
        word = raw.lower()
        if not word:
            return None
        if word in self.layout.true_words:
            return True
        if word in self.layout.false_words:
            return False
        problems.append((self.source[fld], f"not a yes/no value: {word!r}"))
        return None

    def __call__(self, row: Mapping[str, Any], row_number: int) -> tuple[FeedRecord | None, Problems]:
        layout, source = self.layout, self.source
        problems: Problems = []
        got = self.values(row)
        provided = layout.transform.provides if layout.transform is not None else frozenset()
        # A booked person needs a name, not both: a mononym or a feed that left the given name out still books.
        names = [f for f in ("first_name", "last_name") if f in layout.required and f not in provided]
        for fld in layout.required:
            if fld not in provided and fld not in names and not got.get(fld):
                problems.append((source[fld], "missing"))
        if names and not any(got.get(f) for f in ("first_name", "last_name")):
            problems.append((source[names[0]], "missing: neither a given name nor a surname"))
        fields: dict[str, Any] = {f: self._instant(f, got.get(f, ""), problems) for f in _DATETIMES}
        fields["date_of_birth"] = self._date(got.get("date_of_birth", ""), problems)
        for fld in ("sex", "charge_level", "release_eligibility_reason", "release_type", "birth_country"):
            fields[fld] = self._code(fld, got.get(fld, ""), problems)
        charge_type = self._code("charge_type", got.get("charge_type", "").lower(), problems)
        for fld in _BOOLEANS:
            fields[fld] = self._flag(fld, got.get(fld, ""), problems)
        fields.update(
            row_number=row_number,
            agency_ori=got.get("agency_ori", "").upper(),
            booking_number=got.get("booking_number", ""),
            facility_code=got.get("facility_code", "").upper(),
            first_name=got.get("first_name", ""),
            middle_name=got.get("middle_name", ""),
            last_name=got.get("last_name", ""),
            second_last_name=got.get("second_last_name", ""),
            charges=[{"type": charge_type}] if charge_type else [],
            charge_type=charge_type[:24],
            fbi_number=got.get("fbi_number", "").upper(),
            a_number=a_number(got.get("a_number", "")),
        )
        if fields["a_number"] is None:
            problems.append((source["a_number"], "not an A-number (8 or 9 digits, e.g. A123-456-789)"))
            fields["a_number"] = ""
        fields["sex"] = fields["sex"] or Sex.UNKNOWN
        fields["charge_level"] = fields["charge_level"] or ChargeLevel.MISDEMEANOR
        fields["us_passport_on_file"] = bool(fields["us_passport_on_file"])
        fields["citizenship_asserted"] = bool(fields["citizenship_asserted"])
        if layout.keep:
            fields["data"] = {c: text(row.get(c)) for c in layout.keep if text(row.get(c))}
        if layout.transform is not None:
            layout.transform.apply(row, fields, problems)
        # After the transform, which may shorten a value (Pierce's 40-character hash → a 32-character number).
        for fld, limit in LIMITS.items():
            if len(fields[fld]) > limit:
                problems.append((source[fld], f"longer than {limit} characters"))
        if problems or fields["booked_at"] is None:
            return None, problems
        record = FeedRecord(**fields)
        check_times(record, problems)
        return (None, problems) if problems else (record, [])


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def layout_mapping(layout: Layout) -> FeedMapping:
    """The ``FeedMapping`` the import runs with: documented source columns (for drift), required columns."""
    convert = LayoutConverter(layout)
    named = [layout.names.column] if layout.names is not None else []
    columns = _unique([*layout.columns.values(), *named, *layout.keep, *layout.ignore])
    required_fields = [f for f in layout.required if f not in layout.constants]
    required = [layout.columns[f] for f in required_fields if f in layout.columns]
    if layout.names is not None and any(f in NAME_FIELDS for f in required_fields):
        required.append(layout.names.column)
    # Only ISO values are recognised by the drift check's kind guess; other formats are checked per cell.
    kinds = {
        layout.columns[f]: k
        for f, k in KINDS.items()
        if f in layout.columns and (k == "boolean" or layout.format_of(f) == "iso")
    }
    return FeedMapping(
        name=layout.name,
        title=layout.title,
        columns=columns,
        required_columns=_unique(required),
        convert=convert,
        withheld=layout.withheld,
        optional_columns=tuple(layout.columns[f] for f in layout.optional if f in layout.columns),
        kinds=kinds,
        identity=convert.identity,
        layout=layout,
    )
