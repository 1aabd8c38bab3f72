"""Turn rows of Python strings into the Arrow batches ingest yields (``__row`` then ``c0..cN``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa

from fuite.schema import ROW_FIELD

#: Rows per batch for the row-by-row readers (JSON, SQL, spreadsheets, SQLite).
BATCH_ROWS = 65_536
PARENT_FIELD = "__parent_row"


def batch_schema(width: int, *, with_parent: bool = False) -> pa.Schema:
    """``__row`` int64, ``c0..c{width-1}`` utf8 and, for child tables, a trailing ``__parent_row``."""
    fields = [pa.field(ROW_FIELD, pa.int64())] + [pa.field(f"c{i}", pa.string()) for i in range(width)]
    if with_parent:
        fields.append(pa.field(PARENT_FIELD, pa.int64()))
    return pa.schema(fields)


def to_batch(rows: Sequence[Sequence[str | None]], indices: Sequence[int], width: int,
             parents: Sequence[int] | None = None) -> pa.RecordBatch:
    """Build one batch; short rows are padded with nulls, empty strings become null."""
    columns = [pa.array(indices, pa.int64())]
    for j in range(width):
        columns.append(pa.array([(r[j] or None) if j < len(r) else None for r in rows], pa.string()))
    if parents is not None:
        columns.append(pa.array(parents, pa.int64()))
    return pa.RecordBatch.from_arrays(columns, schema=batch_schema(width, with_parent=parents is not None))


class RowBatcher:
    """Collect ``(index, row)`` pairs and emit a batch every ``size`` rows."""

    def __init__(self, width: int, *, size: int = BATCH_ROWS, with_parent: bool = False):
        self.width, self.size, self.with_parent = width, size, with_parent
        self.rows: list[Sequence[str | None]] = []
        self.indices: list[int] = []
        self.parents: list[int] = []

    def add(self, index: int, row: Sequence[str | None], parent: int | None = None) -> pa.RecordBatch | None:
        self.rows.append(row)
        self.indices.append(index)
        if self.with_parent:
            self.parents.append(-1 if parent is None else parent)
        return self.flush() if len(self.rows) >= self.size else None

    def flush(self) -> pa.RecordBatch | None:
        if not self.rows:
            return None
        batch = to_batch(self.rows, self.indices, self.width, self.parents if self.with_parent else None)
        self.rows, self.indices, self.parents = [], [], []
        return batch


def batched(rows: Iterable[tuple[int, Sequence[str | None], int | None]], width: int, *,
            with_parent: bool = False, size: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """Batches from ``(index, row, parent_row)`` triples; rows read before a failure are still delivered."""
    batcher = RowBatcher(width, size=size, with_parent=with_parent)
    try:
        for index, row, parent in rows:
            batch = batcher.add(index, row, parent)
            if batch is not None:
                yield batch
    except Exception:
        last = batcher.flush()
        if last is not None:
            yield last
        raise
    last = batcher.flush()
    if last is not None:
        yield last
