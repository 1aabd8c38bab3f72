"""JSON files: an array of records, JSON lines, or concatenated objects — streamed record by record.

A first pass learns every table and column; each table's ``batches()`` reads the
file again. A record that does not parse is quarantined with its line.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from fuite.errors import IngestError
from fuite.ingest.batches import batched
from fuite.ingest.blob import Blob
from fuite.ingest.encoding import detect_encoding
from fuite.ingest.jsonflat import explode
from fuite.ingest.limits import MiB
from fuite.ingest.reporter import Reporter, guarded
from fuite.schema import SourceTable

CHUNK = 1 * MiB
_ESCAPED = re.compile("[\udc80-\udcff]")
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\r\n]*")


BAD = object()   # a record that did not parse: it still takes its row index


def iter_records(text: io.TextIOBase, max_bytes: int, on_bad) -> Iterator[tuple[int, Any]]:
    """``(line, record)`` (``BAD`` for a quarantined one): the elements of a top-level array, else every top-level value (JSON lines).

    ``on_bad(line, reason, raw_text)`` is called for what does not parse. Outside
    an array the reading resumes at the next line; inside one a syntax error ends
    it (there is no safe place to resume).
    """
    reader = _Buffer(text)
    reader.skip_ws()
    in_array = reader.peek() == "["
    if in_array:
        reader.pos += 1
    while True:
        reader.skip_ws()
        if reader.peek() == "":
            if in_array:
                on_bad(reader.line, "unterminated JSON array", "")
            return
        if in_array and reader.peek() == "]":
            return
        start_line = reader.line
        value, raw, reason = reader.decode(max_bytes)
        if reason:
            on_bad(start_line, reason, raw)
            yield start_line, BAD
            if in_array:
                return
            continue
        if _ESCAPED.search(raw):
            on_bad(start_line, "bytes not valid in the file's encoding", raw)
            yield start_line, BAD
        else:
            yield start_line, value
        if in_array:
            reader.skip_ws()
            nxt = reader.peek()
            if nxt == ",":
                reader.pos += 1
            elif nxt not in ("]", ""):
                on_bad(reader.line, "invalid JSON (missing comma between records)", "")
                return


class _Buffer:
    """A sliding window over a text stream, counting lines."""

    def __init__(self, text: io.TextIOBase):
        self.text, self.buf, self.pos, self.line, self.eof = text, "", 0, 1, False

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.text.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        if self.pos >= len(self.buf):
            self.fill()
        return self.buf[self.pos: self.pos + 1]

    def skip_ws(self) -> None:
        while True:
            end = _WS.match(self.buf, self.pos).end()
            self.line += self.buf.count("\n", self.pos, end)
            self.pos = end
            if self.pos < len(self.buf) or not self.fill():
                return

    def decode(self, max_bytes: int) -> tuple[Any, str, str]:
        """``(value, raw_text, "")`` or ``(None, raw_text, reason)``; the position moves past either."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                real = "\n" in self.buf[exc.pos:] or self.eof
                if not real and len(self.buf) - self.pos <= max_bytes and self.fill():
                    continue
                if "\n" in self.buf[exc.pos:]:
                    reason = "invalid JSON"
                elif self.eof:
                    reason = "JSON record cut off at end of file"
                else:
                    reason = f"record larger than {max_bytes // MiB} MiB"
                end = self.buf.find("\n", exc.pos)
                end = len(self.buf) if end < 0 else end
                return None, self._advance(end), reason
            return value, self._advance(end), ""

    def _advance(self, end: int) -> str:
        raw = self.buf[self.pos:end]
        self.line += raw.count("\n")
        self.pos = end
        return raw


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
