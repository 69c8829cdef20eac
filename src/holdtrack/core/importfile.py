"""What the file importers share: a text file read as a stream in the encoding its bytes show, with a sentence
for every way it can be unreadable, and row problems grouped by cause, so that one bad value repeated over many
rows is one line ("1,204 rows: birth_country 'Narnia' is not a country (rows 2, 5, …)").

``TextFile`` detects the encoding from the first megabyte (gzip is opened transparently):

- a byte-order mark: UTF-8 with BOM, UTF-16 LE or BE;
- UTF-16 without a mark (a NUL beside most ASCII characters);
- strict UTF-8;
- else Latin-1 (decoded as Windows-1252, its superset) when the bytes are plausible text: no control byte
  other than tab, CR, LF and NUL, none of the five bytes Windows-1252 leaves undefined, and no valid UTF-8
  accent beside the invalid byte (that is a file of mixed encodings, refused with its line);
- anything else is one line: ``FILE: cannot read as UTF-8, UTF-16 or Latin-1 (byte 0x03 at offset 17)``.

Lines are then decoded block by block (1 MB), so memory does not grow with the file. A NUL byte is not a file
error: it reaches the importer in its field, which refuses the row naming file, row and field (``has_nul``).
The booking, registry and agency importers read through it; FOIA can adopt it.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

MAX_GROUPS = 1000  # distinct problems kept; further ones are only counted per field
SHOWN_ROWS = 5
BLOCK = 1 << 20
SAMPLE = 1 << 20  # bytes the encoding is detected from
DEFAULT_MAX_ERRORS = 100
MAX_LINE = 8 << 20  # characters in one physical line: no feed row is this long, a file without newlines is
NUL_MESSAGE = "contains a NUL byte"
# Bytes no Latin-1 text holds: C0 controls but tab, LF, CR (and NUL, a field error), DEL, undefined in cp1252.
_NOT_LATIN1 = frozenset([*range(1, 9), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D])


@dataclass(frozen=True)
class RowError:
    """One problem of one row: the file, the row as an operator finds it, the field and the reason."""

    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.field}: {self.message}"


def column_key(name: str) -> str:
    """Header names compare without case and punctuation: "Detainer Prepare Date" == "Detainer_Prepare_Date"."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def file_sha256(path: Path) -> tuple[str, int]:
    """The file's SHA-256 (hex) and size in bytes, read in blocks: what makes a re-run of the same file a no-op."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class ImportFileError(Exception):
    """The file as a whole cannot be read."""


@dataclass(frozen=True)
class Encoding:
    name: str  # what --encoding accepts and the run stores
    label: str  # what the operator reads
    codec: str  # Python's codec
    bom: bytes = b""


UTF8 = Encoding("utf-8", "UTF-8", "utf-8")
UTF8_BOM = Encoding("utf-8-sig", "UTF-8 with BOM", "utf-8", codecs.BOM_UTF8)
UTF16LE_BOM = Encoding("utf-16-le", "UTF-16 LE with BOM", "utf-16-le", codecs.BOM_UTF16_LE)
UTF16BE_BOM = Encoding("utf-16-be", "UTF-16 BE with BOM", "utf-16-be", codecs.BOM_UTF16_BE)
UTF16LE = Encoding("utf-16-le", "UTF-16 LE (no byte-order mark)", "utf-16-le")
UTF16BE = Encoding("utf-16-be", "UTF-16 BE (no byte-order mark)", "utf-16-be")
LATIN1 = Encoding("latin-1", "Latin-1 (Windows-1252)", "cp1252")
# --encoding NAME: the names an operator may give.
ENCODING_NAMES = {
    "utf-8": UTF8,
    "utf8": UTF8,
    "utf-8-sig": UTF8_BOM,
    "utf-16": UTF16LE,
    "utf-16-le": UTF16LE,
    "utf-16le": UTF16LE,
    "utf-16-be": UTF16BE,
    "utf-16be": UTF16BE,
    "latin-1": LATIN1,
    "latin1": LATIN1,
    "iso-8859-1": LATIN1,
    "cp1252": LATIN1,
    "windows-1252": LATIN1,
}
ENCODING_CHOICES = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252")


def encoding_named(name: str) -> Encoding:
    found = ENCODING_NAMES.get(name.strip().lower())
    if found is None:
        raise ImportFileError(f"unknown encoding {name!r}; known: {', '.join(ENCODING_CHOICES)}")
    return found


def _utf16_without_bom(sample: bytes) -> Encoding | None:
    """ASCII text in UTF-16 has a NUL in every other byte; a stray NUL in a field does not look like that."""
    pairs = sample[: 4096 - 4096 % 2]
    n = len(pairs) // 2
    if n < 4:
        return None
    odd = pairs[1::2].count(0)
    even = pairs[0::2].count(0)
    if odd >= n * 0.4 and even <= n * 0.05:
        return UTF16LE
    if even >= n * 0.4 and odd <= n * 0.05:
        return UTF16BE
    return None


def detect_encoding(sample: bytes, name: str, *, complete: bool) -> Encoding:
    """The encoding of a file whose first bytes are ``sample`` (``complete``: the whole file)."""
    for enc in (UTF8_BOM, UTF16LE_BOM, UTF16BE_BOM):
        if sample.startswith(enc.bom):
            return enc
    found = _utf16_without_bom(sample)
    if found is not None:
        return found
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return UTF8
    except UnicodeDecodeError as exc:
        invalid = exc.start
    bad = next((i for i, b in enumerate(sample) if b in _NOT_LATIN1), None)
    if bad is not None:
        raise ImportFileError(
            f"{name}: cannot read as UTF-8, UTF-16 or Latin-1 (byte 0x{sample[bad]:02x} at offset {bad:,})"
        )
    if _UTF8_SEQUENCE.search(sample):
        # Valid UTF-8 accents beside an invalid byte: a file of mixed encodings, not Latin-1 (read as Latin-1,
        # its UTF-8 "é" would become "Ã©").
        line = sample.count(b"\n", 0, invalid) + 1
        raise ImportFileError(
            f"{name}: line {line} is not valid UTF-8 (byte 0x{sample[invalid]:02x} at offset {invalid:,}) "
            "though other lines are: mixed encodings; save the file as UTF-8"
        )
    return LATIN1


def has_nul(value: Any) -> bool:
    """A NUL anywhere in a cell (PostgreSQL text cannot hold one); nested JSON values included."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class TextFile:
    """A file read as lines (line ends kept, as ``csv.reader`` wants them) in its detected or given encoding.

    ``with TextFile(path) as f: f.encoding.label; f.head; for line in f.lines(): …`` — one pass per instance."""

    def __init__(self, path: Path, encoding: str | Encoding | None = None) -> None:
        self.path = path
        self.name = path.name
        self.given = encoding_named(encoding) if isinstance(encoding, str) else encoding
        self.encoding = UTF8
        self.head = ""  # the first characters, for telling CSV from NDJSON
        self.bytes_read = 0
        self._raw: IO[bytes] | None = None
        self._sample = b""

    def __enter__(self) -> TextFile:
        try:
            fh: IO[bytes] = self.path.open("rb")
        except OSError as exc:
            raise ImportFileError(f"{self.name}: cannot be read ({exc.strerror or exc})") from exc
        try:
            if fh.read(2) == b"\x1f\x8b":
                fh.seek(0)
                fh = gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[assignment]
            else:
                fh.seek(0)
            self._raw = fh
            self._sample = self._read(SAMPLE)
            complete = len(self._sample) < SAMPLE
            enc = self.given or detect_encoding(self._sample, self.name, complete=complete)
            if self.given is not None:
                # A forced encoding still drops its own byte-order mark.
                marks = {
                    UTF8.name: codecs.BOM_UTF8,
                    UTF16LE.name: codecs.BOM_UTF16_LE,
                    UTF16BE.name: codecs.BOM_UTF16_BE,
                }
                mark = marks.get(enc.name, enc.bom)
                if mark and self._sample.startswith(mark):
                    enc = Encoding(enc.name, f"{enc.label.split(' (')[0]} with BOM", enc.codec, mark)
            self.encoding = enc
            body = self._sample[len(enc.bom) :]
            self.head = codecs.getincrementaldecoder(enc.codec)("replace").decode(body[:8192])
        except BaseException:
            fh.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._raw is not None:
            self._raw.close()

    def _read(self, size: int) -> bytes:
        assert self._raw is not None
        try:
            return self._raw.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFileError(f"{self.name}: is not a readable gzip file ({exc})") from exc

    def _blocks(self) -> Iterator[bytes]:
        yield self._sample[len(self.encoding.bom) :]
        while block := self._read(BLOCK):
            yield block

    def lines(self) -> Iterator[str]:
        enc = self.encoding
        decoder = codecs.getincrementaldecoder(enc.codec)("strict")
        offset = len(enc.bom)  # bytes of the file (decompressed) handed to the decoder so far
        done = 0  # lines yielded
        pending = ""
        for block in self._blocks():
            buffered = len(decoder.getstate()[0])
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                at = offset - buffered + exc.start
                at_line = done + pending.count("\n") + 1 + exc.object[: exc.start].count(b"\n")
                raise ImportFileError(
                    f"{self.name}: line {at_line}: byte 0x{exc.object[exc.start]:02x} at offset {at:,} is not "
                    f"{enc.label}; the start of the file read as {enc.label} (give --encoding)"
                ) from exc
            offset += len(block)
            self.bytes_read = offset
            pending += text
            if "\n" in pending:
                *whole, pending = pending.split("\n")
                for part in whole:
                    done += 1
                    yield part + "\n"
            if len(pending) > MAX_LINE:
                raise ImportFileError(f"{self.name}: line {done + 1} is longer than {MAX_LINE:,} characters")
        try:
            pending += decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{self.name}: the file ends inside a {enc.label} character") from exc
        if pending:
            yield pending


@dataclass
class Problems:
    """Row problems grouped by their message (field and reason, value included). ``limit`` (``--max-errors``,
    0 for none): the importer stops reading once ``full`` and ``stop(row)`` records where."""

    file: str
    groups: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    overflow: dict[str, int] = field(default_factory=dict)  # field → rows whose problem was not kept
    rows: set[int] = field(default_factory=set)
    limit: int = 0
    total: int = 0
    stopped: str = ""

    def add(self, row: int, fld: str, message: str) -> None:
        self.rows.add(row)
        self.total += 1
        rows = self.groups.get(message)
        if rows is None:
            if len(self.groups) >= MAX_GROUPS:
                self.overflow[fld] = self.overflow.get(fld, 0) + 1
                return
            rows = self.groups[message] = []
        self.counts[message] = self.counts.get(message, 0) + 1
        if len(rows) < SHOWN_ROWS:
            rows.append(row)

    @property
    def full(self) -> bool:
        return bool(self.limit) and self.total >= self.limit

    def stop(self, row: int) -> None:
        self.stopped = stopped_sentence(self.total, row)

    def __bool__(self) -> bool:
        return bool(self.groups) or bool(self.overflow)

    @property
    def bad_rows(self) -> int:
        return len(self.rows)

    def lines(self) -> list[str]:
        """One sentence per problem, the most frequent first; the stop, if any, last."""
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
        if self.stopped:
            out.append(f"{self.file}: {self.stopped}")
        return out


def stopped_sentence(problems: int, row: int) -> str:
    return f"stopped after {problems:,} problems at row {row:,}; the rest was not checked (--max-errors)"


def bad_rows(n: int) -> str:
    return f"{n:,} bad row{'' if n == 1 else 's'}"
