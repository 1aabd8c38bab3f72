"""JSON files: an array of records, JSON lines, or concatenated objects — streamed, read once.

JSON lines go by blocks through Arrow (``json.blocks``); the other layouts record by
record, flattened in groups. One pass learns every table and column and keeps the
flattened blocks within the cache budget; a table's ``batches()`` reads the file again
only for blocks beyond it. A record that does not parse is quarantined with its line.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from fuite.errors import IngestError
from fuite.ingest.batches import BATCH_ROWS
from fuite.ingest.blob import Blob
from fuite.ingest.encoding import detect_encoding
from fuite.ingest.json.blocks import (
    BytesAgain, Overrides, RecordsAgain, Span, Survey, group_block, survey, table_batches,
)
from fuite.ingest.json.records import iter_records_raw
from fuite.ingest.reporter import Reporter, guarded, shared_progress, two_pass
from fuite.schema import SourceTable


#: Bytes of whole lines Arrow parses at once (JSON lines).
BLOCK_BYTES = 4 << 20
#: Records flattened together in the other layouts (arrays, pretty-printed objects).
GROUP_RECORDS = 8192


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
            values = iter_records_raw(text, limits.max_line_bytes, on_bad)
            first = next(values, None)
            second = next(values, None) if first is not None else None
            if first is not None and second is None and not in_array and _top_level_tables(first[1]):
                for key, items in first[1].items():
                    for item in items:
                        yield first[0], (str(key), item, None)
                return
            for item in ((first, second) if second is not None else (first,)) if first is not None else ():
                yield item[0], ("", item[1], item[2])
            for line, value, raw in values:
                yield line, ("", value, raw)

    def groups(report: bool) -> Iterator[list[tuple[str, Any, str | None]]]:
        group: list[tuple[str, Any, str | None]] = []
        for _, item in records(report):
            group.append(item)
            if len(group) >= GROUP_RECORDS:
                yield group
                group = []
        if group:
            yield group

    found = Survey(limits.max_cached_bytes)   # one pass; groups kept within the budget, the others read again
    overrides = Overrides()
    for group in groups(report=True):
        span = Span(0, 0, 0, dict(found.counters))
        found.add(span, group_block(group, span, overrides))
    if not found.columns:
        raise IngestError("no JSON records")
    label = encoding.label if encoding.bom or reporter.encoding else codec
    for table in found.columns:
        def make(table=table) -> Iterator[pa.RecordBatch]:
            return table_batches(found, table, lambda: RecordsAgain(groups(report=False)), BATCH_ROWS)

        yield SourceTable(blob.name, table, found.table_columns(table),
                          lambda make=make: guarded(blob.name, reporter, make),
                          format="json", encoding=label, parent=found.parents[table])


def _is_json_lines(head: bytes) -> bool:
    """One JSON object per line (as far as the first line tells), and more than one line."""
    text = head.lstrip()
    nl = text.find(b"\n")
    if nl < 0:
        return False
    try:
        first = json.loads(text[:nl])
    except RecursionError:   # a first record nested too deeply: quarantined when the lines are read
        return text[:1] == b"{" and bool(text[nl:].strip())
    except ValueError:
        return False
    return isinstance(first, dict) and bool(text[nl:].strip())


def _read_blocks(blob: Blob, reporter: Reporter, bom: int, label: str) -> Iterator[SourceTable]:
    """JSON lines, a block at a time (``json.blocks``): one pass, blocks kept in memory within the cache budget."""
    limits = reporter.limits

    def on_bad(line: int, reason: str, raw: bytes) -> None:
        reporter.quarantine(blob.name, "", f"line {line}", f"line {line}: {reason}", raw)

    with blob.open() as f:
        f.read(bom)
        found = survey(f, bom, limits.max_cached_bytes, BLOCK_BYTES, limits.max_line_bytes, on_bad,
                       lambda done: reporter.progress(blob.name, two_pass(done, blob.size, False), blob.size))
    if not found.columns:
        raise IngestError("no JSON records")

    tables = list(found.columns)
    for k, table in enumerate(tables):
        def make(table=table, k=k) -> Iterator[pa.RecordBatch]:
            batches = table_batches(found, table, lambda: BytesAgain(blob.open(), limits.max_line_bytes), BATCH_ROWS)
            return shared_progress(batches, reporter, blob.name, blob.size, (k / len(tables), 1 / len(tables)),
                                   found.counters.get(table, 0))

        yield SourceTable(blob.name, table, found.table_columns(table),
                          lambda make=make: guarded(blob.name, reporter, make),
                          format="json", encoding=label, parent=found.parents[table])


