"""Parquet files: every column as text, batch by batch (row groups are never all in memory)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fuite.ingest.batches import BATCH_ROWS, batch_schema
from fuite.ingest.blob import Blob
from fuite.ingest.reporter import Reporter, guarded
from fuite.schema import SourceTable


def as_text(array: pa.Array) -> pa.Array:
    """A column of any Arrow type as utf8 (nested values as JSON, binary as UTF-8 when it decodes)."""
    t = array.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return array.cast(pa.string())
    if pa.types.is_dictionary(t):
        return as_text(array.dictionary_decode())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return pa.array([None if v is None else _bytes_text(v) for v in array.to_pylist()], pa.string())
    if pa.types.is_nested(t):
        return pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                         for v in array.to_pylist()], pa.string())
    try:
        return pc.cast(array, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else str(v) for v in array.to_pylist()], pa.string())


def _bytes_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + value.hex()


def _empty_to_null(array: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def read_parquet(blob: Blob, reporter: Reporter) -> Iterator[SourceTable]:
    source = str(blob.path) if blob.path is not None else pa.BufferReader(blob.read_all(reporter.limits.max_in_memory))
    names = pq.ParquetFile(source).schema_arrow.names

    def make() -> Iterator[pa.RecordBatch]:
        src = str(blob.path) if blob.path is not None else pa.BufferReader(blob.read_all(reporter.limits.max_in_memory))
        schema = batch_schema(len(names))
        start = 0
        for batch in pq.ParquetFile(src).iter_batches(batch_size=BATCH_ROWS):
            n = batch.num_rows
            rows = pa.array(range(start, start + n), pa.int64())
            columns = [_empty_to_null(as_text(c)) for c in batch.columns]
            yield pa.RecordBatch.from_arrays([rows, *columns], schema=schema)
            start += n

    yield SourceTable(blob.name, "", list(names), lambda: guarded(blob.name, reporter, make), format="parquet")
