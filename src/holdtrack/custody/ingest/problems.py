"""Row errors of a booking feed grouped by cause, so that one cause over many rows is one line.

A database without reference data used to answer the Pierce County file with 18,000 lines (no agency, no
facility, on every row); now it is two, each with the count, what to do and a few rows to look at:

    bookings.csv.gz: 9,126 rows: agency_ori: no agency with ORI 'WA0530000' — load the reference data
    (`holdtrack load_reference`) or `holdtrack import agencies FILE` (rows 1, 2, 3, 4, 5, …)

The cause is the message, except for a bad format, whose value differs on every row: "not a date-time
(%m/%d/%Y): '13/01/2026'" groups under "not a date-time (%m/%d/%Y)" with the first value as its example.
A cause seen on one row only stays the per-row ``file:row:field: message``.
"""

from __future__ import annotations

import re

from holdtrack.core.importfile import RowError

SHOWN_ROWS = 5
MAX_LINES = 1000
_FORMAT = re.compile(r"^(not an? .*?): ('.*)$")
_REFERENCE = " — load the reference data (`holdtrack load_reference`) or `holdtrack import agencies FILE`"


def _hint(message: str, cause: str) -> str:
    if message.startswith(("no agency with ORI", "no facility with code")):
        return _REFERENCE
    if message.startswith("unknown value"):
        return " — map it in a layout's [codes] table (--layout FILE; --inspect proposes one)"
    if "(no time zone" in message:
        return " — give the layout a timezone for the jail's local times (--layout FILE)"
    if cause.startswith("not a"):
        return " — give the column's format in a layout's [formats] (--layout FILE; --inspect guesses it)"
    return ""


def cause_of(message: str) -> tuple[str, str]:
    """(the value-free cause, the example value) of a message."""
    found = _FORMAT.match(message)
    if found is None:
        return message, ""
    return found.group(1), found.group(2)


def group_errors(file: str, errors: list[RowError]) -> list[str]:
    """One line per cause seen on several rows (the most frequent first), then the single ones by row."""
    groups: dict[tuple[str, str], list[RowError]] = {}
    for error in errors:
        cause, _ = cause_of(error.message)
        groups.setdefault((error.field, cause), []).append(error)
    many = sorted(
        ((key, found) for key, found in groups.items() if len({e.row for e in found}) > 1),
        key=lambda kv: (-len(kv[1]), kv[1][0].row),
    )
    lines = []
    for (fld, cause), found in many[:MAX_LINES]:
        rows = sorted({e.row for e in found})
        shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS]) + (", …" if len(rows) > SHOWN_ROWS else "")
        _, example = cause_of(found[0].message)
        said = f"{cause}, e.g. {example}" if example else cause
        lines.append(f"{file}: {len(rows):,} rows: {fld}: {said}{_hint(found[0].message, cause)} (rows {shown})")
    grouped = {key for key, _ in many}
    singles = sorted((e for key, found in groups.items() if key not in grouped for e in found), key=lambda e: e.row)
    lines += [str(e) for e in singles[: max(0, MAX_LINES - len(lines))]]
    return lines
