"""Whether each costly blocking rule may probe a booking: the registry rows it is expected to bring, estimated from
the registry's name and sound counts (``frequencies.BLOCKING_COUNTS``), against a bound per rule. Before any
count (a new, small registry) every booking is probed. The rules themselves are in ``candidates``."""

from __future__ import annotations

import math
from collections.abc import Sequence

from holdtrack.screening.frequencies import frequencies_for
from holdtrack.screening.keys import Keys, canon_first, sound

# The wide rules (stage two) probe a booking only where the rows each is expected to bring stay within this
# bound: at 1,000,000 subjects, unbounded, they brought 48 candidates per booking over the first stage's 15
# (both sounds + birth year 26, the DOB alone 16, exact names 8) and halved the bookings screened per CPU-second.
WIDE_MAX_ROWS = 5
WIDE_EXACT_MAX_ROWS = 1
WIDE_NO_DOB_MAX_ROWS = 50  # a booking without a DOB is rare in a feed (under 4 %): it may cost more
BIRTH_YEARS = 60  # the span a registry's dates of birth spread over, for the estimates
BIRTH_DAYS = BIRTH_YEARS * 365
# The exact-name rules probe a booking's names only when the registry is expected to hold at most this many
# records of that full name (estimated from the name counts); without a DOB, only when the surname is borne by at
# most this many records. Measured at 1,000,000 subjects: unbounded and whatever the DOB, the exact-names rule
# brought 51 of 72 candidates per booking and cut retrieval from 3,900 to 180 bookings/s; bounded at 20 rows, 11;
# at 5 rows, 7 — for a recall of 0.0007, namesakes whose DOB differs, which the DOB weight keeps below any
# threshold. So it now serves only a missing DOB (bench/blocking_rules.py, docs/benchmarks.md). Without a DOB the
# bound was 2,000 until a crowd of namesakes stopped being proposed by lot (stages.NO_CROWD): at 1,000,000 subjects
# 20,000 compares 6 % more pairs and brings candidate recall from 0.9883 to 0.9906 (docs/benchmarks.md, "A crowd of
# namesakes").
EXACT_NAMES_MAX_ROWS = 5
EXACT_NAMES_NO_DOB_MAX_SURNAME = 20000
DEEP_YEAR_MAX_ROWS = 50  # a sound's expected records a birth year (registry count ÷ BIRTH_YEARS)
# D5 and D6 probe a name only when the registry holds at most this many records of it; the initial filter then
# keeps about a tenth of them. A booking without a DOB is rare (under 5 % of a feed) and reaches this stage
# only without any proposal at its threshold.
DEEP_NO_DOB_MAX_ROWS = 1500


def deep_no_dob_probes(keys: Sequence[Keys]) -> list[tuple[bool, bool]]:
    """For each booking without a DOB, whether D5 (its surname) and D6 (its canonical given name) may probe:
    the name's registry count ≤ ``DEEP_NO_DOB_MAX_ROWS``. Before any count every such booking is probed."""
    nodob = [k.dob is None for k in keys]
    if not any(nodob):
        return [(False, False)] * len(keys)
    tf = frequencies_for(
        (name, value)
        for k, n in zip(keys, nodob, strict=True) if n
        for name, value in (("last_name", k.last_norm), ("first_name", k.first_canon))
    )  # fmt: skip
    if tf is None:
        return [(n, n) for n in nodob]
    return [
        (
            n and bool(k.last_norm) and tf.counts.get(("last_name", k.last_norm), 0) <= DEEP_NO_DOB_MAX_ROWS,
            n and bool(k.first_canon) and tf.counts.get(("first_name", k.first_canon), 0) <= DEEP_NO_DOB_MAX_ROWS,
        )
        for k, n in zip(keys, nodob, strict=True)
    ]


def deep_year_probes(keys: Sequence[Keys]) -> list[tuple[bool, bool]]:
    """For each booking whose DOB is 1 January, whether D3 (its surname sound) and D4 (its given-name sound) may
    probe the whole birth year: the sound's registry count ÷ ``BIRTH_YEARS`` ≤ ``DEEP_YEAR_MAX_ROWS``. Before any
    count every booking is probed (a small registry)."""
    jan1 = [k.dob is not None and (k.dob.month, k.dob.day) == (1, 1) for k in keys]
    if not any(jan1):
        return [(False, False)] * len(keys)
    tf = frequencies_for(
        (name, value)
        for k, j in zip(keys, jan1, strict=True) if j
        for name, value in (("last_sound", k.last_sound), ("first_sound", k.first_sound))
    )  # fmt: skip
    if tf is None:
        return [(j, j) for j in jan1]
    return [
        (
            j and tf.counts.get(("last_sound", k.last_sound), 0) / BIRTH_YEARS <= DEEP_YEAR_MAX_ROWS,
            j and tf.counts.get(("first_sound", k.first_sound), 0) / BIRTH_YEARS <= DEEP_YEAR_MAX_ROWS,
        )
        for k, j in zip(keys, jan1, strict=True)
    ]


def deep_swap_probes(keys: Sequence[Keys]) -> list[tuple[bool, ...]]:
    """For each booking with a DOB, whether D9 (the middle name's sound as given name, the birth year), D10 (the
    same, the month and day), D11 (the sounds crosswise, the month and day), D12 and D13 (the given name's sound
    as the record's second given name's, the birth year / the month and day) may probe: the rows each is expected
    to bring (sound count × sound count ÷ registry size, ÷ ``BIRTH_YEARS`` or ÷ 365; a given-name sound's count
    stands for a second given name's) ≤ ``WIDE_MAX_ROWS``, as W1's. Before any count every booking is probed."""
    mfs = [sound(canon_first(k.middle_norm)) if k.dob is not None else "" for k in keys]
    tf = frequencies_for(
        (name, value)
        for k, m in zip(keys, mfs, strict=True) if k.dob is not None
        for name, value in (("last_sound", k.last_sound), ("first_sound", k.first_sound), ("first_sound", m),
                            ("last_sound", k.first_sound), ("first_sound", k.last_sound))
    )  # fmt: skip
    out: list[tuple[bool, ...]] = []
    for k, m in zip(keys, mfs, strict=True):
        if k.dob is None:
            out.append((False,) * 5)
            continue
        if tf is None:
            out.append((bool(m), bool(m), True, True, True))
            continue
        n = tf.counts.get
        middle = n(("last_sound", k.last_sound), 0) * n(("first_sound", m), 0) / tf.total if m else math.inf
        crosswise = n(("last_sound", k.first_sound), 0) * n(("first_sound", k.last_sound), 0) / tf.total
        given = n(("last_sound", k.last_sound), 0) * n(("first_sound", k.first_sound), 0) / tf.total
        out.append((
            middle / BIRTH_YEARS <= WIDE_MAX_ROWS, middle / 365 <= WIDE_MAX_ROWS, crosswise / 365 <= WIDE_MAX_ROWS,
            given / BIRTH_YEARS <= WIDE_MAX_ROWS, given / 365 <= WIDE_MAX_ROWS,
        ))  # fmt: skip
    return out


def exact_name_probes(keys: Sequence[Keys]) -> list[bool]:
    """Which bookings the exact-name rules may probe: those whose names are not so common that the probe
    would bring hundreds of namesakes. The expected rows are estimated from the registry's name counts
    (surname count × given-name count ÷ registry size, and the surname count alone for the sound-alike given
    name of rule 17); before any count (an empty ``NameFrequency``) every booking is probed. Such namesakes
    could not reach the review threshold anyway: a common name weighs little, and a date of birth that
    differs weighs against."""
    tf = frequencies_for(
        (name, value) for k in keys for name, value in (("last_name", k.last_norm), ("first_name", k.first_norm))
    )
    if tf is None:
        return [True] * len(keys)
    out = []
    for k in keys:
        n_last = tf.counts.get(("last_name", k.last_norm), 0)
        n_first = tf.counts.get(("first_name", k.first_norm), 0)
        if k.dob is None:
            out.append(n_last <= EXACT_NAMES_NO_DOB_MAX_SURNAME)
        else:
            out.append(n_last * n_first / tf.total <= EXACT_NAMES_MAX_ROWS)
    return out


def wide_probes(keys: Sequence[Keys], exact: Sequence[bool]) -> list[tuple[bool, bool, bool, bool]]:
    """Which of the costly wide rules may probe each booking, as (W1, W3, W4–W6, W7). Each only when the rows it
    is expected to bring stay within its bound, estimated from the registry's counts
    (``frequencies.BLOCKING_COUNTS``):

    - W1 both sounds + birth year: sound count × sound count ÷ registry size ÷ ``BIRTH_YEARS`` ≤ ``WIDE_MAX_ROWS``;
    - W3 the DOB: registry size ÷ ``BIRTH_DAYS``, halved for a sex, × the birth country's share ≤ ``WIDE_MAX_ROWS``;
    - W4–W6 without a DOB: the first stage's ``exact``, and for the sounds ≤ ``WIDE_NO_DOB_MAX_ROWS``;
    - W7 the same names whatever the DOB: ``exact``, and the full name's estimate ≤ ``WIDE_EXACT_MAX_ROWS``.

    Before any count every booking is probed (a small registry)."""
    tf = frequencies_for(
        (name, value)
        for k in keys
        for name, value in (
            ("last_sound", k.last_sound), ("first_sound", k.first_sound), ("country", k.country),
            ("last_name", k.last_norm), ("first_name", k.first_canon),
        )
    )  # fmt: skip
    if tf is None:
        return [(True, True, e, e) for e in exact]
    out = []
    for k, e in zip(keys, exact, strict=True):
        n = tf.counts.get
        on_dob = tf.total / BIRTH_DAYS * (0.5 if k.sex else 1.0)
        if k.country:
            on_dob *= n(("country", k.country), 0) / tf.total
        sounds = n(("last_sound", k.last_sound), 0) * n(("first_sound", k.first_sound), 0) / tf.total
        out.append((
            sounds / BIRTH_YEARS <= WIDE_MAX_ROWS,
            on_dob <= WIDE_MAX_ROWS,
            e and sounds <= WIDE_NO_DOB_MAX_ROWS,
            # the canonical given name's count: the rule probes it (a nickname's own count says nothing); names
            # are correlated (a given name goes with the surnames of its language), so the estimate is low
            e and n(("last_name", k.last_norm), 0) * n(("first_name", k.first_canon), 0) / tf.total <= WIDE_EXACT_MAX_ROWS,
        ))  # fmt: skip
    return out
