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

import pyarrow as pa

from fuite.ingest.batches import batched
from fuite.ingest.blob import Blob
from fuite.ingest.encoding import detect_encoding
from fuite.ingest.relations import infer_relations
from fuite.ingest.reporter import Reporter, guarded
from fuite.ingest.sqlparse import (
    is_mysql, iter_tuples, parse_alter_foreign_keys, parse_copy_head, parse_copy_line, parse_create,
    parse_insert_head, strip_leading,
)
from fuite.ingest.sqlsplit import Splitter
from fuite.schema import Relation, SourceTable

_ESCAPED = re.compile("[\udc80-\udcff]")


@dataclass
class _Table:
    name: str
    columns: list[str] | None = None
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[Relation] = field(default_factory=list)
    spans: list[list[int]] = field(default_factory=list)   # [start, end, line]
    width: int = 0


def read_sql(blob: Blob, reporter: Reporter) -> Iterator[SourceTable]:
    head = blob.head()
    encoding = detect_encoding(head, reporter.encoding)
    text_head = head[encoding.bom:].decode(encoding.codec, errors="replace")
    mysql = is_mysql(text_head)
    limits = reporter.limits

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
            if st.kind in ("copy", "copyend"):
                if last is not None:
                    last.spans[-1][1] = st.end
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
            if t.columns is None and target[1]:
                t.columns = list(target[1])
            if not t.columns and not t.width and len(target) == 3:
                first = next(iter_tuples(body, target[2], mysql), None)
                if first is not None and first.values is not None:
                    t.width = len(first.values)
            if last is t:
                t.spans[-1][1] = st.end
            else:
                t.spans.append([st.start, st.end, st.line])
            last = t
            reporter.progress(blob.name, 0, blob.size)
    return tables


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

    def quarantine(line: int, where: str, reason: str, raw: str) -> None:
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

    def table_rows() -> Iterator[tuple[int, list[str | None], None]]:
        index = 0
        with open_text() as text:
            at = 0
            for start, end, line in table.spans:
                window = _Window(text, at, start, end)
                at = end
                splitter = Splitter(window.read, mysql=mysql, max_chars=reporter.limits.max_statement_bytes,
                                    line=line, offset=start)
                copy_names: list[str] | None = None
                for st in splitter.statements():
                    if st.kind == "copyend":
                        continue
                    if st.kind == "copy":
                        where = f"line {st.line}"
                        row = place(parse_copy_line(st.text), copy_names) if not st.error else st.error
                        if isinstance(row, list) and _ESCAPED.search(st.text):
                            row = "bytes not valid in the file's encoding"
                        if isinstance(row, str):
                            quarantine(st.line, where, row, st.text)
                        else:
                            yield index, row, None
                        index += 1
                        continue
                    body, skipped = strip_leading(st.text)
                    line_no = st.line + skipped
                    head = parse_insert_head(body)
                    if head is None:
                        copy = parse_copy_head(body)
                        if copy is not None and copy[0] == table.name:
                            copy_names = copy[1]
                        continue
                    if head[0] != table.name:
                        continue
                    for tup in iter_tuples(body, head[2], mysql):
                        if tup.values is None or (head[1] is None and len(tup.values) != width):
                            where = f"line {line_no + body.count(chr(10), 0, tup.offset)}"
                            where += f", tuple {tup.number}" if tup.number > 1 or tup.error else ""
                        if tup.values is None:
                            reason = tup.error if not st.error or tup.error != "unreadable value" else st.error
                            quarantine(line_no, where, reason, body[tup.offset: tup.offset + 65536])
                        else:
                            row = place(tup.values, head[1])
                            if isinstance(row, str):
                                where = f"line {line_no + body.count(chr(10), 0, tup.offset)}, tuple {tup.number}"
                                quarantine(line_no, where, row, body[tup.offset: tup.offset + 4096])
                            else:
                                yield index, row, None
                        index += 1

    def make() -> Iterator[pa.RecordBatch]:
        return batched(table_rows(), width)

    return lambda: guarded(blob.name, reporter, make)
