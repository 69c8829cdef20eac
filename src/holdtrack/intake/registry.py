"""``registry_import``: load an agency's subject registry file (``holdtrack import registry FILE``).

- Every row is validated first (``registry_read``: encoding detected, streamed, stopping at ``max_errors``
  problems); one bad row and nothing is saved.
- The agency's own key (``subject_id``) is stored as an ``AGENCY_KEY`` identifier and makes the import
  idempotent: a row whose key is already stored is skipped and counted, never updated. FBI numbers and
  A-numbers of new rows that another subject already holds are problems (the identifiers are unique).
- The writes are set-based in ONE transaction: subjects with ids reserved from their sequence (so the
  sequence stays right), identifiers, and the screening keys (``screening.services.registry_keys_bulk``),
  COPY on PostgreSQL, executemany on SQLite (``core.bulk.write_rows``). One audit event records the import.
- Only agency staff or the system account may import a registry.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from django.db import IntegrityError, connection, transaction

from holdtrack.accounts.models import User
from holdtrack.audit.services import audit_record
from holdtrack.core.bulk import copy_into, reserve_ids, write_rows
from holdtrack.core.importfile import DEFAULT_MAX_ERRORS, ImportFileError, Problems
from holdtrack.core.timeutil import now
from holdtrack.custody.ingest.layout import LayoutError
from holdtrack.custody.models import IdentifierType, Subject, SubjectIdentifier
from holdtrack.intake.registry_layout import load_registry_layout
from holdtrack.intake.registry_read import (
    RegistryFileError,
    RegistryRecord,
    detect_format,
    read_rows,
    validate,
)
from holdtrack.kernel.parties import authorize
from holdtrack.screening.frequencies import name_frequencies_refresh
from holdtrack.screening.services import registry_keys_bulk

Progress = Callable[[str, int, int | None], None]
CHUNK = 50_000
LOOKUP_CHUNK = 5_000  # values per IN (...) query; well under SQLite's variable limit
SUBJECT_COLUMNS = [
    "id",
    "first_name",
    "middle_name",
    "last_name",
    "second_last_name",
    "date_of_birth",
    "sex",
    "birth_country",
    "citizenship_country",
    "preferred_language",
    "synthetic",
    "created_at",
]
IDENTIFIER_COLUMNS = ["subject_id", "type", "value", "source"]


class RegistryImportError(Exception):
    """The file as a whole cannot be imported (unreadable, refused, or a concurrent writer)."""


@dataclass
class RegistryImportResult:
    file_name: str
    sha256: str
    format: str
    encoding: str = ""
    columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    created: int = 0
    skipped_existing: int = 0
    identifiers: int = 0
    keys: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # phase → seconds
    problems: Problems | None = None
    audit_event_id: int | None = None

    @property
    def refused(self) -> bool:
        return bool(self.problems)


@dataclass(frozen=True, slots=True)
class _KeyPerson:
    """What ``registry_keys_bulk`` reads of a registry person."""

    subject_id: int
    first_name: str
    middle_name: str
    last_name: str
    date_of_birth: date | None
    sex: str
    birth_country: str
    fbi_ucn: str
    a_number: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stored(kind: str, values: Sequence[str]) -> dict[str, int]:
    """value → subject id of the identifiers of this type already stored, among ``values``."""
    found: dict[str, int] = {}
    if not values or not SubjectIdentifier.objects.filter(type=kind).exists():
        return found  # a first import: no lookups at all
    if connection.vendor == "postgresql":
        # The values go to a temporary table by COPY and are joined to the identifiers' unique index: ~4× faster
        # at 1M than arrays of values, and far faster than IN lists. Called inside the import's transaction.
        table = SubjectIdentifier._meta.db_table
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS registry_import_values")
            cur.execute("CREATE TEMP TABLE registry_import_values (value varchar(40)) ON COMMIT DROP")
            copy_into("registry_import_values", ["value"], ((value,) for value in values))
            cur.execute("ANALYZE registry_import_values")
            cur.execute(
                f"SELECT i.value, i.subject_id FROM {table} i JOIN registry_import_values v ON v.value = i.value "  # noqa: S608 - model meta
                "WHERE i.type = %s",
                [kind],
            )
            found.update(cur.fetchall())
            cur.execute("DROP TABLE registry_import_values")
        return found
    for start in range(0, len(values), LOOKUP_CHUNK):
        part = values[start : start + LOOKUP_CHUNK]
        found.update(SubjectIdentifier.objects.filter(type=kind, value__in=part).values_list("value", "subject_id"))
    return found


def _conflicts(name: str, fresh: list[RegistryRecord]) -> Problems:
    """FBI numbers and A-numbers of new rows that a stored subject already holds."""
    problems = Problems(name)
    for fld, kind in (("fbi_number", IdentifierType.FBI_UCN), ("a_number", IdentifierType.A_NUMBER)):
        values = [getattr(r, fld) for r in fresh if getattr(r, fld)]
        taken = _stored(kind, values)
        if not taken:
            continue
        for r in fresh:
            value = getattr(r, fld)
            if value in taken:
                problems.add(r.row, fld, f"{fld} {value!r} is already recorded for another subject")
    return problems


def _subject_rows(part: Iterable[tuple[int, RegistryRecord]], synthetic: bool, at: Any) -> Iterable[Sequence[Any]]:
    for pk, r in part:
        yield (
            pk,
            r.first_name,
            r.middle_name,
            r.last_name,
            r.second_last_name,
            r.date_of_birth,
            r.sex,
            r.birth_country,
            "",
            "en",
            synthetic,
            at,
        )


def _identifier_rows(part: Iterable[tuple[int, RegistryRecord]], source: str) -> Iterable[Sequence[Any]]:
    agency, fbi, anum = IdentifierType.AGENCY_KEY.value, IdentifierType.FBI_UCN.value, IdentifierType.A_NUMBER.value
    for pk, r in part:
        yield (pk, agency, r.subject_id, source)
        if r.fbi_number:
            yield (pk, fbi, r.fbi_number, source)
        if r.a_number:
            yield (pk, anum, r.a_number, source)


def _key_people(part: Iterable[tuple[int, RegistryRecord]]) -> list[_KeyPerson]:
    # The keys take the surnames as one string (first and last token), as booking feeds write a compound
    # surname: "García López" in a booking must block with last "García" + second "López" here.
    return [
        _KeyPerson(
            pk,
            r.first_name,
            r.middle_name,
            f"{r.last_name} {r.second_last_name}" if r.second_last_name else r.last_name,
            r.date_of_birth,
            r.sex,
            r.birth_country,
            r.fbi_number,
            r.a_number,
        )
        for pk, r in part
    ]


class _Clock:
    def __init__(self, phases: dict[str, float]) -> None:
        self.phases = phases
        self.last = time.perf_counter()

    def tick(self, phase: str) -> None:
        t = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + t - self.last
        self.last = t


def registry_import(
    *,
    actor: User,
    path: str | Path,
    fmt: str | None = None,
    synthetic: bool = False,
    progress: Progress | None = None,
    layout: str | Path | None = None,
    encoding: str | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> RegistryImportResult:
    """Validate the whole registry file, then store its new subjects in one transaction (module docstring).
    Validation stops at ``max_errors`` problems (0: no limit). A result with ``problems`` saved nothing."""
    authorize(actor, "registry_import")
    started = time.perf_counter()
    path = Path(path)
    result = RegistryImportResult(path.name, "", fmt or "")
    if max_errors < 0:
        raise RegistryImportError(f"--max-errors must be 0 (no limit) or more, not {max_errors}")
    clock = _Clock(result.phases)
    try:
        result.format = fmt = fmt or detect_format(path)
        # An agency's own column names, date format, codes and name column (``registry_layout``).
        plan = load_registry_layout(layout) if layout is not None else None
        found = read_rows(path, fmt, plan.rename() if plan else None, encoding)
        result.sha256 = _sha256(path)
        result.columns = found.columns
        result.encoding = found.encoding
        dob_format = plan.dob_format if plan else "iso"
        rows = plan.apply(found.rows) if plan else found.rows
        records, problems, result.rows_read = validate(path.name, rows, progress, dob_format, max_errors)
    except (RegistryFileError, LayoutError, ImportFileError) as exc:
        raise RegistryImportError(str(exc)) from exc
    clock.tick("read and validate")
    if problems:
        result.problems = problems
        result.seconds = time.perf_counter() - started
        return result

    source = f"registry import {path.name}"[:80]
    try:
        with transaction.atomic():
            stored = _stored(IdentifierType.AGENCY_KEY, [r.subject_id for r in records])
            fresh = [r for r in records if r.subject_id not in stored]
            result.skipped_existing = len(records) - len(fresh)
            conflicts = _conflicts(path.name, fresh)
            clock.tick("check stored keys")
            if conflicts:
                result.problems = conflicts
                result.seconds = time.perf_counter() - started
                return result
            ids = reserve_ids(Subject, len(fresh)) if fresh else []
            at = now()
            for start in range(0, len(fresh), CHUNK):
                part = list(zip(ids[start : start + CHUNK], fresh[start : start + CHUNK], strict=True))
                write_rows(Subject, SUBJECT_COLUMNS, _subject_rows(part, synthetic, at))
                clock.tick("subjects")
                identifiers = list(_identifier_rows(part, source))
                write_rows(SubjectIdentifier, IDENTIFIER_COLUMNS, identifiers)
                result.identifiers += len(identifiers)
                clock.tick("identifiers")
                result.keys += registry_keys_bulk(_key_people(part))
                clock.tick("screening keys")
                result.created += len(part)
                if progress is not None:
                    progress("saving", result.created, len(fresh))
            if fresh:
                name_frequencies_refresh()
                clock.tick("name frequencies")
            event = audit_record(
                actor=actor,
                action="registry.import",
                entity_type="subject_registry",
                entity_id=result.sha256[:16],
                data={
                    "file": path.name,
                    "file_sha256": result.sha256,
                    "format": result.format,
                    "rows_read": result.rows_read,
                    "subjects_created": result.created,
                    "skipped_existing": result.skipped_existing,
                    "identifiers_created": result.identifiers,
                    "screening_keys_created": result.keys,
                    "first_subject_id": ids[0] if ids else None,
                    "last_subject_id": ids[-1] if ids else None,
                    "synthetic": synthetic,
                },
            )
            result.audit_event_id = event.pk
    except (IntegrityError, psycopg.IntegrityError) as exc:
        # Only a concurrent writer gets here: every uniqueness was checked above in this transaction. COPY runs on
        # the raw psycopg cursor, whose errors Django does not wrap.
        raise RegistryImportError(
            f"{path.name}: another import stored some of the same identifiers meanwhile ({exc}); nothing was imported"
        ) from exc
    # PostgreSQL checks the deferred foreign keys of every row written at commit: a phase of its own.
    clock.tick("audit and commit")
    if result.created and connection.vendor == "postgresql":
        # Fresh statistics, or the planner would think the registry tiny and scan it (as registry_build).
        with connection.cursor() as cur:
            for table in ("custody_subject", "custody_subjectidentifier", "screening_registrykey"):
                cur.execute(f"ANALYZE {table}")
        clock.tick("analyze")
    result.seconds = time.perf_counter() - started
    return result
