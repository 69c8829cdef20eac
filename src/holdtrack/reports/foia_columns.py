"""Which columns of a FOIA release are stored: an allow-list per layout (issue 11, item 6; ADR 0021).

holdtrack keeps no identifiers of real people (README, Data). A release may carry more than its layout documents
— an agency's own extract, a column added in a later release, a file someone joined with another — so the import
never stores a column because it is there: only the columns on the allow-list of the detected layout reach
``FoiaDetainer.extra``; every other column is named in the import summary as dropped (not stored).

The allow-list of a layout is the columns it documents, less the documented identifiers (``NOT_STORED``) and
less anything ``is_personal`` recognises. That check also runs when this module is imported, so a layout that
one day documents "SSN" fails loudly instead of storing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from holdtrack.reports.foia_layouts import LAYOUTS, Layout, column_key

# Documented columns that identify a person, an officer or a record in ICE's systems. Public releases mostly
# redact them anyway. "Birth City" with a birth year narrows a person down too far for no report's benefit.
NOT_STORED = frozenset(
    column_key(c)
    for c in (
        "Alien File Number", "Alien_Number_Unique_Identifier", "Unique Identifier", "Anonymized_Identifier",
        "EID Subject ID", "EID Case ID", "EID DTA ID", "EID_Civilian_ID", "EID_Person_ID", "Subject_Name",
        "Birth Date", "Government_Employee_ID", "Return_to_Employee_ID", "Birth_City",
    )
)  # fmt: skip

# Words that make a "... name" column a place's or a thing's name rather than a person's.
_THING_NAMES = (
    "facility", "site", "port", "agency", "court", "charge", "program", "office", "country", "city", "state",
    "jail", "landmark", "county", "aor", "file", "sheet", "street",
)  # fmt: skip
_NUMBER_WORDS = {"no": "number", "num": "number", "nbr": "number", "nr": "number", "nmbr": "number"}
_A_NUMBER = re.compile(r"(a|alien)(file|registration|reg)?(number|id)")
_DOB = ("dob", "dateofbirth", "birthdate", "birthdt", "bdate", "birthday", "fechadenacimiento")


def _words(header: str) -> list[str]:
    """Lower-case words of a header: "A#" -> ["a", "number"], "FBI_No." -> ["fbi", "number"]."""
    text = header.replace("#", " number ").lower()
    return [_NUMBER_WORDS.get(w, w) for w in re.split(r"[^0-9a-z]+", text) if w]


def is_personal(header: str) -> str:
    """The kind of personal data a header names ("SSN", "A-number", "FBI number", "date of birth", "name"), or
    "" when it names none. Spelling, case, punctuation and abbreviations do not matter."""
    words = _words(header)
    compact = "".join(words)
    if not compact:
        return ""
    if "ssn" in words or compact.startswith(("ssn", "socialsecurity", "socsec")):
        return "SSN"
    if (
        _A_NUMBER.fullmatch(compact)
        or compact in {"afile", "alienfile"}
        or compact.startswith(("anumber", "aliennumber"))
    ):
        return "A-number"
    if compact.startswith("fbi") or "ucn" in words:
        return "FBI number"
    if compact in _DOB or compact.startswith(("dateofbirth", "dob")):
        return "date of birth"
    names = compact.endswith(("name", "names", "nombre", "apellido", "apellidos")) or compact in {"alias", "aka"}
    if names and not any(word in compact for word in _THING_NAMES):
        return "name"
    return ""


def _documented(layout: Layout) -> dict[str, str]:
    canonical = {column_key(n) for names in layout.fields.values() for n in names}
    return {column_key(c): c for c in (*layout.columns, *layout.also_seen) if column_key(c) not in canonical}


def stored_columns(layout: Layout) -> frozenset[str]:
    """Header keys (``column_key``) of the columns this layout stores in ``extra``."""
    return frozenset(
        key for key, name in _documented(layout).items() if key not in NOT_STORED and not is_personal(name)
    )


STORED_COLUMNS: dict[str, frozenset[str]] = {name: stored_columns(layout) for name, layout in LAYOUTS.items()}


def withheld(header: str) -> bool:
    """A column recognised as identifying (documented identifier or personal data by its name)."""
    return column_key(header) in NOT_STORED or bool(is_personal(header))


def disallowed_keys(layout_name: str, headers: Iterable[str]) -> list[str]:
    """The ``extra`` keys (verbatim headers) a run of ``layout_name`` may not keep: what the purge migration
    removes. An unknown layout keeps nothing."""
    allowed = STORED_COLUMNS.get(layout_name, frozenset())
    return [h for h in headers if column_key(h) not in allowed or is_personal(h)]


def _check_allow_lists() -> None:
    for name, layout in LAYOUTS.items():
        for key, header in _documented(layout).items():
            if key in STORED_COLUMNS[name] and is_personal(header):  # pragma: no cover - a layout edit gone wrong
                raise AssertionError(f"layout {name}: column {header!r} is personal data and may not be stored")


_check_allow_lists()
