"""Reading a FOIA release: its SHA-256, and its tables — each sheet of a workbook, or the one table of a CSV or
tab-separated file, gzip-compressed or not, UTF-8 or Windows-1252."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04" and path.suffix.lower() in {".xlsx", ".xlsm"}


def _read_text(path: Path) -> tuple[str, str]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # Older agency exports are Windows-1252; every byte decodes, so nothing is lost.
        return raw.decode("cp1252"), "cp1252"


def tables(path: Path, drift: dict[str, Any]) -> Iterator[tuple[str, Iterator[Sequence[Any]], bool]]:
    """(sheet name, rows, strict width) for each sheet of a workbook, or one table for a CSV/TXT file (optionally
    .gz). A CSV row must be as wide as its header; a worksheet row may end early or carry empty cells past it."""
    if _is_xlsx(path):
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                yield sheet.title, sheet.iter_rows(values_only=True), False
        finally:
            workbook.close()
        return
    text, encoding = _read_text(path)
    if encoding != "utf-8":
        drift["encoding"] = encoding
    first_line = text[: text.find("\n")] if "\n" in text else text
    # The NPR files named .csv are tab-separated (domain.md A1.9, source code cited there).
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    yield "", csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), True


def cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()
