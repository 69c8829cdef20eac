"""``bookings_import``: validate a whole booking-feed file, then write it through the custody services.

- CSV (optionally gzip) or NDJSON; a named mapping reads other layouts (``pierce``).
- Every problem is reported as ``file:row:field`` (the FOIA importer's ``RowError``). More bad rows than
  ``max_bad_rows`` and nothing is saved.
- The good rows are written in one transaction: a killed import leaves nothing behind and can be re-run.
- Every event written (booking, release eligibility, release) gets a ``BookingImportRow`` with the file's
  SHA-256, the row number and the run. The idempotency key is agency ORI + booking number + event: a
  re-import, or an overlapping file, creates no duplicates. The same file (SHA-256) again is a no-op.
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
from pathlib import Path
from typing import Any

from django.db import transaction

from holdtrack.accounts.models import Role, User
from holdtrack.accounts.services import organization_for_lea, user_ensure
from holdtrack.audit.models import Channel
from holdtrack.core.timeutil import now
from holdtrack.custody import services as custody
from holdtrack.custody.ingest.canonical import CANONICAL
from holdtrack.custody.ingest.canonical import text as cell_text
from holdtrack.custody.ingest.records import FeedMapping, FeedRecord
from holdtrack.custody.models import (
    Booking,
    BookingImportRow,
    BookingImportRun,
    FeedEvent,
    FeedImportStatus,
)
from holdtrack.jurisdictions.models import Facility, LawEnforcementAgency
from holdtrack.reports.foia import RowError, _read_text, _sha256, column_key

MAX_STORED_ERRORS = 1000
FORMATS = ("csv", "ndjson")

# progress(stage, done, total): stage "validating" or "saving"
ProgressCallback = Callable[[str, int, int | None], None]


class BookingImportError(Exception):
    """The file as a whole cannot be imported."""


def mappings() -> dict[str, FeedMapping]:
    from holdtrack.custody.pierce import PIERCE

    return {m.name: m for m in (CANONICAL, PIERCE)}


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
    drift: dict[str, Any] = field(default_factory=dict)
    refused: str = ""
    run: BookingImportRun | None = None
    already_imported: BookingImportRun | None = None
    seconds: float = 0.0


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


class _Reader:
    """Rows of the file as mappings keyed by the layout's column names, with the drift seen on the way."""

    def __init__(self, path: Path, fmt: str, text: str, mapping: FeedMapping) -> None:
        self.path, self.fmt, self.text, self.mapping = path, fmt, text, mapping
        self.known = {column_key(c): c for c in (*mapping.columns, *mapping.withheld)}
        self.seen: list[str] = []
        self.kinds: dict[str, Counter[str]] = {}
        self.file_errors: list[RowError] = []

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
                yield row_no, dict(zip(keys, cells, strict=True))
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
            for k, v in row.items():
                self.kinds.setdefault(k, Counter())[_json_kind(v)] += 1
            yield row_no, row

    def drift(self) -> dict[str, Any]:
        documented = set(self.mapping.columns)
        retyped = {k: dict(c) for k, c in self.kinds.items() if len({kind for kind in c if kind != "null"}) > 1}
        return {
            "new_columns": [c for c in self.seen if c not in documented and c not in self.mapping.withheld],
            "missing_columns": [c for c in self.mapping.columns if c not in self.seen],
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


def bookings_import(
    *,
    path: Path | str,
    fmt: str | None = None,
    mapping: str = "canonical",
    max_bad_rows: int = 0,
    actor_label: str = "",
    progress: ProgressCallback | None = None,
) -> BookingImportResult:
    clock = time.monotonic()
    started = now()
    path = Path(path)
    known = mappings()
    if mapping not in known:
        raise BookingImportError(f"unknown mapping {mapping!r}; known: {', '.join(known)}")
    layout = known[mapping]
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
    earlier = BookingImportRun.objects.filter(file_sha256=sha, mapping=mapping).order_by("pk").first()
    if earlier is not None:
        result.already_imported = result.run = earlier
        return result

    reader = _Reader(path, fmt, text, layout)
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
            absent = [c for c in layout.required_columns if c not in reader.seen]
            if absent and fmt == "csv":
                raise BookingImportError(f"{name}: required columns missing: {', '.join(absent)}")
        record, problems = layout.convert(row, row_no)
        # Agency, facility and repeats are checked even when other fields are bad: every problem is listed.
        ori = record.agency_ori if record else cell_text(row.get("agency_ori")).upper()
        code = record.facility_code if record else cell_text(row.get("facility_code")).upper()
        number = record.booking_number if record else cell_text(row.get("booking_number"))
        lea = places.lea(ori) if ori else None
        facility = places.facility(code) if code else None
        if ori and lea is None:
            problems.append(("agency_ori", f"no agency with ORI {ori!r}"))
        if code and facility is None:
            problems.append(("facility_code", f"no facility with code {code!r}"))
        elif facility is not None and lea is not None and facility.operator_id != lea.pk:
            problems.append(("facility_code", f"{code} is not operated by {ori}"))
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

    with transaction.atomic():
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
            errors=[str(e) for e in errors[:MAX_STORED_ERRORS]],
            options={"max_bad_rows": max_bad_rows, "format_given": fmt},
            status=FeedImportStatus.PARTIAL if errors else FeedImportStatus.COMPLETE,
            actor_label=actor_label,
        )
        _save(run, sha, records, result, progress)
        BookingImportRun.objects.filter(pk=run.pk).update(
            finished_at=now(),
            events_created=sum(result.events_created.values()),
            events_skipped=result.events_skipped,
        )
        run.refresh_from_db()
    result.run = run
    result.seconds = time.monotonic() - clock
    return result


def _save(
    run: BookingImportRun,
    sha: str,
    records: list[tuple[FeedRecord, LawEnforcementAgency, Facility]],
    result: BookingImportResult,
    progress: ProgressCallback | None,
) -> None:
    oris = {lea.ori for _, lea, _ in records}
    done: set[tuple[str, str, str]] = set(
        BookingImportRow.objects.filter(custodian_ori__in=oris).values_list("custodian_ori", "booking_number", "event")
    )
    users: dict[int, User] = {}
    pending: list[BookingImportRow] = []

    def provenance(record: FeedRecord, booking: Booking, event: str) -> None:
        pending.append(
            BookingImportRow(
                run=run,
                booking=booking,
                custodian_ori=record.agency_ori,
                booking_number=record.booking_number,
                event=event,
                file_sha256=sha,
                row_number=record.row_number,
                immigration_hold=record.immigration_hold if event == FeedEvent.BOOKING else None,
                hold_outcome=record.hold_outcome if event == FeedEvent.BOOKING else "",
                charge_type=record.charge_type,
                source_disposition=record.source_disposition,
                data=record.data if event == FeedEvent.BOOKING else {},
            )
        )
        result.events_created[event] += 1

    for i, (record, lea, facility) in enumerate(records, 1):
        actor = users.get(lea.pk)
        if actor is None:
            actor = users[lea.pk] = feed_user(lea)
        key = (record.agency_ori, record.booking_number)
        booking = Booking.objects.filter(custodian=lea, booking_number=record.booking_number).first()
        if (*key, FeedEvent.BOOKING) in done:
            result.events_skipped += 1
        else:
            if booking is None:
                subject = custody.subject_create(
                    actor=actor,
                    first_name=record.first_name,
                    middle_name=record.middle_name,
                    last_name=record.last_name,
                    date_of_birth=record.date_of_birth,
                    sex=record.sex,
                    birth_country=record.birth_country,
                )
                booking = custody.booking_create(
                    actor=actor,
                    subject=subject,
                    facility=facility,
                    booking_number=record.booking_number,
                    booked_at=record.booked_at,
                    charge_level=record.charge_level,
                    charges=record.charges,
                    stated_birth_country=record.birth_country,
                    channel=Channel.IMPORT,
                )
            provenance(record, booking, FeedEvent.BOOKING)
        assert booking is not None
        if record.release_eligible_at is not None:
            if (*key, FeedEvent.RELEASE_ELIGIBILITY) in done or booking.release_eligible_at is not None:
                result.events_skipped += 1
            elif booking.released_at is None:
                booking = custody.booking_record_release_eligibility(
                    actor=actor,
                    booking=booking,
                    at=record.release_eligible_at,
                    reason=record.release_eligibility_reason,
                    channel=Channel.IMPORT,
                )
                provenance(record, booking, FeedEvent.RELEASE_ELIGIBILITY)
        if record.released_at is not None:
            if (*key, FeedEvent.RELEASE) in done or booking.released_at is not None:
                result.events_skipped += 1
            else:
                booking = custody.booking_release(
                    actor=actor,
                    booking=booking,
                    at=record.released_at,
                    release_type=record.release_type,
                    channel=Channel.IMPORT,
                )
                provenance(record, booking, FeedEvent.RELEASE)
        if len(pending) >= 1000:
            BookingImportRow.objects.bulk_create(pending)
            pending.clear()
        if progress is not None and (i % 100 == 0 or i == len(records)):
            progress("saving", i, len(records))
    BookingImportRow.objects.bulk_create(pending)
