"""Text as compared across apps: one normal form for names and place names, so a country read from a registry
file and the screening keys built from a booking spell it the same way."""

from __future__ import annotations

import re
import unicodedata

# Letters Unicode does not decompose into a base letter and a mark, as agencies' systems write them without the
# stroke or ligature ("Đỗ" is keyed "Do", "Øster" "Oster").
_UNDECOMPOSED = str.maketrans(
    {"đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ħ": "h", "Ħ": "H", "ı": "i",
     "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH"}
)  # fmt: skip


def norm(value: str | None) -> str:
    """Lower case, accents and strokes removed, hyphens/apostrophes/dots → spaces, whitespace collapsed."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value.translate(_UNDECOMPOSED))
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
