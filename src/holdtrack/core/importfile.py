"""What the file importers share: reading a file as strict UTF-8 (gzip allowed) with a sentence for every way
it can be unreadable, and row problems grouped by cause, so that one bad value repeated over many rows is one
line ("1,204 rows: birth_country 'Narnia' is not a country (rows 2, 5, …)")."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from pathlib import Path

MAX_GROUPS = 1000  # distinct problems kept; further ones are only counted per field
SHOWN_ROWS = 5


class ImportFileError(Exception):
    """The file as a whole cannot be read."""


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read_utf8(path: Path) -> str:
    """The file as text, strictly UTF-8 (a BOM is allowed). Anything else is refused with its line."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFileError(f"{name}: is not a readable gzip file ({exc})") from exc
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ImportFileError(f"{name}: is UTF-16 encoded; save it as UTF-8 and import it again")
    nul = data.find(b"\x00")
    if nul >= 0:
        # UTF-16 without a byte-order mark shows as a NUL beside every ASCII character.
        hint = "; the file looks UTF-16 encoded, save it as UTF-8" if data[:200].count(b"\x00") > 40 else ""
        raise ImportFileError(f"{name}: line {_line_of(data, nul)} contains a NUL byte{hint}; nothing was imported")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise ImportFileError(
            f"{name}: line {line} is not valid UTF-8 (byte 0x{data[exc.start]:02x}); the file must be UTF-8"
        ) from exc


@dataclass
class Problems:
    """Row problems grouped by their message (field and reason, value included)."""

    file: str
    groups: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    overflow: dict[str, int] = field(default_factory=dict)  # field → rows whose problem was not kept
    rows: set[int] = field(default_factory=set)

    def add(self, row: int, fld: str, message: str) -> None:
        self.rows.add(row)
        rows = self.groups.get(message)
        if rows is None:
            if len(self.groups) >= MAX_GROUPS:
                self.overflow[fld] = self.overflow.get(fld, 0) + 1
                return
            rows = self.groups[message] = []
        self.counts[message] = self.counts.get(message, 0) + 1
        if len(rows) < SHOWN_ROWS:
            rows.append(row)

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def bad_rows(self) -> int:
        return len(self.rows)

    def lines(self) -> list[str]:
        """One sentence per problem, the most frequent first."""
        out = []
        for message, rows in sorted(self.groups.items(), key=lambda kv: (-self.counts[kv[0]], kv[1][0])):
            n = self.counts[message]
            if n == 1:
                out.append(f"{self.file}: row {rows[0]}: {message}")
            else:
                shown = ", ".join(str(r) for r in rows) + (", …" if n > len(rows) else "")
                out.append(f"{self.file}: {n:,} rows: {message} (rows {shown})")
        for fld, n in sorted(self.overflow.items()):
            out.append(f"{self.file}: {n:,} more rows with other problems in {fld}")
        return out


def bad_rows(n: int) -> str:
    return f"{n:,} bad row{'' if n == 1 else 's'}"
