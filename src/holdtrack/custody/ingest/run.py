"""``bookings_import``: validate a whole booking-feed file, then write it in chunks (``bulk.bookings_import_batch``).

- CSV (optionally gzip) or NDJSON, read through a layout (``layout.py``): a shipped one by name
  (``--mapping canonical|pierce``) or an agency's own TOML file (``--layout FILE``). The encoding is detected
  from the bytes (UTF-8, UTF-8 with BOM, UTF-16, Latin-1; ``core.importfile``) or given (``encoding``), named
  in the progress and the summary, and stored on the run.
- The file is streamed twice: once to validate every row, keeping only what the check of the next row needs
  (the booking numbers seen, the bad rows' numbers), once to write the good rows chunk by chunk. Memory does
  not grow with the rows' contents (bench/import_memory.py).
- Every problem is a ``file:row:field`` ``RowError``; ``problems`` groups them by cause, so that one cause over
  many rows is one line (a missing agency, a bad date format in a column). Validation stops at ``max_errors``
  problems ("stopped after 100 problems at row 1,234; the rest was not checked"). A NUL byte in a field is a
  problem of that field. More bad rows than ``max_bad_rows``, or a stop, and nothing is saved.
- The good rows are written in chunks, each one transaction (persist, screen, one audit event). The run row
  is RUNNING while its process writes it; any exception, Ctrl-C or SIGTERM marks it FAILED with the reason
  (``lifecycle``); a run found RUNNING whose process is gone (SIGKILL) is marked FAILED by the next run of the
  same file. A re-run resumes a FAILED run, skipping the events already stored (idempotency keys).
- Every event written (booking, release eligibility, release) gets a ``BookingImportRow`` with the file's
  SHA-256, the row number and the run. The idempotency key is agency ORI + booking number + event: a
  re-import, or an overlapping file, creates no duplicates. The same file (SHA-256) again is a no-op once
  its run is COMPLETE or PARTIAL.
- New, missing and retyped columns are reported with the run (schema drift).
- The actor is the agency's system-feed user (role LEA_BOOKING, the LEA's organization), channel IMPORT.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from holdtrack.accounts.models import Role, User
from holdtrack.accounts.services import organization_for_lea, user_ensure
from holdtrack.core.errors import ValidationFailed
from holdtrack.core.importfile import (
    DEFAULT_MAX_ERRORS,
    Encoding,
    ImportFileError,
    RowError,
    TextFile,
    encoding_named,
    file_sha256,
    stopped_sentence,
)
from holdtrack.core.timeutil import birth_date, fact_time, now
from holdtrack.custody.ingest.bulk import Screener, bookings_import_batch
from holdtrack.custody.ingest.canonical import text as cell_text
from holdtrack.custody.ingest.layout import LayoutError, load_layout, shipped, shipped_names
from holdtrack.custody.ingest.layout_convert import layout_mapping
from holdtrack.custody.ingest.lifecycle import failure_reason, owner, run_fail, run_resume, stale_reason
from holdtrack.custody.ingest.problems import group_errors
from holdtrack.custody.ingest.reader import FeedFileError, FeedReader, detect_format, nul_errors
from holdtrack.custody.ingest.records import FeedMapping, FeedRecord
from holdtrack.custody.models import BookingImportRun, FeedImportStatus
from holdtrack.jurisdictions.models import Facility, LawEnforcementAgency

MAX_STORED_ERRORS = 1000
DEFAULT_CHUNK_SIZE = 2000
FORMATS = ("csv", "ndjson")

# progress(stage, done, total): stage "validating …" or "saving"
ProgressCallback = Callable[[str, int, int | None], None]
Item = tuple[FeedRecord, LawEnforcementAgency, Facility]


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
    encoding: str = ""  # as the operator reads it: "UTF-16 LE with BOM"
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
    # Validation stopped at --max-errors: "stopped after 100 problems at row 1,234; the rest was not checked".
    stopped: str = ""
    run: BookingImportRun | None = None
    already_imported: BookingImportRun | None = None
    resumed: bool = False
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


def _check_row(
    feed: FeedMapping, places: _Places, row: Mapping[str, Any], row_no: int
) -> tuple[Item | None, list[tuple[str, str]], tuple[str, str]]:
    """(the row ready to write or None, its problems, its (agency ORI, booking number))."""
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
    item = (record, lea, facility) if record is not None and lea is not None and facility is not None else None
    return item, problems, (ori, number)


# A file of at most this many good rows keeps its converted rows from validation for the writing pass instead of
# reading and converting them again (about a sixth of the CPU of a screened import); over it, memory stays bounded
# by streaming the file twice (ADR 0020). ~2 KB a row.
KEEP_VALIDATED_ROWS = 25_000


@dataclass
class _Checked:
    """What validation keeps for the writing pass: bounded by the bad rows and the agencies, not the file (and
    the converted rows of a small file)."""

    bad: set[int] = field(default_factory=set)
    good: int = 0
    leas: dict[int, LawEnforcementAgency] = field(default_factory=dict)
    items: list[Item] | None = field(default_factory=list)


def _validate(
    text: TextFile,
    fmt: str,
    feed: FeedMapping,
    result: BookingImportResult,
    max_errors: int,
    progress: ProgressCallback | None,
) -> _Checked:
    reader = FeedReader(text, fmt, feed)
    places = _Places()
    checked = _Checked()
    # "ORI<US>booking number" → the row it first appeared on: one short string per row, the only state that
    # grows with the file (~150 bytes a row).
    first_row: dict[str, int] = {}
    errors: list[RowError] = []
    name = text.name
    stage = f"validating ({text.encoding.label})"
    for row_no, row in reader.rows():
        result.rows_read += 1
        if progress is not None and row_no % 500 == 0:
            progress(stage, row_no, None)
        if row is None:
            checked.bad.add(row_no)
        elif nul := nul_errors(name, row_no, row):
            # The other checks would only repeat the value; the row is refused for the NUL.
            errors.extend(nul)
            checked.bad.add(row_no)
        else:
            if row_no == 1:
                absent = [c for c in feed.required_columns if c not in reader.seen]
                if absent and fmt == "csv":
                    raise BookingImportError(f"{name}: required columns missing: {', '.join(absent)}")
            item, problems, (ori, number) = _check_row(feed, places, row, row_no)
            if number:
                key = f"{ori}\x1f{number}"
                first = first_row.setdefault(key, row_no)
                if first != row_no:
                    problems.append(("booking_number", f"booking {number} repeats row {first}"))
            if problems or item is None:
                errors.extend(RowError(name, row_no, f, m) for f, m in problems)
                checked.bad.add(row_no)
            else:
                checked.good += 1
                checked.leas.setdefault(item[1].pk, item[1])
                if checked.items is not None:
                    checked.items.append(item)
                    if checked.good > KEEP_VALIDATED_ROWS:
                        checked.items = None
        found = len(errors) + len(reader.errors)
        if max_errors and found >= max_errors:
            result.stopped = stopped_sentence(found, row_no)
            break
    errors = sorted([*reader.errors, *errors], key=lambda e: e.row)
    result.errors = errors
    result.problems = group_errors(name, errors)  # the stop, if any, is the command's closing sentence
    result.drift = reader.drift()
    if text.encoding.name != "utf-8":
        result.drift["encoding"] = text.encoding.label
    if progress is not None:
        progress(stage, result.rows_read, result.rows_read)
    return checked


def _good_items(path: Path, encoding: Encoding, fmt: str, feed: FeedMapping, bad: set[int]) -> Iterator[Item]:
    """The rows validation found good, read and converted again (the file is not held in memory)."""
    with TextFile(path, encoding) as text:
        places = _Places()
        for row_no, row in FeedReader(text, fmt, feed).rows():
            if row is None or row_no in bad:
                continue
            item, problems, _ = _check_row(feed, places, row, row_no)
            if item is None or problems:
                raise BookingImportError(f"{path.name}: row {row_no} changed after it was validated; re-run the import")
            yield item


def _chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ahead(chunks: Iterator[list[Item]], prepare: Callable[[list[Item]], None] | None) -> Iterator[list[Item]]:
    """The chunks, each next one passed to ``prepare`` before the current one is handed out."""
    if prepare is None:
        yield from chunks
        return
    current = next(chunks, None)
    if current is not None:
        prepare(current)
    while current is not None:
        following = next(chunks, None)
        if following is not None:
            prepare(following)
        yield current
        current = following


def _safe(lines: list[str]) -> list[str]:
    # A NUL cannot be stored in PostgreSQL JSON; a message quoting a value shows it escaped.
    return [line.replace("\x00", "\\x00") for line in lines]


def bookings_import(
    *,
    path: Path | str,
    fmt: str | None = None,
    mapping: str = "canonical",
    layout: Path | str | None = None,
    max_bad_rows: int = 0,
    max_errors: int | None = None,
    encoding: str | None = None,
    actor_label: str = "",
    progress: ProgressCallback | None = None,
    chunk_size: int | None = None,
    screen: Screener | None = None,
    take_over: bool = False,
) -> BookingImportResult:
    """Validate the whole file (streamed), then stream it again, writing chunks of ``chunk_size`` records, each
    chunk one transaction through ``bookings_import_batch`` (persist, ``screen``, audit). ``max_errors``: stop
    validating at that many problems (0: never; default 100, or one more than ``max_bad_rows``). Callers take
    bookings in through ``holdtrack.intake.bookings.bookings_import``, which passes the screening step.
    ``take_over``: resume a run left RUNNING by another host (``lifecycle.stale_reason``)."""
    clock = time.monotonic()
    chunk_size = chunk_size or int(getattr(settings, "HOLDTRACK_INGEST_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))
    if chunk_size < 1:
        raise BookingImportError(f"chunk size must be positive, not {chunk_size}")
    if max_errors is None:
        max_errors = max(DEFAULT_MAX_ERRORS, max_bad_rows + 1)
    if max_errors < 0:
        raise BookingImportError(f"--max-errors must be 0 (no limit) or more, not {max_errors}")
    started = now()
    path = Path(path)
    feed = resolve_mapping(mapping, layout)
    mapping = feed.name
    if not path.is_file():
        raise BookingImportError(f"{path}: no such file")
    if fmt is not None and fmt not in FORMATS:
        raise BookingImportError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    sha, size = file_sha256(path)
    # The same file again is a no-op once it was imported to the end; a failed or killed run is resumed.
    runs = BookingImportRun.objects.filter(file_sha256=sha, mapping=mapping).order_by("pk")
    earlier = runs.filter(status__in=(FeedImportStatus.COMPLETE, FeedImportStatus.PARTIAL)).first()
    if earlier is not None:
        result = BookingImportResult(path.name, sha, earlier.format, mapping, earlier.encoding)
        result.already_imported = result.run = earlier
        return result
    interrupted = runs.filter(status__in=(FeedImportStatus.RUNNING, FeedImportStatus.FAILED)).last()
    if interrupted is not None and interrupted.status == FeedImportStatus.RUNNING:
        reason = stale_reason(interrupted, take_over=take_over)
        if not reason:
            pid, host = interrupted.options.get("pid"), interrupted.options.get("host")
            raise BookingImportError(
                f"{path.name}: run {interrupted.pk} is importing this file now (process {pid} on {host}); "
                "wait for it to end, or stop it and run the import again to resume (--take-over if that host "
                "is gone)"
            )
        run_fail(interrupted, reason)

    try:
        with TextFile(path, encoding_named(encoding) if encoding else None) as text:
            fmt = fmt or detect_format(path.name, text.head)
            result = BookingImportResult(path.name, sha, fmt, mapping, text.encoding.label)
            checked = _validate(text, fmt, feed, result, max_errors, progress)
            detected = text.encoding
    except (ImportFileError, FeedFileError) as exc:
        raise BookingImportError(str(exc)) from exc
    result.rows_imported = checked.good
    result.rows_rejected = len(checked.bad)
    if result.stopped:
        result.refused = result.stopped
    elif result.rows_rejected > max_bad_rows:
        result.refused = f"{result.rows_rejected:,} bad rows exceed the allowed {max_bad_rows:,} (--max-bad-rows)"
    elif not checked.good:
        result.refused = "no row to import"
    if result.refused:
        result.rows_imported = 0
        result.seconds = time.monotonic() - clock
        return result

    final_status = FeedImportStatus.PARTIAL if result.errors else FeedImportStatus.COMPLETE
    if interrupted is not None:
        run = interrupted
        if not run_resume(run, encoding=detected.name):
            raise BookingImportError(f"{path.name}: another process resumed run {run.pk} meanwhile")
        result.resumed = True
    else:
        # Committed at once (status RUNNING): each chunk then commits on its own, so a killed import leaves
        # whole chunks and this run row, and a re-run of the same file resumes it.
        run = BookingImportRun.objects.create(
            file_name=path.name,
            file_sha256=sha,
            file_size=size,
            format=fmt,
            mapping=mapping,
            custodian=next(iter(checked.leas.values())) if len(checked.leas) == 1 else None,
            started_at=started,
            finished_at=started,
            rows_read=result.rows_read,
            rows_imported=checked.good,
            rows_rejected=result.rows_rejected,
            schema_drift=result.drift,
            # Grouped: one line per cause with its count and example rows, not thousands of repeats.
            errors=_safe(result.problems[:MAX_STORED_ERRORS]),
            encoding=detected.label,
            options={
                "max_bad_rows": max_bad_rows,
                "max_errors": max_errors,
                "format_given": fmt,
                "chunk_size": chunk_size,
                "encoding": detected.name,
                **({"layout": str(layout)} if layout is not None else {}),
                **owner(),
            },
            status=FeedImportStatus.RUNNING,
            actor_label=actor_label,
        )
    result.run = run
    try:
        actors = {pk: feed_user(lea) for pk, lea in checked.leas.items()}
        total, done = checked.good, 0
        good = iter(checked.items) if checked.items is not None else _good_items(path, detected, fmt, feed, checked.bad)
        # A screening step that can prepare a chunk ahead is told the next chunk before the current is written.
        prepare = getattr(screen, "prepare", None)
        for chunk_no, items in enumerate(_ahead(_chunks(good, chunk_size), prepare), 1):
            part = bookings_import_batch(actors=actors, run=run, sha=sha, items=items, chunk=chunk_no, screen=screen)
            done += len(items)
            result.chunks += 1
            result.events_created.update(part.created)
            result.events_skipped += part.skipped
            result.claims_opened += part.claims
            result.screening.update(part.screening)
            if progress is not None:
                progress("saving", done, total)
    except BaseException as exc:
        # Never left RUNNING by a live process: the reason is stored and a re-run resumes.
        run_fail(run, failure_reason(exc))
        raise
    BookingImportRun.objects.filter(pk=run.pk).update(status=final_status, finished_at=now())
    run.refresh_from_db()
    result.seconds = time.monotonic() - clock
    return result
