"""Reading and validating an agency's subject registry file (``holdtrack import registry``).

Formats: CSV, NDJSON (``.ndjson``/``.jsonl``), either optionally gzip, and Parquet. Text files are read as a
stream in the encoding their bytes show (``core.importfile.TextFile``: UTF-8, UTF-8 with BOM, UTF-16,
Latin-1) or the one given. Every row is validated before anything is written; problems are collected per row
and field and grouped when one cause explains many rows ("1,204 rows: birth_country 'Narnia' is not a
country"), up to ``max_errors`` of them. A NUL byte is a problem of its field. A file that cannot be read at
all (an unknown encoding, missing columns) raises ``RegistryFileError`` with a sentence, never a traceback.

Row numbers are what an operator finds in the file: the line number for CSV (the header is line 1) and
NDJSON, the 1-based record number for Parquet.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from holdtrack.core.importfile import NUL_MESSAGE, ImportFileError, Problems, TextFile, column_key
from holdtrack.core.text import a_number as a_number_form
from holdtrack.jurisdictions.countries import country_name

FORMATS = ("csv", "ndjson", "parquet")
REQUIRED = ("subject_id", "first_name", "last_name", "dob", "sex", "birth_country")
OPTIONAL = ("middle_name", "second_last_name", "fbi_number", "a_number")
COLUMNS = REQUIRED + OPTIONAL
# Model field lengths (custody.models.Subject / SubjectIdentifier.value).
MAX_LENGTH = {
    "subject_id": 40,
    "first_name": 80,
    "middle_name": 80,
    "last_name": 120,
    "second_last_name": 120,
}
SEX = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F", "X": "U", "U": "U", "UNKNOWN": "U", "": "U"}
# The booking feed keeps FBI numbers to 20 characters; both sides must compare the same strings.
FBI_RE = re.compile(r"[A-Z0-9]{1,20}")
EARLIEST_DOB = date(1900, 1, 1)
SHOWN_ROWS = 5


class RegistryFileError(Exception):
    """The file as a whole cannot be read."""


@dataclass(slots=True)
class RegistryRecord:
    row: int
    subject_id: str
    first_name: str
    middle_name: str
    last_name: str
    second_last_name: str
    date_of_birth: date | None
    sex: str
    birth_country: str
    fbi_number: str
    a_number: str


# ------------------------------------------------------------------------------------------ reading


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last == ".parquet":
        return "parquet"
    if last in (".ndjson", ".jsonl"):
        return "ndjson"
    if last == ".csv":
        return "csv"
    raise RegistryFileError(
        f"{path.name}: cannot tell the format from the name; use .csv, .ndjson, .jsonl (optionally .gz), "
        "or .parquet, or give --format"
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, date):
        return value.isoformat()[:10]
    if isinstance(value, bool | int | float):
        return str(value)
    raise ValueError(type(value).__name__)


# A layout (``--layout``, ``registry_layout``) renames source columns to these; "name" is a whole-name column
# its ``[names]`` rule splits into first_name, middle_name, last_name and second_last_name.
Rename = Mapping[str, str]


def _key(col: str, rename: Rename | None) -> str:
    key = column_key(col)
    return rename.get(key, key) if rename else key


def _known(rename: Rename | None) -> tuple[str, ...]:
    return (*COLUMNS, "name") if rename and "name" in rename.values() else COLUMNS


def _required(rename: Rename | None) -> tuple[str, ...]:
    if rename and "name" in rename.values():
        return tuple(c for c in REQUIRED if c not in ("first_name", "last_name"))
    return REQUIRED


def _header(name: str, header: list[str], rename: Rename | None = None) -> dict[str, str]:
    """Source column → canonical column, checking that every required column is there."""
    mapping: dict[str, str] = {}
    known = _known(rename)
    for col in header:
        key = _key(col, rename)
        if key not in known:
            continue  # other columns are ignored
        if key in mapping.values():
            # Which of two "dob" columns is meant cannot be guessed.
            raise RegistryFileError(f"{name}: column {key} appears more than once in the header")
        mapping[col] = key
    missing = [c for c in _required(rename) if c not in mapping.values()]
    if missing:
        raise RegistryFileError(
            f"{name}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(required: {', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)})"
        )
    return mapping


def _csv_rows(
    name: str, lines: Iterable[str], rename: Rename | None = None
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise RegistryFileError(f"{name}: the file is empty") from None
    except csv.Error as exc:
        raise RegistryFileError(f"{name}: line 1: {exc}") from exc
    mapping = _header(name, [h.strip() for h in header], rename)
    index = [(i, mapping[h.strip()]) for i, h in enumerate(header) if h.strip() in mapping]
    width = len(header)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise RegistryFileError(f"{name}: line {reader.line_num}: {exc}") from exc
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) != width:
                yield reader.line_num, {"": f"has {len(cells)} cells, the header has {width}"}
                continue
            yield reader.line_num, {key: cells[i].strip() for i, key in index}

    return list(mapping.values()), rows()


def _ndjson_rows(
    name: str, lines: Iterable[str], rename: Rename | None = None
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    # Held whole: the required columns are those some record has, known only at the end (the registry's
    # records are held for its one transaction anyway).
    known = _known(rename)
    parsed: list[tuple[int, dict[str, str]]] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            parsed.append((number, {"": f"is not valid JSON ({exc.msg})"}))
            continue
        if not isinstance(obj, dict):
            parsed.append((number, {"": "is not a JSON object"}))
            continue
        row: dict[str, str] = {}
        for key, value in obj.items():
            col = _key(str(key), rename)
            if col not in known:
                continue
            seen.add(col)
            try:
                row[col] = _cell(value)
            except ValueError:
                row[""] = f"{col} is a JSON {type(value).__name__}, not a value"
        parsed.append((number, row))
    if not parsed:
        raise RegistryFileError(f"{name}: the file has no records")
    missing = [c for c in _required(rename) if c not in seen]
    if missing:
        raise RegistryFileError(
            f"{name}: no record has {', '.join(missing)} (required: {', '.join(REQUIRED)}; "
            f"optional: {', '.join(OPTIONAL)})"
        )
    return sorted(seen), iter(parsed)


def _parquet_rows(path: Path, rename: Rename | None = None) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    import pyarrow as pa  # noqa: PLC0415 - heavy library, imported only on this path
    import pyarrow.parquet as pq  # noqa: PLC0415 - heavy library, imported only on this path

    name = path.name
    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise RegistryFileError(f"{name}: is not a readable Parquet file ({exc})") from exc
    mapping = _header(name, list(pf.schema_arrow.names), rename)
    columns = list(mapping)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        number = 0
        try:
            for batch in pf.iter_batches(batch_size=65_536, columns=columns):
                data = [batch.column(i).to_pylist() for i in range(len(columns))]
                for values in zip(*data, strict=True):
                    number += 1
                    row: dict[str, str] = {}
                    for col, value in zip(columns, values, strict=True):
                        try:
                            row[mapping[col]] = _cell(value)
                        except ValueError:
                            row[""] = f"{mapping[col]} is a {type(value).__name__}, not a value"
                    yield number, row
        except (OSError, pa.ArrowException) as exc:
            raise RegistryFileError(f"{name}: record {number + 1} cannot be read ({exc})") from exc

    return list(mapping.values()), rows()


@dataclass
class FileRows:
    columns: list[str]  # the canonical columns present
    rows: Iterator[tuple[int, dict[str, str]]]  # (row number, canonical column → text)
    encoding: str  # as the operator reads it ("UTF-16 LE with BOM"); "Parquet" for Parquet


def _lines(text: TextFile) -> Generator[str]:
    """The file's lines; the file is closed when they are all read (or the iterator is dropped)."""
    try:
        yield from text.lines()
    except ImportFileError as exc:
        raise RegistryFileError(str(exc)) from exc
    finally:
        text.__exit__(None, None, None)


def read_rows(
    path: Path, fmt: str | None = None, rename: Rename | None = None, encoding: str | None = None
) -> FileRows:
    """The file's rows, streamed; ``rename`` (a layout's source column key → canonical column) for files in an
    agency's own column names; ``encoding`` forces one (default: detected)."""
    if not path.is_file():
        raise RegistryFileError(f"{path}: no such file")
    fmt = fmt or detect_format(path)
    if fmt == "parquet":
        return FileRows(*_parquet_rows(path, rename), "Parquet")
    try:
        text = TextFile(path, encoding).__enter__()
    except ImportFileError as exc:
        raise RegistryFileError(str(exc)) from exc
    lines = _lines(text)
    try:
        if fmt == "ndjson":
            return FileRows(*_ndjson_rows(path.name, lines, rename), text.encoding.label)
        return FileRows(*_csv_rows(path.name, lines, rename), text.encoding.label)
    except BaseException:
        lines.close()
        raise


# --------------------------------------------------------------------------------------- validation


def _parse_dob(value: str, fmt: str = "iso") -> date | str:
    """The date, or the reason it is not one (``fmt``: a layout's strptime format for dob)."""
    if fmt != "iso":
        try:
            d = datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            return f"dob {value!r} is not a date ({fmt})"
    elif len(value) != 10 or value[4] != "-" or value[7] != "-":
        return f"dob {value!r} is not an ISO date (YYYY-MM-DD)"
    else:
        try:
            d = date.fromisoformat(value)
        except ValueError:
            return f"dob {value!r} is not a date"
    if d < EARLIEST_DOB:
        return f"dob {value!r} is before 1900"
    if d > date.today():  # noqa: DTZ011 - a calendar date, the server's day is good enough
        return f"dob {value!r} is in the future"
    return d


def validate(
    name: str,
    rows: Iterator[tuple[int, dict[str, str]]],
    progress: Any = None,
    dob_format: str = "iso",
    max_errors: int = 0,
) -> tuple[list[RegistryRecord], Problems, int]:
    """Every row checked, up to ``max_errors`` problems (0: no limit); (good records, problems, rows read).
    Duplicates within the file are problems too."""
    problems = Problems(name, limit=max_errors)
    add = problems.add
    records: list[RegistryRecord] = []
    first_row: dict[tuple[str, str], int] = {}
    dup_rows: dict[tuple[str, str], list[int]] = {}
    read = last = 0
    for number, row in rows:
        if problems.full:
            problems.stop(last)  # the row where the limit was reached; this one is not checked
            break
        last = number
        read += 1
        if progress is not None and read % 50_000 == 0:
            progress("validating", read, None)
        whole = row.get("")
        if whole:
            add(number, "row", f"the row {whole}")
            continue
        nul = [fld for fld, value in row.items() if "\x00" in value]
        if nul:
            for fld in nul:
                add(number, fld, f"{fld} {NUL_MESSAGE}")
            continue
        bad = False
        get = row.get
        for fld, limit in MAX_LENGTH.items():
            value = get(fld, "")
            if len(value) > limit:
                add(number, fld, f"{fld} is longer than {limit} characters")
                bad = True
            elif value and not value.isprintable():
                add(number, fld, f"{fld} contains control characters")
                bad = True
        sid = get("subject_id", "")
        if not sid:
            add(number, "subject_id", "subject_id is empty")
            bad = True
        # One name is enough (mononyms, a given name the source left out); none at all is not a person.
        if not get("first_name") and not get("last_name"):
            add(number, "first_name", "first_name and last_name are both empty")
            bad = True
        dob_text = get("dob", "")
        dob: date | None = None
        if dob_text:
            parsed = _parse_dob(dob_text, dob_format)
            if isinstance(parsed, str):
                add(number, "dob", parsed)
                bad = True
            else:
                dob = parsed
        sex_text = get("sex", "")
        sex = SEX.get(sex_text.upper())
        if sex is None:
            add(number, "sex", f"sex {sex_text!r} is not one of M, F, X (or U, Male, Female, empty)")
            bad = True
        country_text = get("birth_country", "")
        country = ""
        if country_text:
            found = country_name(country_text)
            if found is None:
                add(number, "birth_country", f"birth_country {country_text!r} is not a country")
                bad = True
            else:
                country = found
        fbi = get("fbi_number", "").upper().replace(" ", "").replace("-", "")
        if fbi and not FBI_RE.fullmatch(fbi):
            add(number, "fbi_number", f"fbi_number {get('fbi_number')!r} is not 1–20 letters and digits")
            bad = True
        a_text = get("a_number", "")
        a_number = a_number_form(a_text)
        if a_number is None:
            add(number, "a_number", f"a_number {a_text!r} is not an A-number (8 or 9 digits, e.g. A123-456-789)")
            bad = True
            a_number = ""
        for fld, value in (("subject_id", sid), ("fbi_number", fbi), ("a_number", a_number)):
            if value:
                key = (fld, value)
                first = first_row.setdefault(key, number)
                if first != number:
                    dup_rows.setdefault(key, [first]).append(number)
                    bad = True
        if bad:
            continue
        records.append(
            RegistryRecord(
                number,
                sid,
                get("first_name", ""),
                get("middle_name", ""),
                get("last_name", ""),
                get("second_last_name", ""),
                dob,
                sex or "U",
                country,
                fbi,
                a_number,
            )
        )
    for (fld, value), numbers in dup_rows.items():
        where = ", ".join(str(n) for n in numbers[:SHOWN_ROWS]) + (", …" if len(numbers) > SHOWN_ROWS else "")
        message = f"{fld} {value!r} appears in {len(numbers):,} rows ({where}); each must be unique in the file"
        add(numbers[0], fld, message)
    if progress is not None:
        progress("validating", read, read)
    return records, problems, read
