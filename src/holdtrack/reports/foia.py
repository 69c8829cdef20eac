"""Import ICE's public detainer releases (FOIA) into ``FoiaImportRun`` / ``FoiaDetainer``.

The releases differ in column names, header position and cell conventions (domain.md A1.9, A4.4), so:

- the layout is detected from the header row, which may follow a preamble (Excel releases have 6 rows of
  title and notes before it); header names are compared case- and punctuation-insensitively;
- every row is validated before anything is written, and errors name ``file:row:field``; more bad rows than
  the caller allows and nothing at all is saved;
- redaction markers such as "(b)(6)(b)(7)(c)" become null and are listed per row; "NA" and blanks are null;
- lift reasons map to outcome groups (A1.8 plus the values of the FY2015 release); an unknown reason is a row
  error unless the caller accepts it, because a silent default would skew the outcome statistics;
- only the columns on the layout's allow-list are stored (``foia_columns``); every other column — personal
  data in any spelling, identifiers, columns the layout does not document — is named in the summary as dropped
  (not stored), never written; columns added, missing or holding values of another type than the layout
  documents are reported with the run (schema drift);
- a repeat is recognised by its bytes (SHA-256 of the file), then by its content (``foia_dedup``: a fingerprint
  independent of file name, compression, format, column order and line endings): either is a no-op. Rows of an
  overlapping release whose natural key an earlier run holds are not stored again; the run reports how many,
  and from which runs.
"""

from __future__ import annotations

import csv
import gzip
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from holdtrack.accounts.services import system_user
from holdtrack.cases.models import OutcomeGroup
from holdtrack.core.importfile import DEFAULT_MAX_ERRORS, ImportFileError, RowError
from holdtrack.core.timeutil import now
from holdtrack.kernel.parties import authorize
from holdtrack.reports.foia_dedup import (
    ContentFingerprint,
    NaturalKeys,
    NothingNew,
    overlap_summary,
    row_identity,
    save_new_rows,
)
from holdtrack.reports.foia_header import HEADER_SCAN_ROWS, Plan, find_header, plan_columns
from holdtrack.reports.foia_layouts import (  # noqa: F401  (re-exported: callers import the layouts from here)
    CANONICAL_FIELDS,
    LAYOUTS,
    REQUIRED_FIELDS,
    TEXT_LIMITS,
    Layout,
    column_key,
)
from holdtrack.reports.foia_read import cell_text, file_sha256, tables
from holdtrack.reports.foia_values import (
    LIFT_REASON_OUTCOMES,
    NULL_MARKERS,
    REDACTION,
    convert_extra,
    form_type,
    parse_date,
    reason_key,
    state_code,
)
from holdtrack.reports.models import FoiaDetainer, FoiaImportRun, FoiaImportStatus

BATCH_SIZE = 5000
KEEP_IN_MEMORY = 250_000  # validated rows held for the save; larger files are read twice
MAX_STORED_ERRORS = 1000
MAX_EXAMPLES = 3

# progress(stage, done, total): stage is "reading" (total None) or "saving".
ProgressCallback = Callable[[str, int, int | None], None]


class FoiaImportError(Exception):
    """The file as a whole cannot be imported (unreadable, no known header)."""


# --- results --------------------------------------------------------------------------------------


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
    # How a repeat was recognised: "bytes" (same file), "content" (same rows under another name, compression or
    # format), "rows" (every good row already held by earlier runs); "" when rows were saved.
    repeat: str = ""
    content_sha256: str = ""
    rows_already_imported: int = 0
    overlap: dict[str, Any] = field(default_factory=dict)  # foia_dedup.overlap_summary
    refused: str = ""  # why nothing was saved, when the bad rows exceed the threshold

    @property
    def saved(self) -> bool:
        return self.run is not None and self.already_imported is None


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
    plan: Plan,
    row_no: int,
    file_name: str,
    sha: str,
    allow_unknown: bool,
    tally: _Tally,
    errors: list[RowError],
) -> FoiaDetainer | None:
    ncols = len(plan.header)
    if len(values) != ncols:
        surplus = [v for v in values[ncols:] if cell_text(v)]
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
            value = cell_text(value)
            if "\x00" in value:  # PostgreSQL cannot store it; a row problem, not a crash
                row_errors.append(RowError(file_name, row_no, name, "contains a NUL byte"))
                value = value.replace("\x00", "")
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
    elif (mapped := LIFT_REASON_OUTCOMES.get(reason_key(reason))) is not None:
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

    for i in plan.unnamed:
        label = f"(column {i + 1})"
        if label not in tally.unnamed_used and _clean(values[i])[0] is not None:
            tally.unnamed_used.append(label)
    extra: dict[str, Any] = {}
    for i, header, kind in plan.extras:
        value, was_redacted = _clean(values[i])
        if was_redacted:
            redacted.append(header)
        if value is None:
            continue
        try:
            extra[header] = convert_extra(kind, value)
        except (ValueError, TypeError):
            tally.bad_value(header, kind, value)
            extra[header] = convert_extra("text", value)

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
        self.dropped: list[str] = []
        self.duplicates: list[str] = []
        self.keys = NaturalKeys()
        self.fingerprint = ContentFingerprint()
        self.sheets: list[dict[str, Any]] = []
        self.skipped_sheets: list[str] = []
        self.rows_read = 0
        self.good = 0
        self.max_errors = 0  # stop reading after this many bad rows (0: read everything)
        self.stopped = ""

    def rows(self, progress: ProgressCallback | None = None) -> Iterator[FoiaDetainer]:
        name = self.path.name
        try:
            for sheet, rows, strict_width in tables(self.path, self.drift):
                layouts = [self.chosen] if self.chosen else self.layouts
                found, header, preamble, seen_rows = find_header(rows, layouts)
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
                plan = plan_columns(found, header)
                plan.strict_width = strict_width
                for mine, theirs in (
                    (self.new, plan.new),
                    (self.missing, plan.missing),
                    (self.withheld, plan.withheld),
                    (self.dropped, plan.dropped),
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
                        self.good += 1
                        detainer.natural_key = self.keys.key(row_identity(detainer))
                        self.fingerprint.add(detainer)
                        yield detainer
                    elif self.max_errors and (bad := self.rows_read - self.good) >= self.max_errors:
                        self.stopped = (
                            f"stopped after {bad:,} bad rows at row {self.rows_read:,}; the rest was not "
                            "checked (--max-errors)"
                        )
                        return
                    if progress is not None and self.rows_read % BATCH_SIZE == 0:
                        progress("reading", self.rows_read, None)
                self.sheets.append({"sheet": sheet, "preamble_rows": preamble, "rows": [first_row, self.rows_read]})
        except ImportFileError as exc:  # an encoding the bytes do not fit, a damaged gzip stream, a huge line
            raise FoiaImportError(str(exc)) from exc
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
            "dropped_columns": self.dropped + self.tally.unnamed_used,
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
    max_errors: int | None = None,
    allow_unknown_lift_reasons: bool = False,
    actor_label: str = "",
    progress: ProgressCallback | None = None,
) -> FoiaImportResult:
    """Validate every row of ``path``, then save the good rows and the run in one transaction.

    Nothing is saved when the bad rows exceed ``max_bad_rows`` (a count) or ``max_bad_share`` (a fraction of
    the rows read), whichever are given; the result then says why in ``refused``. Reading stops at the
    ``max_errors``-th bad row (0: never; default: 100, or one more than ``max_bad_rows`` when that is larger, and
    never when a share is allowed), since by then the file is refused anyway.
    """
    authorize(actor or system_user(), "foia_detainers_import")
    clock = time.monotonic()
    started = now()
    path = Path(path)
    if not path.is_file():
        raise FoiaImportError(f"{path}: no such file")
    if path.suffix.lower() == ".xls":
        raise FoiaImportError(f"{path.name}: Excel 97-2003 workbooks are not read; save the file as .xlsx")
    sha, size = file_sha256(path)
    result = FoiaImportResult(file_name=path.name, sha256=sha)
    earlier = FoiaImportRun.objects.filter(file_sha256=sha).first()
    if earlier is not None:
        result.already_imported = result.run = earlier
        result.layout, result.repeat = earlier.layout, "bytes"
        return result
    if layout is not None and layout not in LAYOUTS:
        raise FoiaImportError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")

    scan = _Scan(path, sha, [LAYOUTS[layout]] if layout else list(LAYOUTS.values()), allow_unknown_lift_reasons)
    if max_errors is None:
        max_errors = 0 if max_bad_share is not None else max(DEFAULT_MAX_ERRORS, (max_bad_rows or 0) + 1)
    scan.max_errors = max_errors
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
    if scan.stopped:
        result.refused = scan.stopped
    elif max_bad_rows is not None and bad > max_bad_rows:
        result.refused = f"{bad:,} bad rows exceed the allowed {max_bad_rows:,} (--max-bad-rows)"
    elif max_bad_share is not None and scan.rows_read and bad / scan.rows_read > max_bad_share:
        result.refused = f"{bad:,} bad rows ({bad / scan.rows_read:.2%}) exceed the allowed share {max_bad_share:.2%}"
    elif not good:
        result.refused = "no row to import"
    if result.refused:
        result.seconds = time.monotonic() - clock
        return result

    result.content_sha256 = scan.fingerprint.hexdigest()
    same = FoiaImportRun.objects.filter(content_sha256=result.content_sha256).first()
    if same is not None:
        result.already_imported, result.repeat = same, "content"
        result.rows_already_imported = good
        result.seconds = time.monotonic() - clock
        return result

    options = {
        "layout_given": layout,
        "max_bad_rows": max_bad_rows,
        "max_bad_share": max_bad_share,
        "max_errors": max_errors,
        "allow_unknown_lift_reasons": allow_unknown_lift_reasons,
    }
    try:
        with transaction.atomic():
            run = FoiaImportRun.objects.create(
                file_name=path.name,
                file_sha256=sha,
                content_sha256=result.content_sha256,
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
                options=options,
                status=FoiaImportStatus.PARTIAL if bad else FoiaImportStatus.COMPLETE,
                actor=actor,
                actor_label=actor_label,
            )
            rows = (
                iter(kept) if kept is not None else _Scan(path, sha, [scan.chosen], allow_unknown_lift_reasons).rows()
            )
            saved, seen, held = save_new_rows(run, rows, batch_size=BATCH_SIZE, progress=progress, total=good)
            if seen != good:  # the file changed between the two readings
                raise FoiaImportError(f"{path.name}: {seen:,} good rows on the second reading, {good:,} on the first")
            result.overlap = overlap_summary(held, FoiaImportRun.objects.filter(pk__in=list(held)))
            result.rows_already_imported = result.overlap["rows"]
            if not saved:
                raise NothingNew
            FoiaImportRun.objects.filter(pk=run.pk).update(
                finished_at=now(), rows_imported=saved, rows_already_imported=result.rows_already_imported,
                overlap=result.overlap,
            )  # fmt: skip
            run.refresh_from_db()
    except NothingNew:
        # Every good row is held by earlier runs: a repeat, recorded nowhere (the run above was rolled back).
        result.already_imported = FoiaImportRun.objects.get(pk=held.most_common(1)[0][0])
        result.repeat = "rows"
        result.seconds = time.monotonic() - clock
        return result
    except IntegrityError as exc:
        # Another import committed first: the same file or content (its run stands), or overlapping rows.
        earlier = FoiaImportRun.objects.filter(Q(file_sha256=sha) | Q(content_sha256=result.content_sha256)).first()
        if earlier is None:
            raise FoiaImportError(
                f"{path.name}: another import saved some of the same detainers meanwhile; nothing was saved, "
                "run the import again to add the rest"
            ) from exc
        result.already_imported, result.repeat = earlier, "bytes" if earlier.file_sha256 == sha else "content"
        return result
    result.run = run
    result.rows_imported = saved
    result.seconds = time.monotonic() - clock
    return result
