"""Set-based candidate retrieval: one SQL statement finds the registry candidates of a whole batch of bookings
through the indexed blocking keys of ``RegistryKey``.

The rules (each an indexed equi-join; their union is retrieved, the same rules splink uses in
``fs_model.BLOCKING_RULES``):

1. same DOB and same surname sound            — given-name typos, nicknames
2. same DOB and same given-name sound          — surname typos, compound / hyphenated surnames
3. DOB with day and month swapped + surname sound
4. DOB with day and month swapped + given-name sound
5. same DOB, booking given-name sound = registry surname sound (swapped name order)
6. same DOB, booking surname sound = registry given-name sound (swapped name order)
7. both name sounds + same year and month of birth  — a typo in the day of birth
8. both name sounds + same month and day of birth   — a typo in the year of birth
9. same DOB, booking second-surname sound = registry surname sound — the registry holds the second surname
   first or alone ("Martínez Ruiz" is also keyed as "Ruiz")
10. same DOB, booking middle-name sound = registry surname sound — a surname written in the middle name

A sound is the Soundex of the first surname token / of the canonical given name (nicknames resolved). A
booking with no DOB is retrieved by one rule of its own — the same normalised given name and surname, through
the sounds index — and scored against a stricter threshold (``services.NO_DOB_REVIEW_THRESHOLD``).
At most ``MAX_CANDIDATES`` candidates are kept per booking (lowest subject ids first, deterministic); with
these rules a booking has about 5–20 candidates at 1,000,000 subjects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connection, transaction

from holdtrack.screening.fs_model import Rec
from holdtrack.screening.keys import Keys, norm_fbi
from holdtrack.screening.models import RegistryKey

MAX_CANDIDATES = 200
SQLITE_CHUNK = 1000  # bookings per statement on SQLite (bound-parameter limit)
PLANNER_HINT_FROM = 100  # batch size from which PostgreSQL is steered to index nested loops

_RULES = (
    "k.dob = b.dob AND k.last_sound = b.ls",
    "k.dob = b.dob AND k.first_sound = b.fs",
    "k.dob = b.dob_sw AND k.last_sound = b.ls",
    "k.dob = b.dob_sw AND k.first_sound = b.fs",
    "k.dob = b.dob AND k.last_sound = b.fs",
    "k.dob = b.dob AND k.first_sound = b.ls",
    "k.last_sound = b.ls AND k.first_sound = b.fs AND k.dob_ym = b.ym",
    "k.last_sound = b.ls AND k.first_sound = b.fs AND k.dob_md = b.md",
    "k.dob = b.dob AND k.last_sound = b.ls2",
    "k.dob = b.dob AND k.last_sound = b.ms",
)
_COLS = (
    "k.first_norm, k.first_canon, k.middle_norm, k.last_norm, k.last_tok1, k.last_tok2, k.dob, k.sex, k.country, "
    "k.fbi_number"
)


def _union(table: str) -> str:
    # Identifiers and rules are module constants; every booking value is a bound parameter.
    parts = [f"SELECT b.i, k.subject_id AS sid FROM b JOIN {table} k ON {rule}" for rule in _RULES]  # noqa: S608
    return f"SELECT c.i, k.subject_id, {_COLS} FROM ({' UNION '.join(parts)}) c JOIN {table} k ON k.subject_id = c.sid"  # noqa: S608


def booking_rec(k: Keys, fbi: str = "") -> Rec:
    return (
        k.first_norm, k.first_canon, k.middle_norm, k.last_norm, k.last_tok1, k.last_tok2,
        k.dob_iso or "", k.sex, k.country, norm_fbi(fbi),
    )  # fmt: skip


def retrieve(keys: Sequence[Keys]) -> list[list[tuple[int, Rec]]]:
    """For each booking's keys, its registry candidates as (subject id, record)."""
    out: list[list[tuple[int, Rec]]] = [[] for _ in keys]
    idx = [i for i, k in enumerate(keys) if k.dob is not None and (k.last_sound or k.first_sound)]
    table = RegistryKey._meta.db_table
    rows: list[tuple[Any, ...]] = _without_dob(keys, table)
    if not idx:
        return _collect(out, rows)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            head = (
                "WITH b AS (SELECT * FROM unnest(%s::int[], %s::date[], %s::date[], %s::text[], %s::text[], "
                "%s::int[], %s::int[], %s::text[], %s::text[]) AS b(i, dob, dob_sw, ls, fs, ym, md, ls2, ms)) "
            )
            params: list[Any] = [
                idx,
                [keys[i].dob for i in idx],
                [keys[i].dob_swapped for i in idx],
                [keys[i].last_sound for i in idx],
                [keys[i].first_sound for i in idx],
                [keys[i].dob_ym for i in idx],
                [keys[i].dob_md for i in idx],
                # NULL, not '', for an absent key: '' would match registry rows without a surname sound.
                [keys[i].last2_sound or None for i in idx],
                [keys[i].middle_sound or None for i in idx],
            ]
            if len(idx) < PLANNER_HINT_FROM:
                cur.execute(head + _union(table), params)
                rows.extend(cur.fetchall())
            else:
                with transaction.atomic():
                    # A batch is a few thousand index probes: nested loops over the indexes beat hashing the
                    # whole registry once per rule, which the planner picks for a large batch. Transaction-local,
                    # and restored afterwards so the caller's transaction keeps its plans.
                    cur.execute(
                        "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin'), "
                        "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)"
                    )
                    prev = cur.fetchone()
                    try:
                        cur.execute(head + _union(table), params)
                        rows.extend(cur.fetchall())
                    finally:
                        cur.execute(
                            "SELECT set_config('enable_hashjoin', %s, true), set_config('enable_mergejoin', %s, true)",
                            [prev[0], prev[1]],
                        )
        else:
            for start in range(0, len(idx), SQLITE_CHUNK):
                part = idx[start : start + SQLITE_CHUNK]
                values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(part))
                params = []
                for i in part:
                    k = keys[i]
                    sw = k.dob_swapped
                    params += [i, k.dob_iso, sw.isoformat() if sw else None, k.last_sound, k.first_sound,
                               k.dob_ym, k.dob_md, k.last2_sound or None, k.middle_sound or None]  # fmt: skip
                cur.execute(
                    f"WITH b(i, dob, dob_sw, ls, fs, ym, md, ls2, ms) AS (VALUES {values}) " + _union(table), params
                )
                rows.extend(cur.fetchall())
    return _collect(out, rows)


def _without_dob(keys: Sequence[Keys], table: str) -> list[tuple[Any, ...]]:
    """Candidates of bookings without a DOB: the same normalised given name and surname (the sounds index
    narrows the probe; the exact names keep namesakes of other spellings out)."""
    idx = [i for i, k in enumerate(keys) if k.dob is None and k.last_sound and k.first_sound and k.last_norm]
    if not idx:
        return []
    rows: list[tuple[Any, ...]] = []
    rule = "k.last_sound = b.ls AND k.first_sound = b.fs AND k.first_canon = b.fc AND k.last_norm = b.ln"
    select = f"SELECT b.i, k.subject_id, {_COLS} FROM b JOIN {table} k ON {rule}"  # noqa: S608
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            head = "WITH b AS (SELECT * FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[], %s::text[]) "
            cur.execute(
                head + "AS b(i, ls, fs, fc, ln)) " + select,
                [
                    idx,
                    [keys[i].last_sound for i in idx],
                    [keys[i].first_sound for i in idx],
                    [keys[i].first_canon for i in idx],
                    [keys[i].last_norm for i in idx],
                ],
            )
            rows = cur.fetchall()
        else:
            for start in range(0, len(idx), SQLITE_CHUNK):
                part = idx[start : start + SQLITE_CHUNK]
                params: list[Any] = []
                for i in part:
                    k = keys[i]
                    params += [i, k.last_sound, k.first_sound, k.first_canon, k.last_norm]
                values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(part))
                cur.execute(f"WITH b(i, ls, fs, fc, ln) AS (VALUES {values}) " + select, params)
                rows.extend(cur.fetchall())
    return rows


def _collect(out: list[list[tuple[int, Rec]]], rows: list[tuple[Any, ...]]) -> list[list[tuple[int, Rec]]]:
    for r in rows:
        dob = r[8]
        rec: Rec = (
            r[2], r[3], r[4], r[5], r[6], r[7],
            dob.isoformat() if isinstance(dob, date) else (dob or ""), r[9], r[10], norm_fbi(r[11]),
        )  # fmt: skip
        out[r[0]].append((r[1], rec))
    for lst in out:
        if len(lst) > MAX_CANDIDATES:
            lst.sort(key=lambda c: c[0])
            del lst[MAX_CANDIDATES:]
    return out


def biometric(fbi_numbers: Sequence[str]) -> dict[str, int]:
    """FBI number → registry subject id, for the numbers present in the registry."""
    wanted = sorted({f for f in fbi_numbers if f})
    if not wanted:
        return {}
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 5000):
        part = wanted[start : start + 5000]
        for fbi, sid in RegistryKey.objects.filter(fbi_number__in=part).values_list("fbi_number", "subject_id"):
            found[fbi] = sid
    return found
