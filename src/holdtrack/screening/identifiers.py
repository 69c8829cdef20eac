"""The registry records an identifier leads to: the FBI number (a biometric match), and the A-number — equal, or one
keying slip away — as candidates to score (``services.screen_bookings``)."""

from __future__ import annotations

from collections.abc import Sequence

from holdtrack.custody.models import IdentifierType, SubjectIdentifier
from holdtrack.screening.candidates import REC_COLUMNS, record_of
from holdtrack.screening.fs_model import Rec
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
