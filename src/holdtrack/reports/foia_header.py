"""Matching a FOIA release's header to a layout: which row is the header (a preamble may come first), which
layout it is, and how its columns map onto ``FoiaDetainer`` — stored, dropped (the allow-list), new, missing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from holdtrack.reports.foia_columns import STORED_COLUMNS, withheld
from holdtrack.reports.foia_layouts import REQUIRED_FIELDS, Layout, column_key
from holdtrack.reports.foia_read import cell_text
from holdtrack.reports.foia_values import column_kind

HEADER_SCAN_ROWS = 30  # the header is searched for in this many leading rows (preamble + header)


@dataclass
class Plan:
    """How the columns of one table map onto FoiaDetainer."""

    layout: Layout
    header: list[str]
    index: dict[str, int]  # canonical field -> column index
    extras: list[tuple[int, str, str]]  # (column index, verbatim header, expected kind) stored in ``extra``
    withheld: list[str]  # dropped because they identify a person or a record (foia_columns.withheld)
    dropped: list[str]  # every named column not stored, the withheld ones included
    unnamed: list[int]  # columns without a header: dropped, reported when they hold a value
    new: list[str]
    missing: list[str]
    duplicates: list[str]
    strict_width: bool = True


def _score(layout: Layout, keys: set[str]) -> tuple[int, int] | None:
    """(columns recognized, -documented columns missing), or None when a required field is absent."""
    for name in REQUIRED_FIELDS:
        if not any(column_key(n) in keys for n in layout.fields[name]):
            return None
    documented = {column_key(c) for c in layout.columns}
    for name, names in layout.fields.items():
        if name not in layout.optional_fields:
            documented.add(column_key(names[0]))
    return len(keys & layout.known_keys()), -len(documented - keys)


def find_header(
    rows: Iterator[Sequence[Any]], layouts: Sequence[Layout]
) -> tuple[Layout | None, list[str], int, list[list[str]]]:
    """Consume rows up to and including the header: (layout, header, preamble rows skipped, rows seen)."""
    seen: list[list[str]] = []
    for position, row in enumerate(rows):
        if position >= HEADER_SCAN_ROWS:
            break
        cells = [cell_text(v) for v in row]
        keys = {column_key(c) for c in cells if c}
        scored = [(s, -i, layout) for i, layout in enumerate(layouts) if (s := _score(layout, keys)) is not None]
        if scored:
            return max(scored, key=lambda t: (t[0], t[1]))[2], cells, position, seen
        if any(cells):
            seen.append(cells)
    return None, [], 0, seen


def plan_columns(layout: Layout, header: list[str]) -> Plan:
    positions: dict[str, int] = {}
    duplicates: list[str] = []
    for i, name in enumerate(header):
        key = column_key(name)
        if key in positions:
            duplicates.append(name)
        elif key:
            positions[key] = i
    index: dict[str, int] = {}
    missing: list[str] = []
    for name, names in layout.fields.items():
        found = next((positions[column_key(n)] for n in names if column_key(n) in positions), None)
        if found is not None:
            index[name] = found
        elif name not in layout.optional_fields:
            missing.append(names[0])
    canonical_columns = set(index.values())
    known = layout.known_keys()
    documented = {column_key(c): c for c in layout.columns}
    missing += [c for k, c in documented.items() if k not in positions]
    stored = STORED_COLUMNS[layout.name]
    extras: list[tuple[int, str, str]] = []
    withheld_names: list[str] = []
    dropped: list[str] = []
    unnamed: list[int] = []
    new: list[str] = []
    for i, name in enumerate(header):
        key = column_key(name)
        if not key:
            unnamed.append(i)
            continue
        if i in canonical_columns:
            continue
        if positions.get(key) != i:
            dropped.append(name)  # a second column of the same name (reported as a duplicate too)
            continue
        if key not in known:
            new.append(name)
        # The allow-list decides; a personal-data name is dropped even if a layout were to document it.
        if key in stored and not withheld(name):
            extras.append((i, name, column_kind(name)))
            continue
        dropped.append(name)
        if withheld(name):
            withheld_names.append(name)
    return Plan(layout, header, index, extras, withheld_names, dropped, unnamed, new, missing, duplicates)
