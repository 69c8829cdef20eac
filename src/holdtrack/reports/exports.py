"""Downloads of report tables: CSV, XLSX (openpyxl) and Parquet (pyarrow). One function per format, all taking
the same :class:`~holdtrack.reports.aggregates.Table`, so every table on a page is downloadable the same way."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from holdtrack.reports.aggregates import Column, Table

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def _value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind in ("share", "hours"):
        return float(value)
    return value


def to_csv(table: Table, *, preamble: Sequence[str] = ()) -> bytes:
    """UTF-8 CSV with a header row of column keys. ``preamble`` lines are not written: CSV stays rectangular;
    the filter and basis go into the file name and the page."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.header())
    for row in table.records():
        writer.writerow(["" if row.get(c.key) is None else _value(c, row.get(c.key)) for c in table.columns])
    return buf.getvalue().encode("utf-8")


def to_xlsx(table: Table, *, preamble: Sequence[str] = ()) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 - heavy library, imported only on this path
    from openpyxl.styles import Font  # noqa: PLC0415 - heavy library, imported only on this path

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = table.key[:31]
    row = 1
    for line in [table.title, *preamble, table.description]:
        ws.cell(row=row, column=1, value=line)
        row += 1
    row += 1
    for col, c in enumerate(table.columns, start=1):
        ws.cell(row=row, column=col, value=c.label).font = Font(bold=True)
    header_row = row
    for record in table.records():
        row += 1
        for col, c in enumerate(table.columns, start=1):
            cell = ws.cell(row=row, column=col, value=_value(c, record.get(c.key)))
            if c.kind == "share":
                cell.number_format = "0.0%"
            elif c.kind == "hours":
                cell.number_format = "0.00"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    for note in table.notes:
        row += 2
        ws.cell(row=row, column=1, value=note)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_parquet(table: Table, *, preamble: Sequence[str] = ()) -> bytes:
    import pyarrow as pa  # noqa: PLC0415 - heavy library, imported only on this path
    import pyarrow.parquet as pq  # noqa: PLC0415 - heavy library, imported only on this path

    types = {"int": pa.int64(), "share": pa.float64(), "hours": pa.float64(), "text": pa.string(), "month": pa.string()}
    records = table.records()
    arrays = []
    for c in table.columns:
        values = [_value(c, r.get(c.key)) for r in records]
        kind = c.kind
        if kind == "int" and any(isinstance(v, str) for v in values):
            kind = "text"
        if kind == "text":
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, type=types.get(kind, pa.string())))
    metadata = {
        b"title": table.title.encode(),
        b"description": table.description.encode(),
        b"filters": " | ".join(preamble).encode(),
    }
    schema = pa.schema([pa.field(c.key, a.type) for c, a in zip(table.columns, arrays, strict=True)], metadata=metadata)
    out = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), out, compression="zstd")
    return out.getvalue()


WRITERS = {"csv": to_csv, "xlsx": to_xlsx, "parquet": to_parquet}


def render(table: Table, fmt: str, *, preamble: Sequence[str] = ()) -> bytes:
    if fmt not in WRITERS:
        raise ValueError(f"format must be one of {sorted(WRITERS)}")
    return WRITERS[fmt](table, preamble=preamble)
