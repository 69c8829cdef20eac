"""Set-based candidate retrieval: one SQL statement finds the registry candidates of a whole batch of bookings
through the indexed blocking keys of ``RegistryKey``.

The rules (each an indexed equi-join; their union is retrieved, the same rules splink uses in
``splink_io.BLOCKING_RULES``):

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
11. DOB with the month one later + both name sounds    — month off by one
12. DOB with the month one earlier + both name sounds  — month off by one
13. registry DOB = 1 January of the booking's birth year + both name sounds — the registry holds a default date
14. booking DOB is 1 January: both name sounds + the same birth year — the feed holds a default date
15. the same normalised surname and canonical given name, when the booking or the registry record has no DOB
16. same DOB, booking surname sound = the sound of the registry's second surname — the booking carries only the
    second surname of a compound one
17. a booking without a DOB: the same normalised surname and the given-name sound — a misspelt given name
    (with 15, the only first-stage rules such a booking has)

A booking the seventeen rules leave without a confident proposal is probed again by seven wider rules, each
bounded by the rows the registry's counts predict (``_WIDE_RULES``, ``bounds.wide_probes``; ADR 0022). One with a
DOB still without any proposal is probed a third time with its DOB as a keying slip left it and one name sound
(``_DEEP_RULES``; ADR 0029).

A sound is the Soundex of the first surname token / of the canonical given name (nicknames resolved). A
booking with no DOB is scored against its own threshold (``stages.NO_DOB_REVIEW_THRESHOLD``).
At most ``MAX_CANDIDATES`` candidates are kept per booking: over it, the ones whose DOB is nearest the booking's
(the years alone where either is 1 January) are kept, then those bearing most of the booking's name words, then
the nearest given names, then the lowest subject ids: deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connection, transaction
from rapidfuzz.distance import JaroWinkler, Levenshtein

from holdtrack.screening import bounds
from holdtrack.screening.fs_model import Rec
from holdtrack.screening.keys import (
    Keys,
    canon_first,
    compound_surnames,
    dob_slips,
    month_digit_slips,
    month_shifted,
    norm_fbi,
    sound,
)
from holdtrack.screening.models import RegistryKey

MAX_CANDIDATES = 200
SQLITE_CHUNK = 500  # bookings per statement on SQLite (bound-parameter limit)
PLANNER_HINT_FROM = 100  # batch size from which PostgreSQL is steered to index nested loops

# The seventeen rules as ten index probes: rules on the same index with the same registry value are one probe
# with a list of booking values. Written for PostgreSQL as ``= ANY(ARRAY[…])``, which it keeps as an index
# condition (an IN list of outer columns becomes an OR filter over every row of the DOB: 70 rows a probe at 1M);
# SQLite gets the same list as IN (…). NULL in a list matches nothing. Rule numbers as in the module docstring.
_RULES = (
    "k.dob = b.dob AND k.last_sound = ANY(ARRAY[b.ls, b.fs, b.ls2, b.ms])",  # 1, 5, 9, 10
    "k.dob = b.dob AND k.first_sound = ANY(ARRAY[b.fs, b.ls])",  # 2, 6
    "k.dob = b.dob_sw AND k.last_sound = b.ls",  # 3
    "k.dob = b.dob_sw AND k.first_sound = b.fs",  # 4
    "k.last_sound = b.ls AND k.first_sound = b.fs AND k.dob_ym BETWEEN coalesce(b.ylo, b.ym) AND coalesce(b.yhi, b.ym)",  # 7, 14
    "k.last_sound = b.ls AND k.first_sound = b.fs AND k.dob_md = b.md",  # 8
    "k.dob = ANY(ARRAY[b.dob_mp, b.dob_mm, b.dob_j1]) AND k.last_sound = b.ls AND k.first_sound = b.fs",  # 11, 12, 13
    # 15: a booking without a DOB is served by 17 (same surname and given-name sound includes the same given
    # name); this probe is the registry side, through a partial index of the records without a DOB
    "k.dob IS NULL AND k.last_norm = b.ln AND k.first_canon = b.fc",
    "k.dob = b.dob AND k.last2_sound = b.ls",  # 16
    "k.last_norm = b.nln AND k.first_sound = b.fs",  # 17
)
# The booking-side values each rule probes with, in the order of the CTE's columns.
_B_COLS = "i, dob, dob_sw, ls, fs, ym, md, ls2, ms, dob_mp, dob_mm, dob_j1, ylo, yhi, ln, fc, nln"
_PG_TYPES = (
    "int", "date", "date", "text", "text", "int", "int", "text", "text", "date", "date", "date", "int", "int", "text",
    "text", "text",
)  # fmt: skip
_COLS = (
    "k.first_norm, k.first_canon, k.middle_norm, k.last_norm, k.last_tok1, k.last_tok2, k.dob, k.sex, k.country, "
    "k.fbi_number, k.a_number"
)


# Stage two, "wide" (ADR 0022): a booking the rules above leave without a confident proposal
# (``stages.WIDE_BELOW_PROBABILITY``) is probed again with rules that each cost more candidates, for the pairs
# that carry two errors at once (docs/screening.md, "Second stage"). Each costly one is bounded by
# ``bounds.wide_probes``.
_WIDE_RULES = (
    # W1: both name sounds + the birth year — a DOB wrong in month and day, or in a month digit
    "k.last_sound = b.ls AND k.first_sound = b.fs AND k.dob_ym BETWEEN b.y1 AND b.y12",
    # W2: the sounds crosswise + the birth year — swapped names together with a DOB error
    "k.last_sound = b.fs AND k.first_sound = b.ls AND k.dob_ym BETWEEN b.sy1 AND b.sy12",
    # W3: same DOB, and the same sex and birth country where the booking has them — both names changed
    # (a nickname and a transliteration together)
    "k.dob = b.dob AND k.sex = coalesce(b.sex, k.sex) AND k.country = coalesce(b.country, k.country)",
    # W4: without a DOB, both sounds (the surname sound also from the second surname or the middle name)
    "k.last_sound = ANY(ARRAY[b.nls, b.nls2, b.nms]) AND k.first_sound = b.nfs",
    # W5: without a DOB, the sounds crosswise (swapped names)
    "k.last_sound = b.nfs AND k.first_sound = b.nls",
    # W6: without a DOB, the same surname and the booking's given name as the registry's middle name
    "k.last_norm = b.nln AND k.middle_norm = b.nfn",
    # W7: the same names whatever the DOB — a DOB wrong in several places (names the registry holds few of)
    "k.last_norm = b.xln AND k.first_sound = b.fs AND k.first_canon = b.xfc",
)
_WIDE_B_COLS = "i, dob, ls, fs, y1, y12, sy1, sy12, sex, country, nls, nls2, nms, nfs, nln, nfn, xln, xfc"
_WIDE_PG_TYPES = (
    "int", "date", "text", "text", "int", "int", "int", "int", "text", "text", "text", "text", "text", "text",
    "text", "text", "text", "text",
)  # fmt: skip


# Stage three, "deep" (ADR 0029): a booking with a DOB that the first two stages leave without any proposal at
# its threshold is probed with its DOB as a keying slip would have left it (``keys.dob_slips``: the month ±1, the
# registry's 1 January) and ONE name sound — pairs whose other name is changed too (a typo that changes its
# sound, a nickname the table lacks, the middle name used as given name). The other name must still share an
# initial (a filter on the rows the index brings, so that a stranger born that day is not scored). Each date is
# one index descent per rule on (dob, sound), one row of ``b`` per (booking, date). The sounds crosswise (swapped
# names) doubled the descents and found nothing more on the harder benchmark.
_FIRST_INITIAL = "(left(k.first_norm, 1) = ANY(ARRAY[b.f1, b.m1, b.l1]) OR left(k.middle_norm, 1) = b.f1)"
_LAST_INITIAL = "(left(k.last_norm, 1) = ANY(ARRAY[b.l1, b.m1, b.f1]) OR left(k.last_tok2, 1) = b.l1)"
# A booking whose own DOB is 1 January (the feed's default) is probed over its whole birth year (D3, D4), each
# sound only where the registry holds few of it (``bounds.deep_year_probes``): at 1,000,000 subjects a common sound
# brings hundreds of records a year even after the initial filter. The year is an array of days on the
# (dob, sound) index: written as a range, the planner reads every record of the sound instead.
_YEAR = "k.dob = ANY(ARRAY(SELECT generate_series(b.lo, b.hi, interval '1 day')::date))"
_DEEP_RULES = (
    # D1: a slipped DOB + the surname sound, and a registry given name (first or middle) with the initial of one
    # of the booking's names
    f"k.dob = b.d AND k.last_sound = b.ls AND {_FIRST_INITIAL}",
    # D2: a slipped DOB + the given-name sound, and a registry surname (or its second surname) with the initial
    # of the booking's surname, middle name (a second surname moved) or given name
    f"k.dob = b.d AND k.first_sound = b.fs AND {_LAST_INITIAL}",
    # D3, D4: the booking's DOB is 1 January: any day of that year, with the same sound and initial conditions
    f"{_YEAR} AND k.last_sound = b.yls AND {_FIRST_INITIAL}",
    f"{_YEAR} AND k.first_sound = b.yfs AND {_LAST_INITIAL}",
    # D5, D6: a booking without a DOB, still without a proposal: its exact surname with a given name sharing an
    # initial (a misspelt given name whose sound changed, the middle name used as given name), or its exact
    # canonical given name with a surname sharing an initial (a misspelt surname). Each only where the registry
    # holds few of that name (``bounds.deep_no_dob_probes``).
    f"k.last_norm = b.nln AND {_FIRST_INITIAL}",
    f"k.first_canon = b.nfc AND {_LAST_INITIAL}",
    # D7, D8: a booking without a DOB whose compound surname is written another way: its two surnames reversed,
    # or one of them in the middle name (with the given-name sound); or its names swapped, the surname in the
    # given-name fields (first, or first and middle) and the given name in the surname (that name's sound).
    # Only compound surnames probe: each is borne by few records.
    # (D7 also with the given name as the record's second given name, and the middle name's tokens after its first
    # as the moved surname: "Raúl del Valle" for "Raúl" + "Sánchez del Valle")
    "k.last_norm = ANY(ARRAY[b.rln, b.lmn, b.mln, b.lmr, b.mrl]) AND (k.first_sound = b.fs OR k.middle_given_sound = b.fs)",
    "k.last_norm = ANY(ARRAY[b.fln, b.fmn]) AND k.first_sound = b.ls",
    # D9, D10: a booking with a DOB whose given and middle names are exchanged ("José Omar" for "Omar José") and
    # whose DOB carries a slip: the surname sound with the middle name's sound as the given name's, in the same
    # birth year (a day or month slip) or on the same month and day (a year slip). D11: swapped names with a year
    # slip (W2 has the birth year). One descent each on the sounds indexes of rules 7 and 8.
    "k.last_sound = b.ls AND k.first_sound = b.mfs AND k.dob_ym BETWEEN b.y1 AND b.y12",
    "k.last_sound = b.ls AND k.first_sound = b.mfs AND k.dob_md = b.md",
    "k.last_sound = b.fs AND k.first_sound = b.ls AND k.dob_md = b.xmd",
    # D12, D13: a booking with a DOB whose given name is the record's second given name (its middle name used as
    # given name) and whose DOB carries a slip: the surname sound with the given name's sound as the second given
    # name's, in the birth year or on the same month and day (``keys.middle_given_sound``, partial indexes).
    "k.last_sound = b.ls AND k.middle_given_sound = b.gfs AND k.middle_given_sound <> '' "
    "AND k.dob_ym BETWEEN b.gy1 AND b.gy12",
    "k.last_sound = b.ls AND k.middle_given_sound = b.gfs AND k.middle_given_sound <> '' AND k.dob_md = b.gmd",
    # D14: a booking without a DOB that has all three names: the records bearing the same given name, middle name
    # and surname, however common each alone is (at 1,000,000 subjects D5/D6's bounds skip a dateless "Claudia
    # María García" whom two records fit). The given-name and surname index; the middle name filters.
    "k.first_canon = b.tfc AND k.last_norm = b.tln AND k.middle_norm = b.tmn",
    # D15: a DOB one digit of its month away (keys.month_digit_slips: up to seven dates, carried on the booking's
    # first row, as a row per date doubled the rows every rule above joins) + the surname sound + the given
    # name's sound as the record's given or second given name's, on the (dob, surname sound) index (ADR 0059).
    "k.dob = ANY(ARRAY[b.q1, b.q2, b.q3, b.q4, b.q5, b.q6, b.q7]) AND k.last_sound = b.ls "
    "AND (k.first_sound = b.fs OR k.middle_given_sound = b.fs)",
)
_DEEP_B_COLS = (
    "i, d, ls, fs, f1, m1, l1, lo, hi, yls, yfs, nln, nfc, rln, lmn, mln, fln, fmn, lmr, mrl, mfs, y1, y12, md, xmd, "
    "gfs, gy1, gy12, gmd, tfc, tln, tmn, q1, q2, q3, q4, q5, q6, q7"
)
_DEEP_PG_TYPES = (
    "int", "date", "text", "text", "text", "text", "text", "date", "date", "text", "text", "text", "text", "text",
    "text", "text", "text", "text", "text", "text", "text", "int", "int", "int", "int", "text", "int", "int", "int",
    "text", "text", "text", "date", "date", "date", "date", "date", "date", "date",
)  # fmt: skip
SECOND_GIVEN_RULES = True  # D12 and D13; off only to measure their cost (bench/ingest.py --set)
THREE_NAMES_NO_DOB_RULE = True  # D14; off only to measure what it brings
MONTH_DIGIT_RULE = True  # D15; off only to measure what it brings


def _deep_rows(i: int, k: Keys, probes: tuple[bool, ...]) -> list[tuple[Any, ...]]:
    """The booking's rows for the deep rules (``_DEEP_B_COLS``): one per slipped date (``keys.dob_slips``), for
    a 1 January DOB one row for its year, and without a DOB one row for its names. ``probes``: with a DOB the
    year's bounds (D3, D4) then D9–D13's (``bounds.deep_swap_probes``), without one the names' (D5, D6)."""
    ls, fs = k.last_sound or None, k.first_sound or None
    initials = (k.first_norm[:1] or None, k.middle_norm[:1] or None, k.last_norm[:1] or None)
    none, later, no3 = (None,) * 7, (None,) * 9, (None,) * 3  # D7/D8's surnames; D9–D13's values; D14's names
    no15 = (None,) * 7  # D15's dates
    if k.dob is None:
        names = (k.last_norm if probes[0] else None, k.first_canon if probes[1] else None)
        compound = compound_surnames(k)
        three = (
            (k.first_canon, k.last_norm, k.middle_norm)
            if THREE_NAMES_NO_DOB_RULE and k.first_canon and k.last_norm and k.middle_norm
            else no3
        )
        if not any(names) and not any(compound) and not any(three):
            return []
        return [(i, None, ls, fs, *initials, None, None, None, None, *names, *compound, *later, *three, *no15)]
    # D9-D13 probe once a booking (on its first row), each within its bound (``bounds.deep_swap_probes``)
    mfs = sound(canon_first(k.middle_norm)) or None
    y, md = k.dob.year, k.dob_md
    d9, d10, d11, d12, d13 = probes[2:7]
    once = (
        mfs if d9 or d10 else None, y * 100 + 1 if d9 else None, y * 100 + 12 if d9 else None, md if d10 else None,
        md if d11 and ls and fs else None,
        fs if ls and SECOND_GIVEN_RULES and (d12 or d13) else None,
        y * 100 + 1 if d12 else None, y * 100 + 12 if d12 else None, md if d13 else None,
    )  # fmt: skip
    rows: list[tuple[Any, ...]] = []
    if (k.dob.month, k.dob.day) == (1, 1):
        if any(probes[:2]):
            lo, hi = date(k.dob.year, 1, 2), date(k.dob.year, 12, 31)
            rows.append(
                (i, None, ls, fs, *initials, lo, hi, ls if probes[0] else None, fs if probes[1] else None, None,
                 None, *none, *once, *no3, *no15)
            )  # fmt: skip
        elif ls or fs:
            rows.append((i, None, ls, fs, *initials, None, None, None, None, None, None, *none, *once, *no3, *no15))
        return rows
    digits = month_digit_slips(k.dob) if MONTH_DIGIT_RULE and ls and fs else ()
    d15 = (*digits, *no15)[:7]
    for n, d in enumerate(dob_slips(k.dob)):
        first = n == 0
        rows.append(
            (i, d, ls, fs, *initials, None, None, None, None, None, None, *none, *(once if first else later), *no3,
             *(d15 if first else no15))
        )  # fmt: skip
    return rows


def _deep_rows_undated(i: int, k: Keys, probes: tuple[bool, ...]) -> list[tuple[Any, ...]]:
    """``_deep_rows`` without D1–D4's and D15's dates: the first row with its dates and year cleared (D5–D14
    stay)."""
    rows = _deep_rows(i, k, probes)[:1]
    return [(*r[:1], None, *r[2:7], None, None, None, None, *r[11:-7], *(None,) * 7) for r in rows]


def _sqlite(rule: str) -> str:
    rule = rule.replace(_YEAR, "k.dob BETWEEN b.lo AND b.hi")
    rule = re.sub(r"left\(([\w.]+), 1\)", r"substr(\1, 1, 1)", rule)  # SQLite has no left()
    return rule.replace("= ANY(ARRAY[", "IN (").replace("])", ")")


def _union(table: str, rules: Sequence[str]) -> str:
    # Identifiers and rules are module constants; every booking value is a bound parameter.
    # Each rule selects the compared columns itself: UNION drops a pair two rules return, and re-joining the
    # registry by subject id afterwards cost a third of the statement's backend CPU at 1,000,000 subjects.
    rules = rules if connection.vendor == "postgresql" else tuple(_sqlite(r) for r in rules)
    parts = [f"SELECT b.i, k.subject_id, {_COLS} FROM b JOIN {table} k ON {rule}" for rule in rules]  # noqa: S608
    return " UNION ".join(parts)


def booking_rec(k: Keys, fbi: str = "", a_number: str = "") -> Rec:
    return (
        k.first_norm, k.first_canon, k.middle_norm, k.last_norm, k.last_tok1, k.last_tok2,
        k.dob_iso or "", k.sex, k.country, norm_fbi(fbi), a_number,
    )  # fmt: skip


def _values(i: int, k: Keys, exact: bool) -> tuple[Any, ...]:
    """The booking's probe values (``_B_COLS``). NULL, not '', for an absent key: '' would match registry rows
    without that key. ``exact``: the exact-name rules (15, 17) may probe this booking's names."""
    jan1 = k.dob is not None and k.dob.month == 1 and k.dob.day == 1
    return (
        i,
        k.dob,
        k.dob_swapped,
        k.last_sound or None,
        k.first_sound or None,
        k.dob_ym,
        k.dob_md,
        k.last2_sound or None,
        k.middle_sound or None,
        month_shifted(k.dob, 1),
        month_shifted(k.dob, -1),
        date(k.dob.year, 1, 1) if k.dob is not None and not jan1 else None,
        k.dob.year * 100 + 1 if jan1 and k.dob else None,
        k.dob.year * 100 + 12 if jan1 and k.dob else None,
        (k.last_norm or None) if exact else None,
        (k.first_canon or None) if exact else None,
        # only without a DOB: the same surname and a given name that sounds alike
        (k.last_norm or None) if exact and k.dob is None else None,
    )


def _wide_values(i: int, k: Keys, probes: tuple[bool, bool, bool, bool]) -> tuple[Any, ...]:
    """The booking's probe values for the wide rules (``_WIDE_B_COLS``); ``probes``: ``bounds.wide_probes``. The rules
    without a DOB probe only names the registry holds few of (``exact``), as rule 17 does."""
    sounds_year, on_dob, exact, any_dob = probes
    y = k.dob.year if k.dob else None
    nodob = exact and k.dob is None
    return (
        i,
        k.dob if on_dob else None,
        k.last_sound or None,
        k.first_sound or None,
        y * 100 + 1 if y and sounds_year else None,
        y * 100 + 12 if y and sounds_year else None,
        y * 100 + 1 if y else None,  # crosswise sounds are rare together: never bounded
        y * 100 + 12 if y else None,
        k.sex or None,
        k.country or None,
        (k.last_sound or None) if nodob else None,
        (k.last2_sound or None) if nodob else None,
        (k.middle_sound or None) if nodob else None,
        (k.first_sound or None) if nodob else None,
        (k.last_norm or None) if nodob else None,
        (k.first_norm or None) if nodob else None,
        (k.last_norm or None) if any_dob and k.dob is not None else None,
        (k.first_canon or None) if any_dob and k.dob is not None else None,
    )


def retrieve(
    keys: Sequence[Keys], *, wide: bool = False, deep: bool = False, dates: bool = True
) -> list[list[tuple[int, Rec]]]:
    """For each booking's keys, its registry candidates as (subject id, record); ``wide``: by the stage-two
    rules instead (``_WIDE_RULES``), ``deep``: by the stage-three rules (``_DEEP_RULES``); either may return
    candidates an earlier stage returned as well. ``dates=False`` (deep): without the slipped dates and 1 January
    years of D1–D4, the costly part, for the fourth stage's corrected names."""
    out: list[list[tuple[int, Rec]]] = [[] for _ in keys]
    idx = [i for i, k in enumerate(keys) if k.last_sound or k.first_sound]
    if not idx:
        return out
    table = RegistryKey._meta.db_table
    if deep:
        years, names, swaps = (
            bounds.deep_year_probes(keys),
            bounds.deep_no_dob_probes(keys),
            bounds.deep_swap_probes(keys),
        )
        probes: list[Any] = [
            (*y, *w) if k.dob is not None else n for k, y, n, w in zip(keys, years, names, swaps, strict=True)
        ]
    else:
        probes = list(bounds.exact_name_probes(keys))
    exact: Sequence[Any] = probes
    if wide:
        exact = bounds.wide_probes(keys, exact)
    rules, b_cols, pg_types, rows_of = (
        (_DEEP_RULES, _DEEP_B_COLS, _DEEP_PG_TYPES, _deep_rows if dates else _deep_rows_undated)
        if deep
        else (_WIDE_RULES, _WIDE_B_COLS, _WIDE_PG_TYPES, lambda i, k, e: [_wide_values(i, k, e)])
        if wide
        else (_RULES, _B_COLS, _PG_TYPES, lambda i, k, e: [_values(i, k, e)])
    )
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for t in pg_types)
            head = f"WITH b AS (SELECT * FROM unnest({arrays}) AS b({b_cols})) "  # noqa: S608 - module constants
            values = [row for i in idx for row in rows_of(i, keys[i], exact[i])]
            if not values:  # every booking bounded out (deep: common names)
                return out
            params: list[Any] = [list(col) for col in zip(*values, strict=True)]
            if len(idx) < PLANNER_HINT_FROM:
                cur.execute(head + _union(table, rules), params)
                rows.extend(cur.fetchall())
            else:
                with transaction.atomic():
                    # A batch is a few thousand index probes: nested loops over the indexes beat hashing the
                    # whole registry once per rule, which the planner picks for a large batch. The plan's cost
                    # estimate also crosses the JIT thresholds, and compiling it cost more than running it (650 of
                    # 900 ms for 2,000 bookings by the wide rules at 1,000,000 subjects). Transaction-local, and
                    # restored afterwards so the caller's transaction keeps its plans.
                    cur.execute(
                        "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin'), "
                        "current_setting('jit'), set_config('enable_hashjoin', 'off', true), "
                        "set_config('enable_mergejoin', 'off', true), set_config('jit', 'off', true)"
                    )
                    prev = cur.fetchone()
                    try:
                        cur.execute(head + _union(table, rules), params)
                        rows.extend(cur.fetchall())
                    finally:
                        cur.execute(
                            "SELECT set_config('enable_hashjoin', %s, true), set_config('enable_mergejoin', %s, true), "
                            "set_config('jit', %s, true)",
                            [prev[0], prev[1], prev[2]],
                        )
        else:
            width = len(pg_types)
            chunk = SQLITE_CHUNK // 50 if deep else SQLITE_CHUNK  # deep: up to ~40 rows a booking
            for start in range(0, len(idx), chunk):
                part = [row for i in idx[start : start + chunk] for row in rows_of(i, keys[i], exact[i])]
                if not part:
                    continue
                values_sql = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(part))
                params = [v.isoformat() if isinstance(v, date) else v for row in part for v in row]
                cur.execute(f"WITH b({b_cols}) AS (VALUES {values_sql}) " + _union(table, rules), params)
                rows.extend(cur.fetchall())
    return _collect(out, rows, keys)


def _rec(c: Sequence[Any]) -> Rec:
    """The scorer's record from the columns of ``_COLS``, in their order."""
    dob = c[6]
    return (
        c[0], c[1], c[2], c[3], c[4], c[5],
        dob.isoformat() if isinstance(dob, date) else (dob or ""), c[7], c[8], norm_fbi(c[9]), c[10] or "",
    )  # fmt: skip


# The key table's compared columns, in the scorer record's order, and the record built from a row of them.
REC_COLUMNS: tuple[str, ...] = tuple(c.removeprefix("k.") for c in _COLS.split(", "))


def record_of(row: Sequence[Any]) -> Rec:
    return _rec(row)


def registry_rec(subject_id: int) -> Rec:
    """One registry record as the scorer compares it (for explanations and benchmarks)."""
    return _rec(RegistryKey.objects.filter(pk=subject_id).values_list(*REC_COLUMNS).get())


def _dob_distance(a: str, b: str) -> int:
    """How far two ISO dates of birth are for the candidate cap: the characters that differ, or, where either is
    1 January (the feeds' and registries' default for an unknown day), those of the years only; 99 without one."""
    if not a or not b:
        return 99
    if a.endswith("-01-01") or b.endswith("-01-01"):
        return Levenshtein.distance(a[:4], b[:4])
    return Levenshtein.distance(a, b)


def _collect(
    out: list[list[tuple[int, Rec]]], rows: list[tuple[Any, ...]], keys: Sequence[Keys]
) -> list[list[tuple[int, Rec]]]:
    for r in rows:
        out[r[0]].append((r[1], _rec(r[2:])))
    for i, lst in enumerate(out):
        if len(lst) > MAX_CANDIDATES:
            # A very common name (rules 15 and 17, the deep rules without a DOB) can bring more than the cap: keep
            # the nearest dates of birth, then (and without a DOB) the records bearing most of the booking's name
            # words wherever they stand (names moved between fields), then those not differing on the sex and
            # birth country the booking carries (ADR 0063), then the nearest given names.
            k = keys[i]
            dob, first, sex, country = k.dob_iso or "", k.first_norm, k.sex, k.country
            words = {w for name in (k.first_norm, k.middle_norm, k.last_norm) for w in name.split()}
            lst.sort(
                key=lambda c: (
                    _dob_distance(dob, c[1][6]),
                    -len(words.intersection(f"{c[1][0]} {c[1][2]} {c[1][3]}".split())),
                    (bool(sex and c[1][7]) and sex != c[1][7]) + (bool(country and c[1][8]) and country != c[1][8]),
                    -JaroWinkler.similarity(first, c[1][0]),
                    c[0],
                )
            )
            del lst[MAX_CANDIDATES:]
    return out
