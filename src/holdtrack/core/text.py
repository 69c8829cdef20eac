"""Text as compared across apps: one normal form for names and place names, so a country read from a registry
file and the screening keys built from a booking spell it the same way."""

from __future__ import annotations

import re
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


# An A-number is 8 or 9 digits, often written A123-456-789; compared and stored as 9 digits (an 8-digit one padded).
A_NUMBER_RE = re.compile(r"A?(\d{8,9})")


def a_number(value: str | None) -> str | None:
    """An A-number in its stored form (9 digits), "" for none given, None for a value that is not an A-number.
    The registry import and the booking feed read it the same way, so both sides compare the same strings."""
    text = (value or "").strip().upper().replace("-", "").replace(" ", "")
    if not text:
        return ""
    m = A_NUMBER_RE.fullmatch(text)
    return m.group(1).zfill(9) if m else None
