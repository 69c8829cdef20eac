"""Countries by ISO 3166-1 alpha-2, alpha-3 or English name → the name ``Subject.birth_country`` stores.

Subjects store an English country name ("Mexico", "El Salvador", "Vietnam"): that is what the simulator,
the booking feeds and the screening keys (``core.text.norm`` of the name) use, so an imported registry
must store the same spelling or its people would never block with a booking of the same country.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from holdtrack.core.text import norm

DATA = Path(__file__).resolve().parent / "data" / "countries.csv"

# Spellings agencies commonly write that ISO lists under another name.
ALIASES = {
    "usa": "US",
    "u s a": "US",
    "us": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "burma": "MM",
    "ivory coast": "CI",
    "cape verde": "CV",
    "czech republic": "CZ",
    "swaziland": "SZ",
    "macedonia": "MK",
    "holland": "NL",
    "laos": "LA",
    "syria": "SY",
    "iran": "IR",
    "tanzania": "TZ",
    "moldova": "MD",
    "bolivia": "BO",
    "venezuela": "VE",
    "vietnam": "VN",
    "palestine": "PS",
    "turkey": "TR",
}


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    """Normalised spelling → stored name."""
    by_code: dict[str, str] = {}
    out: dict[str, str] = {}
    with DATA.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["name"]
            by_code[row["alpha_2"]] = name
            for spelling in (row["alpha_2"], row["alpha_3"], name, *row["other_names"].split("|")):
                if spelling:
                    out[norm(spelling)] = name
    for alias, code in ALIASES.items():
        out.setdefault(alias, by_code[code])
    return out


@lru_cache(maxsize=4096)
def country_name(value: str) -> str | None:
    """The stored name of the country ``value`` names (code or name, any case and accents), or None."""
    return _table().get(norm(value))
