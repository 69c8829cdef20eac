"""Misspelt names read against the registry's own vocabulary (issue 10: the pairs no blocking rule reaches).

A keying typo that changes a name's sound ("Navarqo" for Navarro, "Gokzalez" for González) defeats every rule
keyed on that name's sound or exact spelling; with a DOB error on top, or without a DOB, nothing retrieves the
pair. Such a typo almost always leaves a word the registry holds nowhere, while the intended name is one edit
away from it and is held. So a booking still without a proposal after the three stages has each name token the
registry does not hold replaced by the registry's tokens at one edit (a letter changed, added, dropped, or two
neighbours swapped), and those corrected names are probed by the first two stages' rules. Scoring is unchanged:
the candidates are scored against the booking as written.

The vocabulary is read from the name counts (``NameFrequency``: given names and surnames, split into tokens)
and kept per process while the counts are the same (their version: registry size and refresh token).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import product

from holdtrack.screening.frequencies import TOTAL
from holdtrack.screening.keys import Keys, canon_first, sound
from holdtrack.screening.models import NameFrequency

MIN_LENGTH = 3  # a shorter token is one edit away from too many names to say which was meant
MAX_PER_TOKEN = 3  # the commonest corrections of one token
MAX_VARIANTS = 4  # corrected spellings probed per booking


@dataclass(frozen=True)
class Vocabulary:
    given: dict[str, int]  # given-name token → registry records bearing it
    surname: dict[str, int]
    letters: str  # every letter the names use: the alphabet of the edits


_cached: dict[tuple[int, str], Vocabulary] = {}


def _tokens(comparison: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for value, n in NameFrequency.objects.filter(comparison=comparison).values_list("value", "n").iterator(10_000):
        for token in value.split(" "):
            if token:
                out[token] = out.get(token, 0) + n
    return out


def vocabulary() -> Vocabulary | None:
    """The registry's given-name and surname tokens with their counts; None before any count (no correction)."""
    row = NameFrequency.objects.filter(comparison=TOTAL).values_list("n", "value").first()
    if not row or not row[0]:
        return None
    version = (int(row[0]), str(row[1]))
    if version not in _cached:
        given, surname = _tokens("first_name"), _tokens("last_name")
        letters = "".join(sorted({ch for word in (*given, *surname) for ch in word}))
        _cached.clear()  # one version at a time: the counts of a registry, not a history of them
        _cached[version] = Vocabulary(given, surname, letters)
    return _cached[version]


def _edits(word: str, letters: str) -> Iterator[str]:
    """Every string one edit from ``word`` (Damerau: substitution, insertion, deletion, adjacent swap)."""
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        if tail:
            yield head + tail[1:]
            if len(tail) > 1:
                yield head + tail[1] + tail[0] + tail[2:]
            for ch in letters:
                if ch != tail[0]:
                    yield head + ch + tail[1:]
        for ch in letters:
            yield head + ch + tail


def corrections(word: str, known: dict[str, int], letters: str) -> list[str]:
    """The registry tokens one edit from a token it does not hold, commonest first (at most
    ``MAX_PER_TOKEN``); [] for a held token or one too short to correct."""
    if len(word) < MIN_LENGTH or word in known:
        return []
    found = {w for w in _edits(word, letters) if w in known}
    return sorted(found, key=lambda w: (-known[w], w))[:MAX_PER_TOKEN]


def _fixed(text: str, known: dict[str, int], letters: str) -> list[str]:
    """``text`` with each unknown token replaced by each of its corrections; [] when nothing changes."""
    options = [corrections(t, known, letters) or [t] for t in text.split(" ")] if text else []
    spelt = [" ".join(choice) for choice in product(*options)]
    return [s for s in spelt if s != text][:MAX_VARIANTS]


def corrected(k: Keys, vocab: Vocabulary) -> list[Keys]:
    """The booking's keys with its misspelt given name or surname corrected (one or both), at most
    ``MAX_VARIANTS``; [] when every token is held (or none is one edit from a held one)."""
    firsts = _fixed(k.first_norm, vocab.given, vocab.letters)
    lasts = _fixed(k.last_norm, vocab.surname, vocab.letters)
    out: list[Keys] = []
    for first, last in product([k.first_norm, *firsts], [k.last_norm, *lasts]):
        if (first, last) == (k.first_norm, k.last_norm):
            continue
        tokens = last.split(" ") if last else [""]
        canon = canon_first(first)
        out.append(
            replace(
                k,
                first_norm=first,
                first_canon=canon,
                first_sound=sound(canon),
                last_norm=last,
                last_tok1=tokens[0],
                last_tok2=tokens[-1],
                last_sound=sound(tokens[0]),
                last2_sound=sound(tokens[-1]) if len(tokens) > 1 else "",
            )
        )
    return out[:MAX_VARIANTS]
