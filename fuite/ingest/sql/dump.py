"""SQL dumps (mysqldump, pg_dump, SQLite ``.dump``): every table its own ``SourceTable``, with relations.

Pass 1 splits the whole dump once: table definitions, foreign keys, and where
each table's INSERT/COPY statements sit (character spans). Each table's
``batches()`` then reads only its own spans.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from fuite.ingest.batches import RowBatcher, batch_schema
from fuite.ingest.blob import Blob
from fuite.ingest.encoding import detect_encoding
from fuite.ingest.sql.relations import infer_relations
from fuite.ingest.reporter import Reporter, guarded
from fuite.ingest.sql.parse import (
    is_mysql, iter_tuples, parse_alter_foreign_keys, parse_copy_head, parse_copy_line, parse_create,
    parse_insert_head, strip_leading,
)
from fuite.ingest.sql.fast import CheckedInsert
from fuite.ingest.sql.fast import ValuesReader, copy_columns, split_batches
from fuite.ingest.sql.split import Splitter
from fuite.schema import Relation, SourceTable

_ESCAPED = re.compile("[\udc80-\udcff]")
#: Fewer tuples than this between two statements the fast path cannot take are read by the exact parser.
SMALL_GROUP = 16


@dataclass
class _Table:
    name: str
    columns: list[str] | None = None
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[Relation] = field(default_factory=list)
    spans: list[list] = field(default_factory=list)   # [start, end, line, every statement checked (sqlfast)]
    width: int = 0


def read_sql(blob: Blob, reporter: Reporter) -> Iterator[SourceTable]:
    head = blob.head()
    encoding = detect_encoding(head, reporter.encoding)
    text_head = head[encoding.bom:].decode(encoding.codec, errors="replace")
    mysql = is_mysql(text_head)

    def open_text() -> io.TextIOWrapper:
        f = blob.open()
        f.read(encoding.bom)
        return io.TextIOWrapper(f, encoding=encoding.codec, errors="surrogateescape", newline="")

    tables = _survey(blob, reporter, open_text, mysql)
    declared = {t.name: t.foreign_keys for t in tables.values()}
    columns = {t.name: _columns(t) for t in tables.values()}
    keys = {t.name: t.primary_key for t in tables.values()}
    relations = infer_relations(columns, keys, declared)
    for table in tables.values():
        yield SourceTable(blob.name, table.name, columns[table.name],
                          _batches(blob, reporter, open_text, mysql, table, columns[table.name]),
                          format="sql", encoding=encoding.label, relations=relations.get(table.name, []))


def _columns(table: _Table) -> list[str]:
    return list(table.columns) if table.columns else [f"#{k}" for k in range(table.width)]


def _survey(blob: Blob, reporter: Reporter, open_text, mysql: bool) -> dict[str, _Table]:
    """Pass 1: tables, columns, keys and the spans of their data statements."""
    tables: dict[str, _Table] = {}
    last: _Table | None = None

    def table(name: str) -> _Table:
        return tables.setdefault(name, _Table(name))

    with open_text() as text:
        splitter = Splitter(text.read, mysql=mysql, max_chars=reporter.limits.max_statement_bytes)
        for st in splitter.statements():
            if st.kind in ("copy", "copyblock", "copyend"):
                if last is not None:
                    last.spans[-1][1] = st.end
                    last.spans[-1][3] = False
                continue
            if st.insert is not None:   # a checked one-line INSERT: nothing else to look for
                body, line, target = st.text, st.line, st.insert
                _note_insert(table(target[0]), target, body, mysql, last, st)
                last = tables[target[0]]
                reporter.progress(blob.name, 0, blob.size)
                continue
            body, skipped = strip_leading(st.text)
            line = st.line + skipped
            create = parse_create(body)
            if create:
                t = table(create.name)
                t.columns, t.primary_key = create.columns, create.primary_key
                t.foreign_keys += create.foreign_keys
                last = None
                continue
            alter = parse_alter_foreign_keys(body)
            if alter:
                table(alter[0]).foreign_keys += alter[1]
                last = None
                continue
            target = parse_insert_head(body) or parse_copy_head(body)
            if target is None:
                if st.error:
                    reporter.quarantine(blob.name, "", f"line {line}", f"line {line}: {st.error}",
                                        st.text.encode("utf-8", "surrogateescape"))
                last = None
                continue
            t = table(target[0])
            _note_insert(t, target, body, mysql, last, st)
            last = t
            reporter.progress(blob.name, 0, blob.size)
    return tables


def _note_insert(t: _Table, target: tuple, body: str, mysql: bool, last: _Table | None, st) -> None:
    """Columns, width and data span of a table, from one of its INSERT/COPY statements."""
    if t.columns is None and target[1]:
        t.columns = list(target[1])
    if not t.columns and not t.width and len(target) == 3:
        first = next(iter_tuples(body, target[2], mysql), None)
        if first is not None and first.values is not None:
            t.width = len(first.values)
    if last is t:
        t.spans[-1][1] = st.end
        t.spans[-1][3] = t.spans[-1][3] and st.plain == "compact"
    else:
        t.spans.append([st.start, st.end, st.line, st.plain == "compact"])


class _Window:
    """``read(n)`` over characters ``[start, end)`` of a text stream read forward."""

    def __init__(self, text: io.TextIOBase, position: int, start: int, end: int):
        skip = start - position
        while skip > 0:
            got = len(text.read(min(skip, 8 << 20)))
            if not got:
                break
            skip -= got
        self.text, self.left = text, end - start

    def read(self, n: int) -> str:
        if self.left <= 0:
            return ""
        chunk = self.text.read(min(n, self.left))
        self.left -= len(chunk)
        return chunk


def _batches(blob: Blob, reporter: Reporter, open_text: Callable[[], io.TextIOWrapper], mysql: bool,
             table: _Table, columns: list[str]):
    width = len(columns)
    position = {name: i for i, name in enumerate(columns)}
    schema = batch_schema(width)

    def quarantine(where: str, reason: str, raw: str) -> None:
        reporter.quarantine(blob.name, table.name, where, f"{where}: {reason}",
                            raw.encode("utf-8", errors="surrogateescape"))

    def place(values: list[str | None], names: list[str] | None) -> list[str | None] | str:
        if names is None:
            if len(values) != width:
                return f"{len(values)} values, expected {width}"
            return values
        if len(values) != len(names):
            return f"{len(values)} values for {len(names)} listed columns"
        row: list[str | None] = [None] * width
        for name, value in zip(names, values):
            j = position.get(name)
            if j is not None:
                row[j] = value
        return row

    class Rows:
        """Row indices and the exact parser's rows, turned into batches in file order."""

        def __init__(self):
            self.index = 0
            self.batcher = RowBatcher(width)

        def add(self, row: list[str | None] | None) -> Iterator[pa.RecordBatch]:
            if row is not None:
                batch = self.batcher.add(self.index, row)
                if batch is not None:
                    yield batch
            self.index += 1

        def flush(self) -> Iterator[pa.RecordBatch]:
            batch = self.batcher.flush()
            if batch is not None:
                yield batch

        def columns(self, cols: list[pa.Array]) -> Iterator[pa.RecordBatch]:
            yield from self.flush()
            for first, chunk in split_batches(cols, self.index):
                rows = pa.array(np.arange(first, first + len(chunk[0]), dtype=np.int64))
                yield pa.RecordBatch.from_arrays([rows, *chunk], schema=schema)
            self.index += len(cols[0]) if cols else 0

    def exact_tuples(out: Rows, body: str, line_no: int, head: tuple, error: str) -> Iterator[pa.RecordBatch]:
        for tup in iter_tuples(body, head[2], mysql):
            if tup.values is None or (head[1] is None and len(tup.values) != width):
                where = f"line {line_no + body.count(chr(10), 0, tup.offset)}"
                where += f", tuple {tup.number}" if tup.number > 1 or tup.error else ""
            if tup.values is None:
                reason = tup.error if not error or tup.error != "unreadable value" else error
                quarantine(where, reason, body[tup.offset: tup.offset + 65536])
                yield from out.add(None)
                continue
            row = place(tup.values, head[1])
            if isinstance(row, str):
                where = f"line {line_no + body.count(chr(10), 0, tup.offset)}, tuple {tup.number}"
                quarantine(where, row, body[tup.offset: tup.offset + 4096])
                yield from out.add(None)
            else:
                yield from out.add(row)

    def copy_row(out: Rows, text: str, line: int, error: str, names: list[str] | None) -> Iterator[pa.RecordBatch]:
        row = place(parse_copy_line(text), names) if not error else error
        if isinstance(row, list) and _ESCAPED.search(text):
            row = "bytes not valid in the file's encoding"
        if isinstance(row, str):
            quarantine(f"line {line}", row, text)
            yield from out.add(None)
        else:
            yield from out.add(row)

    def read_group(out: Rows, reader: ValuesReader) -> Iterator[pa.RecordBatch]:
        group = reader.take()
        if group is None:
            return
        if group.rows < SMALL_GROUP:   # an Arrow call costs more than a few tuples read exactly
            for st in group.statements:
                yield from exact_tuples(out, st.text, st.line, (table.name, st.names, st.offset), "")
            return
        cols = reader.columns(group.statements, group.names)
        if cols is not None:
            yield from out.columns(cols)
            return
        for st in group.statements:   # something did not add up: statement by statement, then exactly
            cols = reader.columns([st], group.names)
            if cols is not None:
                yield from out.columns(cols)
            else:
                yield from exact_tuples(out, st.text, st.line, (table.name, st.names, st.offset), "")

    def make() -> Iterator[pa.RecordBatch]:
        out, reader = Rows(), ValuesReader(columns, mysql)
        try:
            yield from statements(out, reader)
        except Exception:
            try:   # deliver what was read before the failure (a truncated archive member...)
                yield from read_group(out, reader)
            except Exception:  # noqa: BLE001 - the first failure is the one reported
                pass
            yield from out.flush()
            raise
        yield from read_group(out, reader)
        yield from out.flush()

    def statements(out: Rows, reader: ValuesReader) -> Iterator[pa.RecordBatch]:
        with open_text() as text:
            at = 0
            for start, end, line, checked in table.spans:
                window = _Window(text, at, start, end)
                at = end
                splitter = Splitter(window.read, mysql=mysql, max_chars=reporter.limits.max_statement_bytes,
                                    line=line, offset=start, trusted=checked)
                copy_names: list[str] | None = None
                for st in splitter.statements():
                    if st.insert is not None and st.insert[0] == table.name:
                        fast = CheckedInsert(st.text, st.line, st.insert[1], st.insert[2], st.plain == "spaced")
                        if not reader.accepts(fast.names):
                            yield from read_group(out, reader)
                        if reader.add(fast):
                            if reader.full():
                                yield from read_group(out, reader)
                            continue
                    yield from read_group(out, reader)
                    if st.insert is not None:
                        if st.insert[0] == table.name:
                            yield from exact_tuples(out, st.text, st.line, st.insert, st.error)
                        continue
                    if st.kind == "copyend":
                        continue
                    if st.kind == "copyblock":
                        cols = copy_columns(st.text, len(copy_names) if copy_names is not None else width)
                        if cols is not None:
                            yield from out.columns(reader.placed(cols, copy_names))
                            continue
                        for k, text_line in enumerate(st.text.split("\n")[:-1]):
                            yield from copy_row(out, text_line.rstrip("\r"), st.line + k, "", copy_names)
                        continue
                    if st.kind == "copy":
                        yield from copy_row(out, st.text, st.line, st.error, copy_names)
                        continue
                    body, skipped = strip_leading(st.text)
                    head = parse_insert_head(body)
                    if head is None:
                        copy = parse_copy_head(body)
                        if copy is not None and copy[0] == table.name:
                            copy_names = copy[1]
                        continue
                    if head[0] == table.name:
                        yield from exact_tuples(out, body, st.line + skipped, head, st.error)

    return lambda: guarded(blob.name, reporter, make)
