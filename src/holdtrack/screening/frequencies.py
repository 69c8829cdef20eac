"""Name frequencies of the registry, for the term-frequency adjustments of the scorer (``fs_model.TF_FIELDS``).

Rebuilt in one set-based statement per name field after a bulk load (registry import, simulated registry,
training), and incremented by ``registry_subject_add``; read per screening batch for the names its candidates
carry. An empty table means no adjustment (the scorer then weighs as splink does).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F

from holdtrack.screening.fs_model import TF_FIELDS, TermFrequencies
from holdtrack.screening.models import NameFrequency, RegistryKey

# The registry-size row: comparison "*", its value a token drawn anew at every refresh (the cache's version).
TOTAL = "*"
# comparison → the RegistryKey column holding the compared value
_COLUMNS = {"first_name": "first_norm", "last_name": "last_norm"}
# Counted too, not for scoring but to bound the wide blocking rules (``bounds.wide_probes``): how many
# registry records share a name sound or a birth country.
BLOCKING_COUNTS = {"last_sound": "last_sound", "first_sound": "first_sound", "country": "country"}
_CHUNK = 500


def name_frequencies_refresh() -> int:
    """Recount every name of the registry (one INSERT … SELECT … GROUP BY per field). Returns the registry size."""
    freq, keys = NameFrequency._meta.db_table, RegistryKey._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {freq}")  # noqa: S608 - table names from the models
        for comparison, col in ({c: _COLUMNS[c] for c in TF_FIELDS} | BLOCKING_COUNTS).items():
            cur.execute(
                f"INSERT INTO {freq} (comparison, value, n) SELECT %s, {col}, count(*) FROM {keys} "  # noqa: S608
                f"WHERE {col} <> '' GROUP BY {col}",
                [comparison],
            )
        token = secrets.token_hex(8)
        cur.execute(f"INSERT INTO {freq} (comparison, value, n) SELECT %s, %s, count(*) FROM {keys}", [TOTAL, token])  # noqa: S608
        cur.execute(f"SELECT n FROM {freq} WHERE comparison = %s", [TOTAL])  # noqa: S608
        row = cur.fetchone()
    return int(row[0]) if row else 0


def name_frequencies_add(first_norm: str, last_norm: str, **blocking: str) -> None:
    """One more registry record (``registry_subject_add``): its names, the ``BLOCKING_COUNTS`` values given and
    the total count one more, when the table has been built (an empty table stays empty: no adjustment until the
    next refresh). A name added between refreshes may already be cached as unseen by a running process; it counts
    from the next refresh."""
    if not NameFrequency.objects.filter(comparison=TOTAL).update(n=F("n") + 1):
        return
    values = [("first_name", first_norm), ("last_name", last_norm)]
    values += [(c, blocking.get(c, "")) for c in BLOCKING_COUNTS]
    for comparison, value in values:
        if value and not NameFrequency.objects.filter(comparison=comparison, value=value).update(n=F("n") + 1):
            NameFrequency.objects.create(comparison=comparison, value=value, n=1)


class _Cache:
    """Counts already read, kept while the table is the same: its version is (registry size, refresh token) —
    a refresh draws a new token, an added subject raises the size. Screening reads the same common names batch
    after batch."""

    version: tuple[int, str] = (0, "")
    counts: dict[tuple[str, str], int] = {}


_MAX_CACHED = 500_000


def frequencies_for(names: Iterable[tuple[str, str]]) -> TermFrequencies | None:
    """The counts of the given (comparison, value) pairs and the registry size; None before any refresh."""
    freq = NameFrequency._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT n, value FROM {freq} WHERE comparison = %s", [TOTAL])  # noqa: S608
        row = cur.fetchone()
    if not row or not row[0]:
        return None
    version = (int(row[0]), str(row[1]))
    if version != _Cache.version or len(_Cache.counts) > _MAX_CACHED:
        _Cache.version, _Cache.counts = version, {}
    known = _Cache.counts
    wanted: dict[str, set[str]] = {}
    for comparison, value in names:
        if value and (comparison, value) not in known:
            wanted.setdefault(comparison, set()).add(value)
    for comparison, values in wanted.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), _CHUNK):
            part = ordered[start : start + _CHUNK]
            found = dict(NameFrequency.objects.filter(comparison=comparison, value__in=part).values_list("value", "n"))
            known.update(((comparison, v), found.get(v, 0)) for v in part)
    return TermFrequencies(version[0], known)
