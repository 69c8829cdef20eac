"""Feed layouts as data: a small TOML file says how a jail's booking file maps onto the canonical fields.

``holdtrack import bookings FILE --layout jail.toml`` (and ``--mapping NAME`` for the layouts shipped in
``layouts/``: ``canonical.toml``, ``pierce.toml``). A layout is validated when it is loaded: every problem
names the file and the key, so an operator editing one by hand finds the line to fix. The keys are documented
in docs/onboarding.md ("Booking feed layouts"); ``--inspect`` proposes a layout for a file.

What a declarative layout cannot say (Pierce County's synthetic names from a hashed id, seriousness → charge
level, hold outcome from the dispositions) is a *named transform* in Python that a layout references with
``transform = "pierce"``; the transform runs after the declared mapping and may read the raw row.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from holdtrack.custody.ingest.canonical import COLUMNS, KINDS, REQUIRED
from holdtrack.custody.ingest.records import Problems
from holdtrack.custody.models import ChargeLevel, ReleaseEligibilityReason, ReleaseType, Sex

SHIPPED = Path(__file__).parent / "layouts"
# Every field a layout may fill: the canonical feed's columns and the second surname.
FIELDS: tuple[str, ...] = (*COLUMNS, "second_last_name")
NAME_FIELDS = ("first_name", "middle_name", "last_name", "second_last_name")
CHOICES: dict[str, tuple[str, ...]] = {
    "sex": tuple(Sex.values),
    "charge_level": tuple(ChargeLevel.values),
    "release_eligibility_reason": tuple(ReleaseEligibilityReason.values),
    "release_type": tuple(ReleaseType.values),
}
NAME_ORDERS = ("last, first middle", "first middle last", "last first middle")
TOP_KEYS = {
    "name": "the layout's name (stored with each import run)",
    "title": "a one-line description",
    "transform": "a named Python transform for what a layout cannot declare",
    "timezone": "the IANA zone of naive local times",
    "required": "canonical fields a row must have",
    "optional": "canonical fields whose column a file may leave out",
    "keep": "source columns copied to the provenance row",
    "ignore": "source columns that are known and not used",
    "withheld": "source columns that identify a person and are never stored",
    "columns": "canonical field = source column",
    "constants": "canonical field = value for the whole file",
    "formats": 'datetime/date (or a field) = strptime format or "iso"',
    "booleans": "true = [...], false = [...]",
    "codes": '[codes.FIELD] source code = canonical value ("*" = any other value)',
    "names": "one name column split into the name fields",
}
DEFAULT_TRUE = ("1", "true", "yes", "y", "t")
DEFAULT_FALSE = ("0", "false", "no", "n", "f")


class LayoutError(Exception):
    """A layout file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class NameSplit:
    column: str
    order: str = "last, first middle"
    second_surname: bool = False


@dataclass(frozen=True)
class Transform:
    """A named rule in Python that a layout references: ``apply(row, fields, problems)`` reads the raw row
    (keyed by the layout's source column names) and edits the canonical ``fields`` before the record is built.
    ``provides`` lists the fields it fills, so that a layout need not map them."""

    name: str
    doc: str
    provides: frozenset[str]
    apply: Callable[[Mapping[str, Any], dict[str, Any], Problems], None]


def transforms() -> dict[str, Transform]:
    from holdtrack.custody.pierce import TRANSFORM as PIERCE  # noqa: PLC0415 - cycle: pierce builds on this module

    return {PIERCE.name: PIERCE}


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    source: str  # the layout file
    columns: dict[str, str]  # canonical field → source column
    constants: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    timezone: ZoneInfo | None = None
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {SOURCE CODE (upper): value}
    true_words: frozenset[str] = frozenset(DEFAULT_TRUE)
    false_words: frozenset[str] = frozenset(DEFAULT_FALSE)
    names: NameSplit | None = None
    required: tuple[str, ...] = REQUIRED
    optional: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()
    transform: Transform | None = None

    def format_of(self, fld: str) -> str:
        kind = "date" if KINDS.get(fld) == "date" else "datetime"
        return self.formats.get(fld) or self.formats.get(kind) or "iso"

    def column_of(self, fld: str) -> str:
        """The name a problem with ``fld`` is reported under: its source column, else the field."""
        if fld in self.columns:
            return self.columns[fld]
        if self.names is not None and fld in NAME_FIELDS:
            return self.names.column
        return fld


def fail(where: str, key: str, message: str) -> LayoutError:
    return LayoutError(f"{where}: {key}: {message}")


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise fail(where, key, "must be a list of strings")
    return tuple(value)


def table_of(where: str, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(where, key, "must be a table ([" + key + "])")
    return value


def _field(where: str, key: str, name: str) -> str:
    if name not in FIELDS:
        raise fail(where, key, f"unknown canonical field {name!r} (fields: {', '.join(FIELDS)})")
    return name


def check_format(where: str, key: str, fmt: Any) -> str:
    """``iso`` or a strptime format that reads back what it writes."""
    if not isinstance(fmt, str) or not fmt:
        raise fail(where, key, 'must be a format string such as "%m/%d/%Y %H:%M" or "iso"')
    if fmt == "iso":
        return fmt
    if "%" not in fmt:
        raise fail(where, key, f'bad format string {fmt!r}: no % directive (e.g. %m/%d/%Y, or "iso")')
    sample = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    try:
        datetime.strptime(sample.strftime(fmt), fmt)  # noqa: DTZ007 - only checks the format
    except ValueError as exc:
        raise fail(where, key, f"bad format string {fmt!r} ({exc})") from exc
    return fmt


def _zone(where: str, value: Any) -> ZoneInfo:
    if not isinstance(value, str) or not value:
        raise fail(where, "timezone", 'must be an IANA zone name such as "America/Chicago"')
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise fail(where, "timezone", f'unknown zone {value!r} (an IANA name such as "America/Chicago")') from exc


def _codes(where: str, raw: Any) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for fld, table in table_of(where, "codes", raw).items():
        key = f"codes.{fld}"
        _field(where, key, fld)
        if fld in KINDS:
            raise fail(where, key, f"{fld} is a {KINDS[fld]}; give its words in [booleans] or a format in [formats]")
        entries: dict[str, str] = {}
        for code, value in table_of(where, key, table).items():
            if not isinstance(value, str):
                raise fail(where, f"{key}.{code}", "must be a string")
            allowed = CHOICES.get(fld)
            if allowed and value not in allowed and not (code == "*" and value == "*"):
                raise fail(where, f"{key}.{code}", f"{value!r} is not one of {', '.join(allowed)}")
            entries[code.strip().upper()] = value
        out[fld] = entries
    return out


def name_split(where: str, raw: Any) -> NameSplit:
    table = table_of(where, "names", raw)
    for key in table:
        if key not in ("column", "order", "second_surname"):
            raise fail(where, f"names.{key}", "unknown key (known: column, order, second_surname)")
    column = table.get("column")
    if not isinstance(column, str) or not column:
        raise fail(where, "names.column", "the source column holding the whole name is required")
    order = table.get("order", "last, first middle")
    if order not in NAME_ORDERS:
        raise fail(where, "names.order", f"unknown order {order!r} (one of: {', '.join(NAME_ORDERS)})")
    second = table.get("second_surname", False)
    if not isinstance(second, bool):
        raise fail(where, "names.second_surname", "must be true or false")
    return NameSplit(column=column, order=order, second_surname=second)


def parse_layout(data: Mapping[str, Any], where: str, default_name: str) -> Layout:
    for key in data:
        if key not in TOP_KEYS:
            raise fail(where, key, f"unknown key (known: {', '.join(TOP_KEYS)})")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name or len(name) > 40:
        raise fail(where, "name", "must be a non-empty string of at most 40 characters")
    title = data.get("title", name)
    if not isinstance(title, str):
        raise fail(where, "title", "must be a string")
    columns: dict[str, str] = {}
    for fld, col in table_of(where, "columns", data.get("columns", {})).items():
        _field(where, f"columns.{fld}", fld)
        if not isinstance(col, str) or not col.strip():
            raise fail(where, f"columns.{fld}", "must be the source column's name")
        columns[fld] = col.strip()
    constants: dict[str, str] = {}
    for fld, value in table_of(where, "constants", data.get("constants", {})).items():
        _field(where, f"constants.{fld}", fld)
        if not isinstance(value, str):
            raise fail(where, f"constants.{fld}", "must be a string")
        if fld in columns:
            raise fail(where, f"constants.{fld}", f"{fld} is also mapped to column {columns[fld]!r}")
        constants[fld] = value
    formats: dict[str, str] = {}
    for key, fmt in table_of(where, "formats", data.get("formats", {})).items():
        if key not in ("datetime", "date") and KINDS.get(key) not in ("datetime", "date"):
            dated = [f for f, k in KINDS.items() if k in ("date", "datetime")]
            raise fail(where, f"formats.{key}", f"not a date or date-time field (datetime, date, {', '.join(dated)})")
        formats[key] = check_format(where, f"formats.{key}", fmt)
    zone = _zone(where, data["timezone"]) if "timezone" in data else None
    booleans = table_of(where, "booleans", data.get("booleans", {}))
    for key in booleans:
        if key not in ("true", "false"):
            raise fail(where, f"booleans.{key}", "unknown key (known: true, false)")
    true_words = frozenset(w.lower() for w in _strings(where, "booleans.true", booleans.get("true", DEFAULT_TRUE)))
    false_words = frozenset(w.lower() for w in _strings(where, "booleans.false", booleans.get("false", DEFAULT_FALSE)))
    if both := sorted(true_words & false_words):
        raise fail(where, "booleans", f"{', '.join(both)} cannot be both true and false")
    names = name_split(where, data["names"]) if "names" in data else None
    if names is not None:
        for fld in NAME_FIELDS:
            if fld in columns or fld in constants:
                raise fail(where, "names", f"{fld} comes from the name column {names.column!r} and is mapped too")
    transform = None
    if "transform" in data:
        known = transforms()
        if data["transform"] not in known:
            raise fail(where, "transform", f"unknown transform {data['transform']!r} (known: {', '.join(known)})")
        transform = known[data["transform"]]
    required = tuple(_field(where, "required", f) for f in _strings(where, "required", data.get("required", REQUIRED)))
    optional = tuple(_field(where, "optional", f) for f in _strings(where, "optional", data.get("optional", [])))
    for fld in required:
        named = names is not None and fld in NAME_FIELDS
        provided = transform is not None and fld in transform.provides
        if fld not in columns and fld not in constants and not named and not provided:
            raise fail(where, "required", f"{fld} is required but has no column, constant or name rule")
    return Layout(
        name=name,
        title=title,
        source=where,
        columns=columns,
        constants=constants,
        formats=formats,
        timezone=zone,
        codes=_codes(where, data.get("codes", {})),
        true_words=true_words,
        false_words=false_words,
        names=names,
        required=required,
        optional=optional,
        keep=_strings(where, "keep", data.get("keep", [])),
        ignore=_strings(where, "ignore", data.get("ignore", [])),
        withheld=_strings(where, "withheld", data.get("withheld", [])),
        transform=transform,
    )


def load_layout(path: Path | str) -> Layout:
    path = Path(path)
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LayoutError(f"{path}: cannot read the layout ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise LayoutError(f"{where}: the layout is not UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"{where}: not valid TOML ({exc})") from exc
    return parse_layout(data, where, path.stem)


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.toml"))


def shipped(name: str) -> Layout:
    path = SHIPPED / f"{name}.toml"
    if not path.is_file():
        raise LayoutError(f"unknown mapping {name!r}; known: {', '.join(shipped_names())}")
    return load_layout(path)
