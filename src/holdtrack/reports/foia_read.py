"""Reading a FOIA release: its SHA-256, and its tables — each sheet of a workbook, or the one table of a CSV or
tab-separated file, gzip-compressed or not, in the encoding its bytes show (``core.importfile.TextFile``)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from holdtrack.core.importfile import UTF8, TextFile
from holdtrack.core.importfile import file_sha256 as file_sha256  # re-exported for the FOIA importer


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04" and path.suffix.lower() in {".xlsx", ".xlsm"}


def tables(path: Path, drift: dict[str, Any]) -> Iterator[tuple[str, Iterator[Sequence[Any]], bool]]:
    """(sheet name, rows, strict width) for each sheet of a workbook, or one table for a CSV/TXT file (optionally
    .gz). A CSV row must be as wide as its header; a worksheet row may end early or carry empty cells past it."""
    if _is_xlsx(path):
        from openpyxl import load_workbook  # noqa: PLC0415 - heavy library, imported only on this path

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                yield sheet.title, sheet.iter_rows(values_only=True), False
        finally:
            workbook.close()
        return
    # Streamed line by line in the encoding detected from the bytes (core.importfile: UTF-8 with or without BOM,
    # UTF-16, Latin-1 read as Windows-1252; anything else is refused naming the byte): a national release is
    # never held in memory whole.
    with TextFile(path) as text:
        if text.encoding.codec != UTF8.codec:
            drift["encoding"] = text.encoding.codec  # as recorded before: "cp1252" for Windows-1252
        first_line = text.head.split("\n", 1)[0]
        # The NPR files named .csv are tab-separated (domain.md A1.9, source code cited there).
        delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
        yield "", csv.reader(text.lines(), delimiter=delimiter), True


def cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()
