"""Spreadsheets (XLSX, XLS, ODS) through python-calamine: every sheet a table, header found below title rows."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Iterator, Sequence

import pyarrow as pa
import python_calamine

from fuite.errors import IngestError
from fuite.ingest.batches import RowBatcher
from fuite.ingest.blob import Blob
from fuite.ingest.header import locate_header
from fuite.ingest.reporter import Reporter, guarded
from fuite.schema import SourceTable


LAYOUT_ROWS = 200


def cell_text(value) -> str | None:
    """A calamine cell as text: whole floats without ``.0``, dates and times in ISO 8601."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _open(blob: Blob, reporter: Reporter):
    try:
        if blob.path is not None:
            return python_calamine.CalamineWorkbook.from_path(str(blob.path))
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(blob.read_all(reporter.limits.max_in_memory)))
    except python_calamine.PasswordError as exc:
        raise IngestError("password-protected spreadsheet: cannot be read without the password") from exc


def _layout(rows: Sequence[Sequence[str | None]]) -> tuple[int, bool, list[str]]:
    """``(first data row, has header, columns)`` of one sheet."""
    start, header = locate_header(rows)
    width = max((len(r) for r in rows[start:]), default=0)
    if header:
        first = list(rows[start]) + [None] * (width - len(rows[start]))
        columns = [c.strip() if c and c.strip() else f"#{k}" for k, c in enumerate(first)]
        return start + 1, True, columns
    return start, False, [f"#{k}" for k in range(width)]


def read_spreadsheet(blob: Blob, reporter: Reporter) -> Iterator[SourceTable]:
    workbook = _open(blob, reporter)
    fmt = {"xls": "xls", "ods": "ods"}.get(blob.suffix, "xlsx")
    for sheet in workbook.sheet_names:
        parsed = workbook.get_sheet_by_name(sheet)   # parsed once; kept for batches() (spreadsheets are small)
        rows = [[cell_text(v) for v in row] for row in itertools.islice(parsed.iter_rows(), LAYOUT_ROWS)]
        if not any(any(c for c in r) for r in rows):
            continue
        start, _, columns = _layout(rows)
        columns += [f"#{k}" for k in range(len(columns), parsed.width)]
        yield SourceTable(blob.name, sheet, columns, _batches(blob, reporter, parsed, start, len(columns)),
                          format=fmt)


def _batches(blob: Blob, reporter: Reporter, parsed, start: int, width: int):
    def make() -> Iterator[pa.RecordBatch]:
        rows = [[cell_text(v) for v in row] for row in parsed.to_python()]
        batcher = RowBatcher(width)
        index = 0
        for row in rows[start:]:
            if not any(row):
                continue
            batch = batcher.add(index, row[:width])
            index += 1
            if batch is not None:
                yield batch
        last = batcher.flush()
        if last is not None:
            yield last

    return lambda: guarded(blob.name, reporter, make)
