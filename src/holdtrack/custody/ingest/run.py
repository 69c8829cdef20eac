"""``bookings_import``: validate a whole booking-feed file, then write it in chunks (``bulk.bookings_import_batch``).

- CSV (optionally gzip) or NDJSON, read through a layout (``layout.py``): a shipped one by name
  (``--mapping canonical|pierce``) or an agency's own TOML file (``--layout FILE``).
- Every problem is a ``file:row:field`` ``RowError``; ``problems`` groups them by cause, so that one cause over
  many rows is one line (a missing agency, a bad date format in a column). More bad rows than ``max_bad_rows``
  and nothing is saved.
- The good rows are written in chunks, each one transaction (persist, screen, one audit event). The run row
  is RUNNING until the last chunk commits; a killed import leaves whole chunks only and a re-run of the same
  file resumes the run, skipping the events already stored (idempotency keys).
- Every event written (booking, release eligibility, release) gets a ``BookingImportRow`` with the file's
  SHA-256, the row number and the run. The idempotency key is agency ORI + booking number + event: a
  re-import, or an overlapping file, creates no duplicates. The same file (SHA-256) again is a no-op once
  its run is COMPLETE or PARTIAL.
- New, missing and retyped columns are reported with the run (schema drift).
- The actor is the agency's system-feed user (role LEA_BOOKING, the LEA's organization), channel IMPORT.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from holdtrack.accounts.models import Role, User
from holdtrack.accounts.services import organization_for_lea, user_ensure
from holdtrack.core.errors import ValidationFailed
from holdtrack.core.timeutil import birth_date, fact_time, now
from holdtrack.custody.ingest.bulk import Screener, bookings_import_batch
from holdtrack.custody.ingest.canonical import text as cell_text
from holdtrack.custody.ingest.layout import LayoutError, load_layout, shipped, shipped_names
from holdtrack.custody.ingest.layout_convert import layout_mapping
from holdtrack.custody.ingest.problems import group_errors
from holdtrack.custody.ingest.records import FeedMapping, FeedRecord
from holdtrack.custody.models import BookingImportRun, FeedImportStatus
from holdtrack.jurisdictions.models import Facility, LawEnforcementAgency
from holdtrack.reports.foia import RowError, _read_text, _sha256, column_key

MAX_STORED_ERRORS = 1000
DEFAULT_CHUNK_SIZE = 2000
FORMATS = ("csv", "ndjson")

# progress(stage, done, total): stage "validating" or "saving"
ProgressCallback = Callable[[str, int, int | None], None]


class BookingImportError(Exception):
    """The file as a whole cannot be imported."""


def mappings() -> dict[str, FeedMapping]:
    """The shipped layouts (``layouts/*.toml``) by name."""
    return {name: _shipped_mapping(name) for name in shipped_names()}


_SHIPPED: dict[str, FeedMapping] = {}


def _shipped_mapping(name: str) -> FeedMapping:
    if name not in _SHIPPED:
        _SHIPPED[name] = layout_mapping(shipped(name))
    return _SHIPPED[name]


def resolve_mapping(mapping: str = "canonical", layout: Path | str | None = None) -> FeedMapping:
    """``--layout FILE`` (validated now) or the shipped layout ``--mapping NAME``."""
    try:
        if layout is not None:
            return layout_mapping(load_layout(layout))
        if mapping not in shipped_names():
            raise BookingImportError(f"unknown mapping {mapping!r}; known: {', '.join(shipped_names())}")
        return _shipped_mapping(mapping)
    except LayoutError as exc:
        raise BookingImportError(str(exc)) from exc


@dataclass
class BookingImportResult:
    file_name: str
    sha256: str
    format: str
    mapping: str
    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    events_created: Counter[str] = field(default_factory=Counter)
    events_skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    # The errors grouped by cause, one sentence each (``problems.group_errors``).
    problems: list[str] = field(default_factory=list)
    drift: dict[str, Any] = field(default_factory=dict)
    refused: str = ""
    run: BookingImportRun | None = None
    already_imported: BookingImportRun | None = None
    seconds: float = 0.0
    chunks: int = 0
    claims_opened: int = 0
    screening: Counter[str] = field(default_factory=Counter)


def feed_user(lea: LawEnforcementAgency) -> User:
    """The agency's system-feed account: every feed write is attributed to it."""
    return user_ensure(
        actor=None,
        username=f"feed-{lea.ori.lower()}",
        role=Role.LEA_BOOKING,
        organization=organization_for_lea(lea),
        first_name="booking feed",
        last_name=lea.ori,
    )


def _detect_format(path: Path, text: str) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".ndjson", ".jsonl")):
        return "ndjson"
    if name.endswith(".csv"):
        return "csv"
    return "ndjson" if text.lstrip().startswith("{") else "csv"


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


class _Reader:
    """Rows of the file as mappings keyed by the layout's column names, with the drift seen on the way."""

    def __init__(self, path: Path, fmt: str, text: str, mapping: FeedMapping) -> None:
        self.path, self.fmt, self.text, self.mapping = path, fmt, text, mapping
        self.known = {column_key(c): c for c in (*mapping.columns, *mapping.withheld)}
        self.seen: list[str] = []
        self.kinds: dict[str, Counter[str]] = {}
        # Documented kind per column → how many non-empty values fit it, and the kinds seen.
        self.expected = {c: k for c, k in mapping.kinds.items()}
        self.fits: Counter[str] = Counter()
        self.seen_kinds: dict[str, Counter[str]] = {c: Counter() for c in self.expected}
        self.file_errors: list[RowError] = []

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
        name = self.path.name
        if self.fmt == "csv":
            reader = csv.reader(io.StringIO(self.text, newline=""))
            header = next(reader, None)
            if not header:
                raise BookingImportError(f"{name}: empty file (no header row)")
            keys = [self.known.get(column_key(h), h.strip()) for h in header]
            self._note(keys)
            row_no = 0
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                row_no += 1
                if len(cells) != len(keys):
                    self.file_errors.append(
                        RowError(name, row_no, "row", f"{len(cells)} cells; header has {len(keys)}")
                    )
                    yield row_no, None
                    continue
                cells_by_key = dict(zip(keys, cells, strict=True))
                self._check_kinds(cells_by_key)
                yield row_no, cells_by_key
            return
        row_no = 0
        for line in self.text.splitlines():
            if not line.strip():
                continue
            row_no += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                self.file_errors.append(RowError(name, row_no, "row", f"not a JSON object ({exc.msg})"))
                yield row_no, None
                continue
            if not isinstance(obj, dict):
                self.file_errors.append(RowError(name, row_no, "row", "not a JSON object"))
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


class _Places:
    """Agencies and facilities by ORI and code, looked up once."""

    def __init__(self) -> None:
        self.leas: dict[str, LawEnforcementAgency | None] = {}
        self.facilities: dict[str, Facility | None] = {}

    def lea(self, ori: str) -> LawEnforcementAgency | None:
        if ori not in self.leas:
            self.leas[ori] = LawEnforcementAgency.objects.filter(ori=ori).first()
        return self.leas[ori]

    def facility(self, code: str) -> Facility | None:
        if code not in self.facilities:
            self.facilities[code] = Facility.objects.select_related("operator").filter(code=code).first()
        return self.facilities[code]


def fact_problems(record: FeedRecord) -> list[tuple[str, str]]:
    """The services' fact-time rules (core.timeutil) for the set-based path, which writes new bookings without
    the per-event services: each problem names its field."""
    out: list[tuple[str, str]] = []
    checks = [
        ("booked_at", record.booked_at, "Booking time", None, ""),
        ("release_eligible_at", record.release_eligible_at, "Release eligibility", record.booked_at, "the booking"),
        ("released_at", record.released_at, "Release", record.booked_at, "the booking"),
    ]
    for field_name, value, what, after, after_what in checks:
        if value is None:
            continue
        try:
            fact_time(value, what, not_before=after, not_before_what=after_what)
        except ValidationFailed as exc:
            out.append((field_name, exc.message))
    try:
        birth_date(record.date_of_birth)
    except ValidationFailed as exc:
        out.append(("date_of_birth", exc.message))
    return out


def bookings_import(
    *,
    path: Path | str,
    fmt: str | None = None,
    mapping: str = "canonical",
    layout: Path | str | None = None,
    max_bad_rows: int = 0,
    actor_label: str = "",
    progress: ProgressCallback | None = None,
    chunk_size: int | None = None,
    screen: Screener | None = None,
) -> BookingImportResult:
    """Validate the whole file, then write it in chunks of ``chunk_size`` records, each chunk one
    transaction through ``bookings_import_batch`` (persist, ``screen``, audit). Callers take bookings in
    through ``holdtrack.intake.bookings.bookings_import``, which passes the screening step."""
    clock = time.monotonic()
    chunk_size = chunk_size or int(getattr(settings, "HOLDTRACK_INGEST_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))
    if chunk_size < 1:
        raise BookingImportError(f"chunk size must be positive, not {chunk_size}")
    started = now()
    path = Path(path)
    feed = resolve_mapping(mapping, layout)
    mapping = feed.name
    if not path.is_file():
        raise BookingImportError(f"{path}: no such file")
    if fmt is not None and fmt not in FORMATS:
        raise BookingImportError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    sha, size = _sha256(path)
    try:
        text, encoding = _read_text(path)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BookingImportError(f"{path.name}: cannot read the file ({exc})") from exc
    fmt = fmt or _detect_format(path, text)
    result = BookingImportResult(file_name=path.name, sha256=sha, format=fmt, mapping=mapping)
    # The same file again is a no-op once it was imported to the end; an interrupted run is resumed.
    runs = BookingImportRun.objects.filter(file_sha256=sha, mapping=mapping).order_by("pk")
    earlier = runs.exclude(status=FeedImportStatus.RUNNING).first()
    if earlier is not None:
        result.already_imported = result.run = earlier
        return result
    interrupted = runs.filter(status=FeedImportStatus.RUNNING).last()

    reader = _Reader(path, fmt, text, feed)
    places = _Places()
    records: list[tuple[FeedRecord, LawEnforcementAgency, Facility]] = []
    first_row: dict[tuple[str, str], int] = {}
    errors: list[RowError] = []
    name = path.name
    for row_no, row in reader.rows():
        result.rows_read += 1
        if progress is not None and row_no % 500 == 0:
            progress("validating", row_no, None)
        if row is None:
            continue
        if row_no == 1:
            absent = [c for c in feed.required_columns if c not in reader.seen]
            if absent and fmt == "csv":
                raise BookingImportError(f"{name}: required columns missing: {', '.join(absent)}")
        record, problems = feed.convert(row, row_no)
        # Agency, facility and repeats are checked even when other fields are bad: every problem is listed.
        if record is not None:
            ori, code, number = record.agency_ori, record.facility_code, record.booking_number
        elif feed.identity is not None:
            ori, code, number = feed.identity(row)
        else:
            ori = cell_text(row.get("agency_ori")).upper()
            code = cell_text(row.get("facility_code")).upper()
            number = cell_text(row.get("booking_number"))
        lea = places.lea(ori) if ori else None
        facility = places.facility(code) if code else None
        if ori and lea is None:
            problems.append(("agency_ori", f"no agency with ORI {ori!r}"))
        if code and facility is None:
            problems.append(("facility_code", f"no facility with code {code!r}"))
        elif facility is not None and lea is not None and facility.operator_id != lea.pk:
            problems.append(("facility_code", f"{code} is not operated by {ori}"))
        if record is not None:
            problems.extend(fact_problems(record))
        if number:
            key = (ori, number)
            if key in first_row:
                problems.append(("booking_number", f"booking {number} repeats row {first_row[key]}"))
            else:
                first_row[key] = row_no
        if problems or record is None or lea is None or facility is None:
            errors.extend(RowError(name, row_no, f, m) for f, m in problems)
            continue
        records.append((record, lea, facility))
    errors = sorted([*reader.file_errors, *errors], key=lambda e: e.row)
    result.errors = errors
    result.problems = group_errors(name, errors)
    result.rows_imported = len(records)
    result.rows_rejected = result.rows_read - len(records)
    result.drift = reader.drift()
    if encoding != "utf-8":
        result.drift["encoding"] = encoding
    if progress is not None:
        progress("validating", result.rows_read, result.rows_read)
    if result.rows_rejected > max_bad_rows:
        result.refused = f"{result.rows_rejected:,} bad rows exceed the allowed {max_bad_rows:,} (--max-bad-rows)"
    elif not records:
        result.refused = "no row to import"
    if result.refused:
        result.rows_imported = 0
        result.seconds = time.monotonic() - clock
        return result

    final_status = FeedImportStatus.PARTIAL if errors else FeedImportStatus.COMPLETE
    if interrupted is not None:
        run = interrupted
        run.options = {**run.options, "resumed": int(run.options.get("resumed", 0)) + 1}
        run.save(update_fields=["options"])
    else:
        # Committed at once (status RUNNING): each chunk then commits on its own, so a killed import leaves
        # whole chunks and this run row, and a re-run of the same file resumes it.
        run = BookingImportRun.objects.create(
            file_name=name,
            file_sha256=sha,
            file_size=size,
            format=fmt,
            mapping=mapping,
            custodian=records[0][1] if len({r[1].pk for r in records}) == 1 else None,
            started_at=started,
            finished_at=started,
            rows_read=result.rows_read,
            rows_imported=len(records),
            rows_rejected=result.rows_rejected,
            schema_drift=result.drift,
            # Grouped: one line per cause with its count and example rows, not thousands of repeats.
            errors=result.problems[:MAX_STORED_ERRORS],
            options={
                "max_bad_rows": max_bad_rows,
                "format_given": fmt,
                "chunk_size": chunk_size,
                **({"layout": str(layout)} if layout is not None else {}),
            },
            status=FeedImportStatus.RUNNING,
            actor_label=actor_label,
        )
    result.run = run
    actors = {lea.pk: feed_user(lea) for lea in {lea.pk: lea for _, lea, _ in records}.values()}
    total = len(records)
    for chunk_no, start in enumerate(range(0, total, chunk_size), 1):
        part = bookings_import_batch(
            actors=actors, run=run, sha=sha, items=records[start : start + chunk_size], chunk=chunk_no, screen=screen
        )
        result.chunks += 1
        result.events_created.update(part.created)
        result.events_skipped += part.skipped
        result.claims_opened += part.claims
        result.screening.update(part.screening)
        if progress is not None:
            progress("saving", min(start + chunk_size, total), total)
    BookingImportRun.objects.filter(pk=run.pk).update(status=final_status, finished_at=now())
    run.refresh_from_db()
    result.seconds = time.monotonic() - clock
    return result
