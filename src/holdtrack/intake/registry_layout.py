"""A layout for ``holdtrack import registry FILE --layout LAYOUT.toml``: an agency's registry in its own column
names, the format of its birth dates, its sex and country codes, and one whole-name column split into the name
fields. The same TOML shape as a booking-feed layout (``custody.ingest.layout``), with the registry's fields:

    [columns]            subject_id = "PERSON_ID", dob = "BIRTH_DT", …
    [formats]            dob = "%m/%d/%Y"
    [codes.sex]          "1" = "M"
    [codes.birth_country] "MX" = "Mexico"      ("*" = "*" keeps other values; the country table checks them)
    [names]              column = "NAME", order = "last, first middle", second_surname = true

Validated on load; every problem names the file and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from holdtrack.core.importfile import column_key
from holdtrack.custody.ingest.layout import LayoutError, NameSplit, check_format, fail, name_split, table_of
from holdtrack.custody.ingest.layout_convert import split_name
from holdtrack.intake.registry_read import COLUMNS

KEYS = ("name", "title", "columns", "formats", "codes", "names", "ignore")
CODED = ("sex", "birth_country")
SEXES = ("M", "F", "U")


@dataclass(frozen=True)
class RegistryLayout:
    name: str
    columns: dict[str, str]  # registry column → source column
    dob_format: str = "iso"
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    names: NameSplit | None = None

    def rename(self) -> dict[str, str]:
        """Source column key → registry column, for ``registry_read.read_rows``."""
        out = {column_key(src): col for col, src in self.columns.items()}
        if self.names is not None:
            out[column_key(self.names.column)] = "name"
        return out

    def apply(self, rows: Iterator[tuple[int, dict[str, str]]]) -> Iterator[tuple[int, dict[str, str]]]:
        """Split the name column and translate codes; the registry's own checks follow (``validate``)."""
        for number, row in rows:
            if self.names is not None and "name" in row:
                row.update(split_name(row.pop("name"), self.names.order, self.names.second_surname))
            for col, table in self.codes.items():
                value = row.get(col, "")
                mapped = table.get(value.strip().upper())
                if mapped is None and value and table.get("*") not in (None, "*"):
                    mapped = table["*"]
                if mapped is not None:
                    row[col] = mapped
            yield number, row


def _codes(where: str, raw: Any) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for col, table in table_of(where, "codes", raw).items():
        key = f"codes.{col}"
        if col not in CODED:
            raise fail(where, key, f"only {', '.join(CODED)} take a code table")
        entries: dict[str, str] = {}
        for code, value in table_of(where, key, table).items():
            if not isinstance(value, str):
                raise fail(where, f"{key}.{code}", "must be a string")
            if col == "sex" and value not in SEXES:
                raise fail(where, f"{key}.{code}", f"{value!r} is not one of {', '.join(SEXES)}")
            entries[code.strip().upper()] = value
        out[col] = entries
    return out


def load_registry_layout(path: Path | str) -> RegistryLayout:
    path = Path(path)
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LayoutError(f"{path}: cannot read the layout ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LayoutError(f"{where}: not a valid TOML layout ({exc})") from exc
    for key in data:
        if key not in KEYS:
            raise fail(where, key, f"unknown key (known: {', '.join(KEYS)})")
    columns: dict[str, str] = {}
    for col, src in table_of(where, "columns", data.get("columns", {})).items():
        if col not in COLUMNS:
            raise fail(where, f"columns.{col}", f"unknown registry column {col!r} (columns: {', '.join(COLUMNS)})")
        if not isinstance(src, str) or not src.strip():
            raise fail(where, f"columns.{col}", "must be the source column's name")
        columns[col] = src.strip()
    formats = table_of(where, "formats", data.get("formats", {}))
    for key in formats:
        if key != "dob":
            raise fail(where, f"formats.{key}", "only dob takes a format in a registry layout")
    dob_format = check_format(where, "formats.dob", formats["dob"]) if "dob" in formats else "iso"
    names = name_split(where, data["names"]) if "names" in data else None
    if names is not None:
        for col in ("first_name", "middle_name", "last_name", "second_last_name"):
            if col in columns:
                raise fail(where, "names", f"{col} comes from the name column {names.column!r} and is mapped too")
    name = data.get("name", path.stem)
    if not isinstance(name, str):
        raise fail(where, "name", "must be a string")
    return RegistryLayout(
        name=name, columns=columns, dob_format=dob_format, codes=_codes(where, data.get("codes", {})), names=names
    )
