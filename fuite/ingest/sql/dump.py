"""SQL dumps (mysqldump, pg_dump, SQLite ``.dump``): every table its own ``SourceTable``, with relations.

Pass 1 splits the whole dump once: table definitions, foreign keys, and where
each table's INSERT/COPY statements sit (character spans). Each table's
``batches()`` then reads only its own spans.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from fuite.ingest.batches import RowBatcher, batch_schema
from fuite.ingest.blob import Blob
from fuite.ingest.encoding import detect_encoding
from fuite.ingest.sql.relations import infer_relations
from fuite.ingest.reporter import Reporter, guarded, two_pass
from fuite.ingest.sql.parse import (
    is_mysql, iter_tuples, parse_alter_foreign_keys, parse_copy_head, parse_copy_line, parse_create,
    parse_insert_head, strip_leading,
)
from fuite.ingest.sql.fast import CheckedInsert
from fuite.ingest.sql.fast import ValuesReader, copy_columns, split_batches
from fuite.ingest.sql.split import DumpStatement, Splitter
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
                reporter.progress(blob.name, two_pass(st.end, blob.size, False), blob.size)
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
            reporter.progress(blob.name, two_pass(st.end, blob.size, False), blob.size)
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
    """``batches()`` of one table: its spans read again, rows in file order (see ``TableReader``)."""
    return lambda: guarded(blob.name, reporter, TableReader(blob, reporter, open_text, mysql, table, columns).batches)


class _Rows:
    """Row indices and the exact parser's rows, turned into batches in file order."""

    def __init__(self, width: int):
        self.index = 0
        self.batcher = RowBatcher(width)
        self.schema = batch_schema(width)

    def add(self, row: list[str | None] | None) -> Iterator[pa.RecordBatch]:
        """One row (None: a quarantined one, which still takes its index)."""
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
        """Rows read as whole columns by the fast path."""
        yield from self.flush()
        for first, chunk in split_batches(cols, self.index):
            rows = pa.array(np.arange(first, first + len(chunk[0]), dtype=np.int64))
            yield pa.RecordBatch.from_arrays([rows, *chunk], schema=self.schema)
        self.index += len(cols[0]) if cols else 0


class TableReader:
    """The rows of one table of a dump: its INSERT and COPY statements, fast path first, exact parser else."""

    def __init__(self, blob: Blob, reporter: Reporter, open_text: Callable[[], io.TextIOWrapper], mysql: bool,
                 table: _Table, columns: list[str]):
        self.blob, self.reporter, self.open_text, self.mysql, self.table = blob, reporter, open_text, mysql, table
        self.width = len(columns)
        self.position = {name: i for i, name in enumerate(columns)}
        self.out, self.values = _Rows(self.width), ValuesReader(columns, mysql)
        self.copy_names: list[str] | None = None   # column list of the COPY being read
        self.reported = 0   # where the last progress report was

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Every row; what was read before a failure (a truncated archive member...) is still delivered."""
        try:
            yield from self._spans()
        except Exception:
            try:
                yield from self._read_group()
            except Exception:  # noqa: BLE001 - the first failure is the one reported
                pass
            yield from self.out.flush()
            raise
        yield from self._read_group()
        yield from self.out.flush()

    def _spans(self) -> Iterator[pa.RecordBatch]:
        limits = self.reporter.limits
        with self.open_text() as text:
            at = 0
            for start, end, line, checked in self.table.spans:
                window = _Window(text, at, start, end)
                at = end
                splitter = Splitter(window.read, mysql=self.mysql, max_chars=limits.max_statement_bytes,
                                    line=line, offset=start, trusted=checked)
                self.copy_names = None
                for st in splitter.statements():
                    yield from self._statement(st)

    def _statement(self, st: DumpStatement) -> Iterator[pa.RecordBatch]:
        if st.end - self.reported >= 1 << 20:   # the second pass, each MB (a dump's tables come in file order)
            self.reported = st.end
            self.reporter.moved(self.blob.name, two_pass(st.end, self.blob.size, True), self.blob.size)
        mine = st.insert is not None and st.insert[0] == self.table.name
        if mine and (yield from self._queue_fast(st)):
            return
        yield from self._read_group()
        if st.insert is not None:
            if mine:
                yield from self._exact_tuples(st.text, st.line, st.insert, st.error)
        elif st.kind == "copyblock":
            yield from self._copy_block(st)
        elif st.kind == "copy":
            yield from self._copy_row(st.text, st.line, st.error)
        elif st.kind == "sql":
            yield from self._sql(st)

    def _queue_fast(self, st: DumpStatement) -> Generator[pa.RecordBatch, None, bool]:
        """Queue a checked one-line INSERT for the fast path; False when it is not for the fast path."""
        fast = CheckedInsert(st.text, st.line, st.insert[1], st.insert[2], st.plain == "spaced")
        if not self.values.accepts(fast.names):
            yield from self._read_group()
        if not self.values.add(fast):
            return False
        if self.values.full():
            yield from self._read_group()
        return True

    def _sql(self, st: DumpStatement) -> Iterator[pa.RecordBatch]:
        """A statement the splitter did not check: an INSERT read exactly, or the COPY head of this table."""
        body, skipped = strip_leading(st.text)
        head = parse_insert_head(body)
        if head is None:
            copy = parse_copy_head(body)
            if copy is not None and copy[0] == self.table.name:
                self.copy_names = copy[1]
        elif head[0] == self.table.name:
            yield from self._exact_tuples(body, st.line + skipped, head, st.error)

    def _read_group(self) -> Iterator[pa.RecordBatch]:
        """The queued fast-path statements: as one Arrow call, else statement by statement, else exactly."""
        group = self.values.take()
        if group is None:
            return
        if group.rows < SMALL_GROUP:   # an Arrow call costs more than a few tuples read exactly
            for st in group.statements:
                yield from self._exact_tuples(st.text, st.line, (self.table.name, st.names, st.offset), "")
            return
        cols = self.values.columns(group.statements, group.names)
        if cols is not None:
            yield from self.out.columns(cols)
            return
        for st in group.statements:   # something did not add up: statement by statement, then exactly
            cols = self.values.columns([st], group.names)
            if cols is not None:
                yield from self.out.columns(cols)
            else:
                yield from self._exact_tuples(st.text, st.line, (self.table.name, st.names, st.offset), "")

    def _exact_tuples(self, body: str, line_no: int, head: tuple, error: str) -> Iterator[pa.RecordBatch]:
        for tup in iter_tuples(body, head[2], self.mysql):
            line = line_no + body.count("\n", 0, tup.offset)
            if tup.values is None:
                where = f"line {line}" + (f", tuple {tup.number}" if tup.number > 1 or tup.error else "")
                reason = tup.error if not error or tup.error != "unreadable value" else error
                self._quarantine(where, reason, body[tup.offset: tup.offset + 65536])
                yield from self.out.add(None)
                continue
            row = self._place(tup.values, head[1])
            if isinstance(row, str):
                self._quarantine(f"line {line}, tuple {tup.number}", row, body[tup.offset: tup.offset + 4096])
                yield from self.out.add(None)
            else:
                yield from self.out.add(row)

    def _copy_block(self, st: DumpStatement) -> Iterator[pa.RecordBatch]:
        names = self.copy_names
        cols = copy_columns(st.text, len(names) if names is not None else self.width)
        if cols is not None:
            yield from self.out.columns(self.values.placed(cols, names))
            return
        for k, text_line in enumerate(st.text.split("\n")[:-1]):
            yield from self._copy_row(text_line.rstrip("\r"), st.line + k, "")

    def _copy_row(self, text: str, line: int, error: str) -> Iterator[pa.RecordBatch]:
        row = self._place(parse_copy_line(text), self.copy_names) if not error else error
        if isinstance(row, list) and _ESCAPED.search(text):
            row = "bytes not valid in the file's encoding"
        if isinstance(row, str):
            self._quarantine(f"line {line}", row, text)
            yield from self.out.add(None)
        else:
            yield from self.out.add(row)

    def _place(self, values: list[str | None], names: list[str] | None) -> list[str | None] | str:
        """The values in the table's column order, or why they do not fit."""
        if names is None:
            return values if len(values) == self.width else f"{len(values)} values, expected {self.width}"
        if len(values) != len(names):
            return f"{len(values)} values for {len(names)} listed columns"
        row: list[str | None] = [None] * self.width
        for name, value in zip(names, values):
            j = self.position.get(name)
            if j is not None:
                row[j] = value
        return row

    def _quarantine(self, where: str, reason: str, raw: str) -> None:
        self.reporter.quarantine(self.blob.name, self.table.name, where, f"{where}: {reason}",
                                 raw.encode("utf-8", errors="surrogateescape"))
