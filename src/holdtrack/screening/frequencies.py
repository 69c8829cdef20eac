"""Name frequencies of the registry, for the term-frequency adjustments of the scorer (``fs_model.TF_FIELDS``).

Rebuilt in one set-based statement per name field after a bulk load (registry import, simulated registry,
training), and incremented by ``registry_subject_add``; read per screening batch for the names its candidates
carry. An empty table means no adjustment (the scorer then weighs as splink does).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F

from holdtrack.screening.fs_model import TF_FIELDS, TermFrequencies
from holdtrack.screening.models import NameFrequency, RegistryKey

TOTAL = ("*", "")
# comparison → the RegistryKey column holding the compared value
_COLUMNS = {"first_name": "first_norm", "last_name": "last_norm"}
_CHUNK = 500


def name_frequencies_refresh() -> int:
    """Recount every name of the registry (one INSERT … SELECT … GROUP BY per field). Returns the registry size."""
    freq, keys = NameFrequency._meta.db_table, RegistryKey._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {freq}")  # noqa: S608 - table names from the models
        for comparison in TF_FIELDS:
            col = _COLUMNS[comparison]
            cur.execute(
                f"INSERT INTO {freq} (comparison, value, n) SELECT %s, {col}, count(*) FROM {keys} "  # noqa: S608
                f"WHERE {col} <> '' GROUP BY {col}",
                [comparison],
            )
        cur.execute(f"INSERT INTO {freq} (comparison, value, n) SELECT %s, %s, count(*) FROM {keys}", list(TOTAL))  # noqa: S608
        cur.execute(f"SELECT n FROM {freq} WHERE comparison = %s AND value = %s", list(TOTAL))  # noqa: S608
        row = cur.fetchone()
    return int(row[0]) if row else 0


def name_frequencies_add(first_norm: str, last_norm: str) -> None:
    """One more registry record (``registry_subject_add``): its names and the total count one more, when the
    table has been built (an empty table stays empty: no adjustment until the next refresh)."""
    if not NameFrequency.objects.filter(comparison=TOTAL[0], value=TOTAL[1]).update(n=F("n") + 1):
        return
    for comparison, value in (("first_name", first_norm), ("last_name", last_norm)):
        if value and not NameFrequency.objects.filter(comparison=comparison, value=value).update(n=F("n") + 1):
            NameFrequency.objects.create(comparison=comparison, value=value, n=1)


def frequencies_for(names: Iterable[tuple[str, str]]) -> TermFrequencies | None:
    """The counts of the given (comparison, value) pairs and the registry size; None before any refresh."""
    total = NameFrequency.objects.filter(comparison=TOTAL[0], value=TOTAL[1]).values_list("n", flat=True).first()
    if not total:
        return None
    wanted: dict[str, set[str]] = {}
    for comparison, value in names:
        if value:
            wanted.setdefault(comparison, set()).add(value)
    counts: dict[tuple[str, str], int] = {}
    for comparison, values in wanted.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), _CHUNK):
            rows = NameFrequency.objects.filter(comparison=comparison, value__in=ordered[start : start + _CHUNK])
            counts.update(((comparison, v), n) for v, n in rows.values_list("value", "n"))
    return TermFrequencies(total, counts)
