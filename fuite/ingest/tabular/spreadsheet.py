"""Spreadsheets (XLSX, XLS, ODS) through python-calamine: every sheet a table, header found below title rows."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import io
import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine

from fuite.errors import IngestError
from fuite.ingest.archives.zipparts import check_zip_parts
from fuite.ingest.batches import BATCH_ROWS, batch_schema
from fuite.ingest.blob import Blob
from fuite.ingest.tabular.header import locate_header
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
    """The workbook; the zip parts of an XLSX or ODS are measured first (``zipparts``)."""
    data = None if blob.path is not None else blob.read_all(reporter.limits.max_in_memory)
    if (data or blob.head(4)).startswith(b"PK\x03\x04"):
        with (open(blob.path, "rb") if data is None else io.BytesIO(data)) as f:
            check_zip_parts(f, reporter.limits)
    try:
        if data is None:
            return python_calamine.CalamineWorkbook.from_path(str(blob.path))
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
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
    sheets = workbook.sheet_names
    for number, sheet in enumerate(sheets):
        parsed = workbook.get_sheet_by_name(sheet)   # parsed once; kept for batches() (spreadsheets are small)
        rows = [[cell_text(v) for v in row] for row in itertools.islice(parsed.iter_rows(), LAYOUT_ROWS)]
        if not any(any(c for c in r) for r in rows):
            continue
        start, _, columns = _layout(rows)
        columns += [f"#{k}" for k in range(len(columns), parsed.width)]
        share = (number / len(sheets), 1 / len(sheets))
        yield SourceTable(blob.name, sheet, columns, _batches(blob, reporter, parsed, start, len(columns), share),
                          format=fmt)


def _batches(blob: Blob, reporter: Reporter, parsed, start: int, width: int, share: tuple[float, float]):
    """The sheet's batches; progress in the file's bytes, the sheet counting for ``share`` (its start, its part)."""
    def make() -> Iterator[pa.RecordBatch]:
        with _collector_paused():   # a sheet's worth of row lists would set the cycle collector off again and again
            rows = parsed.to_python()[start:]
            if not rows:
                return
            if any(len(r) != width for r in rows):
                rows = [list(r[:width]) + [""] * (width - len(r)) for r in rows]
            columns = [column_text(c) for c in zip(*rows)]
            del rows
        filled = functools.reduce(pc.or_, [c.is_valid() for c in columns])
        if not pc.all(filled).as_py():
            columns = [c.filter(filled) for c in columns]
        n = len(columns[0])
        schema = batch_schema(width)
        for first in range(0, n, BATCH_ROWS):
            part = [c.slice(first, BATCH_ROWS) for c in columns]
            index = pa.array(np.arange(first, first + len(part[0]), dtype=np.int64))
            yield pa.RecordBatch.from_arrays([index, *part], schema=schema)
            if blob.size:
                done = share[0] + share[1] * min(n, first + BATCH_ROWS) / n
                reporter.progress(blob.name, int(blob.size * done), blob.size)

    return lambda: guarded(blob.name, reporter, make)


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cycle collector while building many short-lived lists that hold no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def column_text(values: Sequence) -> pa.Array:
    """One column of calamine cells as text (``cell_text`` for each), empty cells null."""
    try:
        array = pa.array(values, pa.string())   # text only: the common column
    except (pa.ArrowTypeError, pa.ArrowInvalid):   # whole floats inline: the common non-text cell
        array = pa.array([v if (t := type(v)) is str else
                          str(int(v)) if t is float and v.is_integer() and -1e15 < v < 1e15 else cell_text(v)
                          for v in values], pa.string())
    empty = pc.equal(array, "")
    return pc.if_else(empty, pa.scalar(None, pa.string()), array) if pc.any(empty).as_py() else array
