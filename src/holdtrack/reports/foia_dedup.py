"""Repeats of FOIA releases recognised by what they say, not by their bytes (issue 11, item 6; ADR 0021).

Two things are derived from each release's rows as the import reads them:

- a **content fingerprint**: the SHA-256 of the multiset of normalised rows. The value of each stored field, the
  allowed ``extra`` columns by normalised header, nothing else — so the file's name, its compression, its format
  (CSV or workbook), its column order and its line endings do not change it. The same release under another name
  is then recognised before anything is written;
- a **natural key** per row, so overlapping releases add only the rows not yet imported. A release that carries a
  detainer record id (``Detainer_ID`` in 2025-ICFO-18038) is keyed by it. The others carry no such id, so a row
  is keyed by the facts that identify a detainer and do not change after it is prepared — prepare date, form
  (or the verbatim type when the form is not recognised), facility (its code when the release has one, else its
  name), state, city — plus its occurrence among the rows of the release with the same facts: the third
  identical row of a release matches the third of another. The lift reason is left out on purpose, since a later
  release reports the outcome of a detainer that was still open in an earlier one; the stored row stands.

Keys are hashes; their inputs are already stored in the row, so they add no information to the database.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from holdtrack.reports.foia_layouts import column_key
from holdtrack.reports.models import FoiaDetainer as model

KEY_VERSION = "foia-nk/1"
CONTENT_VERSION = "foia-content/1"
RECORD_ID_KEYS = frozenset({"detainer_id"})
LOOKUP_CHUNK = 900  # keys per IN (...) query; below SQLite's oldest variable limit


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).casefold() if value not in (None, "") else ""


def record_id(extra: dict[str, Any]) -> str:
    """The release's own detainer id, if the row carries one."""
    for header, value in extra.items():
        if column_key(header) in RECORD_ID_KEYS and value not in (None, ""):
            return _norm(value)
    return ""


def identity(
    *,
    prepare_date: date,
    form_type: str,
    detainer_type: str | None,
    facility_code: str | None,
    facility_name: str | None,
    state: str | None,
    city: str | None,
    extra: dict[str, Any],
) -> str:
    """What identifies one detainer of a release, before its occurrence number (see the module docstring)."""
    rid = record_id(extra)
    if rid:
        return f"id|{rid}"
    facility = f"code:{_norm(facility_code)}" if facility_code else f"name:{_norm(facility_name)}"
    kind = form_type or _norm(detainer_type)
    return "|".join(("facts", prepare_date.isoformat(), kind, facility, state or "", _norm(city)))


def row_identity(row: Any) -> str:
    """``identity`` of a FoiaDetainer (or a historical model row in a migration)."""
    return identity(
        prepare_date=row.prepare_date,
        form_type=row.form_type,
        detainer_type=row.detainer_type,
        facility_code=row.facility_code,
        facility_name=row.facility_name,
        state=row.state,
        city=row.city,
        extra=row.extra or {},
    )


class NaturalKeys:
    """Natural keys of the rows of one release, in file order (the occurrence number counts within the release)."""

    def __init__(self) -> None:
        self._seen: Counter[bytes] = Counter()

    def key(self, ident: str) -> str:
        digest = hashlib.sha256(ident.encode()).digest()[:16]
        self._seen[digest] += 1
        return hashlib.sha256(f"{KEY_VERSION}|{ident}|{self._seen[digest]}".encode()).hexdigest()[:32]


class ContentFingerprint:
    """Order-independent SHA-256 of a release's normalised rows.

    Rows are combined by adding their SHA-256 values modulo 2**256 (a multiset hash), so the fingerprint streams
    in constant memory and does not depend on row order."""

    def __init__(self) -> None:
        self.rows = 0
        self._total = 0

    def add(self, row: Any) -> None:
        extra = sorted((column_key(h), str(v)) for h, v in (row.extra or {}).items())
        fields = [row.prepare_date.isoformat(), row.detainer_type, row.facility_name, row.facility_code]
        fields += [row.state, row.city, row.lift_reason, extra]
        digest = hashlib.sha256(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()).digest()
        self._total = (self._total + int.from_bytes(digest, "big")) % (1 << 256)
        self.rows += 1

    def hexdigest(self) -> str:
        return hashlib.sha256(f"{CONTENT_VERSION}|{self.rows}|{self._total:064x}".encode()).hexdigest()


def existing_keys(model: Any, keys: Sequence[str]) -> dict[str, int]:
    """{natural key: id of the run that imported it} for the keys of ``keys`` already stored."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        found.update(model.objects.filter(natural_key__in=chunk).values_list("natural_key", "run_id"))
    return found


def overlap_summary(counts: Counter[int], runs: Iterable[Any]) -> dict[str, Any]:
    """The ``overlap`` stored on a run: {"rows": n, "runs": {run id: n}, "files": {run id: file name}}."""
    names = {run.pk: run.file_name for run in runs}
    return {
        "rows": sum(counts.values()),
        "runs": {str(k): n for k, n in sorted(counts.items())},
        "files": {str(k): names.get(k, "") for k in sorted(counts)},
    }


class NothingNew(Exception):
    """Every good row of a release is held by earlier runs: the import is a repeat and saves nothing."""


def save_new_rows(
    run: Any,
    rows: Iterator[Any],
    *,
    batch_size: int,
    progress: Callable[[str, int, int | None], None] | None = None,
    total: int | None = None,
) -> tuple[int, int, Counter[int]]:
    """Store the rows (FoiaDetainer, unsaved) whose natural key no run holds yet, as rows of ``run``.

    Returns (rows saved, rows seen, {run id: rows of this release it already held})."""

    saved = seen = 0
    held: Counter[int] = Counter()
    while batch := list(itertools.islice(rows, batch_size)):
        seen += len(batch)
        known = existing_keys(model, [d.natural_key for d in batch if d.natural_key])
        fresh = []
        for detainer in batch:
            if detainer.natural_key in known:
                held[known[detainer.natural_key]] += 1
                continue
            detainer.run = run
            fresh.append(detainer)
        model.objects.bulk_create(fresh, batch_size=batch_size)
        saved += len(fresh)
        if progress is not None:
            progress("saving", seen, total)
    return saved, seen, held
