"""Text as compared across apps: one normal form for names and place names, so a country read from a registry
file and the screening keys built from a booking spell it the same way."""

from __future__ import annotations

import unicodedata


def norm(value: str | None) -> str:
    """Lower case, accents removed, hyphens/apostrophes/dots → spaces, whitespace collapsed."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    out = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        out.append(ch.lower() if ch.isalpha() else " ")
    return " ".join("".join(out).split())
