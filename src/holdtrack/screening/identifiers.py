"""The registry records an identifier leads to: the FBI number (a biometric match, or candidates one keying slip
away), and the A-number — equal, or one keying slip away — as candidates to score (``services.screen_bookings``)."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import DamerauLevenshtein

from holdtrack.custody.models import IdentifierType, SubjectIdentifier
from holdtrack.screening.candidates import REC_COLUMNS, record_of
from holdtrack.screening.fs_model import Rec
from holdtrack.screening.keys import fbi_segments
from holdtrack.screening.models import RegistryKey


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


def by_a_number(numbers: Sequence[str]) -> dict[str, list[tuple[int, Rec]]]:
    """A-number → the registry records carrying it, as candidates (not matches: an A-number is keyed by hand and
    one person may hold two, so an equal number is scored like any candidate, never taken as a match). Found
    through the identifiers' unique (type, value) index, so the key table needs no index of its own for it (one
    cost 17–20 % more registry import time, measured)."""
    wanted = sorted({n for n in numbers if n})
    found: dict[str, list[tuple[int, Rec]]] = {}
    cols = ["subject_id", *REC_COLUMNS]
    for start in range(0, len(wanted), 5000):
        part = wanted[start : start + 5000]
        ids = SubjectIdentifier.objects.filter(type=IdentifierType.A_NUMBER, value__in=part).values_list(
            "subject_id", flat=True
        )
        for r in RegistryKey.objects.filter(subject_id__in=list(ids), a_number__in=part).values_list(*cols):
            found.setdefault(r[11], []).append((r[0], record_of(r[1:])))
    return found


def _slips(value: str, alphabet: str) -> set[str]:
    """Every string one keying slip from ``value``: a character changed, or two neighbours swapped."""
    out = {value[:i] + ch + value[i + 1 :] for i in range(len(value)) for ch in alphabet if ch != value[i]}
    out |= {value[:i] + value[i + 1] + value[i] + value[i + 2 :] for i in range(len(value) - 1)}
    out.discard(value)
    return out


def by_a_number_slips(numbers: Sequence[str]) -> list[list[tuple[int, Rec]]]:
    """For each booking's A-number, the registry records whose A-number is one keying slip from it (a digit
    changed, two neighbours swapped): 89 lookups on the identifiers' unique index. Candidates to score, never
    matches (the comparison weighs "one character different")."""
    slip_of: dict[str, list[int]] = {}
    for i, number in enumerate(numbers):
        for v in _slips(number, "0123456789") if number else ():
            slip_of.setdefault(v, []).append(i)
    out: list[list[tuple[int, Rec]]] = [[] for _ in numbers]
    wanted = sorted(slip_of)
    for start in range(0, len(wanted), 5000):
        for number, cands in by_a_number(wanted[start : start + 5000]).items():
            for i in slip_of[number]:
                out[i].extend(cands)
    return out


def by_fbi_slips(fbi_numbers: Sequence[str]) -> list[list[tuple[int, Rec]]]:
    """For each booking's FBI number, the registry records whose number is one keying slip from it (a character
    changed, two neighbours swapped): found through the numbers' last two segments (``keys.fbi_segments``: such a
    number keeps one of them whole), two indexed lookups a booking, then compared whole. Candidates to score,
    never matches (the comparison weighs "one character different"). The 323 lookups of every possible slip
    cost a third of the screening CPU at 1,000,000 subjects (docs/benchmarks.md)."""
    mids: dict[str, list[int]] = {}
    tails: dict[str, list[int]] = {}
    for i, fbi in enumerate(fbi_numbers):
        mid, tail = fbi_segments(fbi)
        if mid:
            mids.setdefault(mid, []).append(i)
            tails.setdefault(tail, []).append(i)
    out: list[list[tuple[int, Rec]]] = [[] for _ in fbi_numbers]
    seen: list[set[int]] = [set() for _ in fbi_numbers]
    cols = ["subject_id", "fbi_number", *REC_COLUMNS]
    for field, wanted in (("fbi_mid", mids), ("fbi_tail", tails)):
        values = sorted(wanted)
        for start in range(0, len(values), 5000):
            part = values[start : start + 5000]
            rows = RegistryKey.objects.filter(**{f"{field}__in": part}).exclude(**{field: ""}).values_list(*cols)
            for r in rows:
                key = r[1][-6:-3] if field == "fbi_mid" else r[1][-3:]
                for i in wanted.get(key, ()):
                    if r[0] not in seen[i] and DamerauLevenshtein.distance(fbi_numbers[i], r[1], score_cutoff=1) == 1:
                        seen[i].add(r[0])
                        out[i].append((r[0], record_of(r[2:])))
    return out
