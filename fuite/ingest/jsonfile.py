"""JSON files: an array of records, JSON lines, or concatenated objects — streamed record by record.

A first pass learns every table and column; each table's ``batches()`` reads the
file again. A record that does not parse is quarantined with its line.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from fuite.errors import IngestError
from fuite.ingest.batches import BATCH_ROWS, batched
from fuite.ingest.blob import Blob
from fuite.ingest.encoding import detect_encoding
from fuite.ingest.jsonblocks import survey, table_batches
from fuite.ingest.jsonflat import explode
from fuite.ingest.jsonrecords import BAD, iter_records
from fuite.ingest.reporter import Reporter, guarded
from fuite.schema import SourceTable


#: Bytes of whole lines Arrow parses at once (JSON lines).
BLOCK_BYTES = 4 << 20


def _top_level_tables(value: Any) -> bool:
    """A single object whose values are all arrays of objects: each key is its own table."""
    return (isinstance(value, dict) and bool(value)
            and all(isinstance(v, list) and v and all(isinstance(i, dict) for i in v) for v in value.values()))


def read_json(blob: Blob, reporter: Reporter) -> Iterator[SourceTable]:
    """One ``SourceTable`` per JSON table (the records, then each child table)."""
    head = blob.head()
    encoding = detect_encoding(head, reporter.encoding)
    codec = encoding.codec if encoding.codec.startswith(("utf-16", "utf-32")) or reporter.encoding else "utf-8"
    limits = reporter.limits
    in_array = head[encoding.bom:].decode(codec, errors="replace").lstrip().startswith("[")
    if codec == "utf-8" and not in_array and _is_json_lines(head[encoding.bom:]):
        yield from _read_blocks(blob, reporter, encoding.bom, encoding.label if encoding.bom or reporter.encoding
                                else codec)
        return

    def records(report: bool) -> Iterator[tuple[int, Any]]:
        def on_bad(line: int, reason: str, raw: str) -> None:
            if report:
                reporter.quarantine(blob.name, "", f"line {line}", f"line {line}: {reason}",
                                    raw.encode(codec, errors="surrogateescape")
                                    if not codec.startswith("utf-16") else raw.encode("utf-8", "replace"))
        with blob.open() as f:
            f.read(encoding.bom)
            text = io.TextIOWrapper(f, encoding=codec, errors="surrogateescape", newline="")
            values = iter_records(text, limits.max_line_bytes, on_bad)
            first = next(values, None)
            second = next(values, None) if first is not None else None
            if first is not None and second is None and not in_array and _top_level_tables(first[1]):
                for key, items in first[1].items():
                    for item in items:
                        yield first[0], (str(key), item)
                return
            for item in ((first, second) if second is not None else (first,)) if first is not None else ():
                yield item[0], ("", item[1])
            for line, value in values:
                yield line, ("", value)

    def rows(report: bool) -> Iterator[tuple[str, int, str | None, int | None, dict]]:
        counters: dict[str, int] = {}
        for _, (root, record) in records(report):
            if record is BAD:
                counters[root] = counters.get(root, 0) + 1
            else:
                yield from explode(record, counters, root)

    # pass 1: tables, columns, parents
    columns: dict[str, dict[str, None]] = {}
    parents: dict[str, str | None] = {}
    for table, _, parent, _, cells in rows(report=True):
        if table not in columns:
            columns[table] = {}
            parents[table] = parent
        cols = columns[table]
        for key in cells:
            if key not in cols:
                cols[key] = None
    if not columns:
        raise IngestError("no JSON records")
    for table, cols in columns.items():
        names = list(cols)
        yield SourceTable(blob.name, table, names, _batches_for(blob, reporter, rows, table, names, parents[table]),
                          format="json", encoding=encoding.label if encoding.bom or reporter.encoding else codec,
                          parent=parents[table])


def _is_json_lines(head: bytes) -> bool:
    """One JSON object per line (as far as the first line tells), and more than one line."""
    text = head.lstrip()
    nl = text.find(b"\n")
    if nl < 0:
        return False
    try:
        first = json.loads(text[:nl])
    except ValueError:
        return False
    return isinstance(first, dict) and bool(text[nl:].strip())


def _read_blocks(blob: Blob, reporter: Reporter, bom: int, label: str) -> Iterator[SourceTable]:
    """JSON lines, a block at a time (``jsonblocks``): one pass, blocks kept in memory within the cache budget."""
    limits = reporter.limits

    def on_bad(line: int, reason: str, raw: bytes) -> None:
        reporter.quarantine(blob.name, "", f"line {line}", f"line {line}: {reason}", raw)

    with blob.open() as f:
        f.read(bom)
        found = survey(f, bom, limits.max_cached_bytes, BLOCK_BYTES, limits.max_line_bytes, on_bad,
                       lambda done: reporter.progress(blob.name, done, blob.size))
    if not found.columns:
        raise IngestError("no JSON records")

    def open_stream():
        return blob.open(), 0

    for table in found.columns:
        def make(table=table) -> Iterator[pa.RecordBatch]:
            return table_batches(found, table, open_stream, limits.max_line_bytes, BATCH_ROWS)

        yield SourceTable(blob.name, table, found.table_columns(table),
                          lambda make=make: guarded(blob.name, reporter, make),
                          format="json", encoding=label, parent=found.parents[table])


def _batches_for(blob, reporter, rows, table, names, parent):
    position = {name: i for i, name in enumerate(names)}
    with_parent = parent is not None

    def table_rows() -> Iterator[tuple[int, list[str | None], int | None]]:
        for t, index, _, parent_row, cells in rows(report=False):
            if t != table:
                continue
            row: list[str | None] = [None] * len(names)
            for key, value in cells.items():
                j = position.get(key)
                if j is not None:
                    row[j] = value
            yield index, row, parent_row

    def make() -> Iterator[pa.RecordBatch]:
        return batched(table_rows(), len(names), with_parent=with_parent)

    return lambda: guarded(blob.name, reporter, make)
