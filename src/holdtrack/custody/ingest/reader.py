"""A booking feed's rows, streamed: CSV or NDJSON lines from ``core.importfile.TextFile`` (encoding detected
or given, gzip opened on the fly), as mappings keyed by the layout's column names, with the schema drift seen
on the way. Nothing here holds more than one row; the import reads the file twice (validate, then write) unless it is small
(``run.KEEP_VALIDATED_ROWS``)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from holdtrack.core.importfile import NUL_MESSAGE, RowError, TextFile, column_key, has_nul
from holdtrack.custody.ingest.records import FeedMapping


class FeedFileError(Exception):
    """The file as a whole cannot be read (empty, broken CSV quoting, a NUL in the header)."""


def detect_format(name: str, head: str) -> str:
    name = name.lower().removesuffix(".gz")
    if name.endswith((".ndjson", ".jsonl")):
        return "ndjson"
    if name.endswith(".csv"):
        return "csv"
    return "ndjson" if head.lstrip().startswith("{") else "csv"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


_BOOLEAN_WORDS = {"1", "0", "true", "false", "yes", "no", "y", "n", "t", "f"}


def value_kinds(value: Any) -> tuple[str, ...]:
    """The kinds a cell could be read as (most specific first); ``()`` for an empty cell."""
    if value is None:
        return ()
    if isinstance(value, bool):
        return ("boolean",)
    if isinstance(value, int | float):
        return ("number", "boolean") if value in (0, 1) else ("number",)
    raw = str(value).strip()
    if not raw:
        return ()
    kinds: list[str] = []
    if raw.lower() in _BOOLEAN_WORDS:
        kinds.append("boolean")
    try:
        float(raw)
        kinds.append("number")
    except ValueError:
        pass
    if not kinds and len(raw) >= 10 and raw[4:5] == "-":
        try:
            if len(raw) == 10:
                date.fromisoformat(raw)
                kinds.append("date")
            else:
                datetime.fromisoformat(raw.replace("Z", "+00:00"))
                kinds.append("datetime")
        except ValueError:
            pass
    return tuple(kinds) or ("text",)


def nul_errors(name: str, row_no: int, row: Mapping[str, Any]) -> list[RowError]:
    """One problem per field holding a NUL byte: PostgreSQL text cannot store it, so the row is refused."""
    return [RowError(name, row_no, str(k), NUL_MESSAGE) for k, v in row.items() if has_nul(v)]


class FeedReader:
    """Rows of the file as mappings keyed by the layout's column names, with the drift seen on the way.
    ``errors`` collects the row-level problems of the reading itself (cell counts, JSON); a row that has one
    is yielded as ``None``."""

    def __init__(self, text: TextFile, fmt: str, mapping: FeedMapping) -> None:
        self.text, self.fmt, self.mapping = text, fmt, mapping
        self.name = text.name
        self.known = {column_key(c): c for c in (*mapping.columns, *mapping.withheld)}
        self.seen: list[str] = []
        self.kinds: dict[str, Counter[str]] = {}
        # Documented kind per column → how many non-empty values fit it, and the kinds seen.
        self.expected = dict(mapping.kinds)
        self.fits: Counter[str] = Counter()
        self.seen_kinds: dict[str, Counter[str]] = {c: Counter() for c in self.expected}
        self.errors: list[RowError] = []

    def _check_kinds(self, row: Mapping[str, Any]) -> None:
        for column, kind in self.expected.items():
            found = value_kinds(row.get(column))
            if found:
                self.seen_kinds[column][found[0]] += 1
                if kind in found:
                    self.fits[column] += 1

    def _note(self, names: list[str]) -> None:
        self.seen += [n for n in names if n not in self.seen]

    def rows(self) -> Iterator[tuple[int, Mapping[str, Any] | None]]:
        return self._csv_rows() if self.fmt == "csv" else self._ndjson_rows()

    def _csv_rows(self) -> Iterator[tuple[int, Mapping[str, Any] | None]]:
        name = self.name
        reader = csv.reader(self.text.lines())
        try:
            header = next(reader, None)
            if not header:
                raise FeedFileError(f"{name}: empty file (no header row)")
            if any("\x00" in h for h in header):
                column = next(i for i, h in enumerate(header, 1) if "\x00" in h)
                raise FeedFileError(f"{name}: the header's column {column} {NUL_MESSAGE}")
            keys = [self.known.get(column_key(h), h.strip()) for h in header]
            repeated = [k for k, n in Counter(keys).items() if n > 1 and k]
            if repeated:
                # Which of the two cells to read would be a guess; the registry import refuses the same.
                where = ", ".join(str(i) for i, k in enumerate(keys, 1) if k == repeated[0])
                raise FeedFileError(
                    f"{name}: column {repeated[0]} appears more than once in the header (columns {where})"
                )
            self._note(keys)
            row_no = 0
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                row_no += 1
                if len(cells) != len(keys):
                    self.errors.append(RowError(name, row_no, "row", f"{len(cells)} cells; header has {len(keys)}"))
                    yield row_no, None
                    continue
                cells_by_key = dict(zip(keys, cells, strict=True))
                self._check_kinds(cells_by_key)
                yield row_no, cells_by_key
        except csv.Error as exc:
            # Broken quoting or a field over the csv module's limit: the rest of the file cannot be split.
            raise FeedFileError(f"{name}: line {reader.line_num}: {exc}") from exc

    def _ndjson_rows(self) -> Iterator[tuple[int, Mapping[str, Any] | None]]:
        name = self.name
        row_no = 0
        for line in self.text.lines():
            if not line.strip():
                continue
            row_no += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                self.errors.append(RowError(name, row_no, "row", f"not a JSON object ({exc.msg})"))
                yield row_no, None
                continue
            if not isinstance(obj, dict):
                self.errors.append(RowError(name, row_no, "row", "not a JSON object"))
                yield row_no, None
                continue
            if any("\x00" in str(k) for k in obj):
                self.errors.append(RowError(name, row_no, "row", f"a key {NUL_MESSAGE}"))
                yield row_no, None
                continue
            row: dict[str, Any] = {self.known.get(column_key(str(k))) or str(k): v for k, v in obj.items()}
            self._note(list(row))
            self._check_kinds(row)
            for k, v in row.items():
                self.kinds.setdefault(k, Counter())[_json_kind(v)] += 1
            yield row_no, row

    def drift(self) -> dict[str, Any]:
        documented = set(self.mapping.columns)
        # NDJSON: a column whose values come in more than one JSON type.
        retyped: dict[str, Any] = {
            k: dict(c) for k, c in self.kinds.items() if len({kind for kind in c if kind != "null"}) > 1
        }
        # Any format: a documented column whose values mostly no longer read as its documented kind (a date
        # column now holding numbers, a yes/no column holding free text) is retyped, not silently dropped.
        for column, kind in self.expected.items():
            filled = sum(self.seen_kinds[column].values())
            if filled and self.fits[column] * 2 < filled:
                retyped[column] = {"expected": kind, **dict(self.seen_kinds[column])}
        optional = set(self.mapping.optional_columns)
        return {
            "new_columns": [c for c in self.seen if c not in documented and c not in self.mapping.withheld],
            "missing_columns": [c for c in self.mapping.columns if c not in self.seen and c not in optional],
            "retyped_columns": retyped,
            "withheld_columns": [c for c in self.seen if c in self.mapping.withheld],
        }
